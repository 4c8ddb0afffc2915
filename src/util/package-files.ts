import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvironmentError } from '../errors.js';

// Where the package's own files are: imported by readers of reference data (systemd groups, rkt's
// wildcards) that the profile readers need, so it imports nothing of theirs.

let root: string | undefined;

/**
 * The package's root, found by walking up to package.json: sources run from src/reference and the
 * build from dist/src/reference, so no fixed relative path fits both.
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
