import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError, UserError } from '../errors.js';
import { parseJsonExact } from './json-exact.js';
import { lineAt, locateJson } from './json-locate.js';

/**
 * Writes through a temporary file in the same directory and renames it into place, so a reader
 * never sees half a profile and a crash leaves the old file intact. Refuses to overwrite any of
 * `inputs`: a user who points -o at their own recording must not lose it.
 */
export async function writeFileAtomic(
  path: string,
  content: string,
  inputs: readonly string[] = [],
): Promise<void> {
  const target = resolve(path);
  if (inputs.some((input) => resolve(input) === target)) {
    throw new UserError(`refusing to write ${path}: it is one of the inputs`);
  }
  const temporary = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temporary, content, { mode: 0o644, flag: 'wx' });
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new UserError(`cannot write ${path}: ${(error as Error).message}`);
  }
}

export async function readTextFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new InputError(
      path,
      undefined,
      `cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

/**
 * Parses JSON text, turning a syntax error into the file and line it is on. Integers beyond
 * Number.MAX_SAFE_INTEGER arrive as bigint, exact (see json-exact.ts), never rounded.
 */
export function parseJson(text: string, file: string): unknown {
  if (text.trim() === '') throw new InputError(file, undefined, 'empty file: expected JSON');
  try {
    return parseJsonExact(text);
  } catch (error) {
    const message = (error as Error).message;
    throw new InputError(file, lineAt(text, locateJson(text).errorAt), `invalid JSON: ${message}`);
  }
}

export async function readJsonFile(path: string): Promise<unknown> {
  return parseJson(await readTextFile(path), path);
}
