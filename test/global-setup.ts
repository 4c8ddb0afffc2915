import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

/**
 * CLI and end-to-end tests run bin/seccomp-learn.js, which loads dist/. Building here, before any test
 * file starts, means they always exercise the current source: a stale dist/ cannot make a test pass.
 */
export default async function buildOnce(): Promise<void> {
  const root = fileURLToPath(new URL('../', import.meta.url));
  const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));
  const result = await execa(process.execPath, [tsc, '-p', 'tsconfig.json'], {
    cwd: root,
    reject: false,
    all: true,
  });
  if (result.exitCode !== 0) throw new Error(`the build failed, so no test can run:\n${result.all}`);
}
