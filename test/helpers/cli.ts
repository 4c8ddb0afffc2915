import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SAMPLES = fileURLToPath(new URL('../../samples/traces/', import.meta.url));
export const DATA = fileURLToPath(new URL('../../data/', import.meta.url));
export const BIN = fileURLToPath(new URL('../../bin/seccomp-learn.js', import.meta.url));

export interface CliResult {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a user would: a separate process, argument array, no shell, no colour. */
export async function cli(
  args: string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  const result = await execa(process.execPath, [BIN, ...args], {
    reject: false,
    env: { NO_COLOR: '1', ...options.env },
    ...(options.input === undefined ? {} : { input: options.input }),
  });
  return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
}
