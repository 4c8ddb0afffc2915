import { readJsonFile, writeFileAtomic } from '../util/files.js';
import { stringifyJson } from '../util/json-exact.js';
import type { Recording } from './model.js';

/**
 * `warn` hears of entries the recording holds but that are ignored (see validateRecording). The
 * schema (zod, a fifth of a learning command's start-up) loads only when a recording is read.
 */
export async function readRecording(path: string, warn: (message: string) => void): Promise<Recording> {
  const { validateRecording } = await import('./schema.js');
  return validateRecording(await readJsonFile(path), path, warn);
}

export function recordingJson(recording: Recording): string {
  // stringifyJson: fields kept from newer writers may hold integers beyond 2^53 (bigint).
  return `${stringifyJson(recording)}\n`;
}

export async function writeRecording(
  path: string,
  recording: Recording,
  inputs: readonly string[],
): Promise<void> {
  await writeFileAtomic(path, recordingJson(recording), inputs);
}
