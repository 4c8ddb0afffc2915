import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvironmentError } from '../errors.js';

let root: string | undefined;

/**
 * The package's root, found by walking up to package.json: sources run from src/util and the build
 * from dist/src/util, so no fixed relative path fits both.
 */
export function packageRoot(): string {
  root ??= packageRootAbove(dirname(fileURLToPath(import.meta.url)));
  return root;
}

/** The nearest directory at or above `start` holding package.json; none means a broken installation. */
export function packageRootAbove(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) {
      throw new EnvironmentError(
        `seccomp-learn is not installed whole: no package.json above ${start}; install it again`,
      );
    }
    dir = parent;
  }
  return dir;
}

export function referenceDataFile(name: string): string {
  return join(packageRoot(), 'data', 'reference', name);
}
