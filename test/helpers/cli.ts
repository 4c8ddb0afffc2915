import { fileURLToPath } from 'node:url';
import { execa, type Options } from 'execa';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SHARED = fileURLToPath(new URL('../../../shared/', import.meta.url));
export const BIN = fileURLToPath(new URL('../../bin/seccomp-learn.js', import.meta.url));

/** Runs the built CLI as a user would: a separate process, argument array, no shell. */
export async function cli(args: string[], options: Options = {}) {
  return execa(process.execPath, [BIN, ...args], { reject: false, env: { NO_COLOR: '1' }, ...options });
}
