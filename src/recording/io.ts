import { readJsonFile, writeFileAtomic } from '../util/files.js';
import { stringifyJson } from '../util/json-exact.js';
import type { Recording } from './model.js';
import { validateRecording } from './schema.js';

/** `warn` hears of entries the recording holds but that are ignored (see validateRecording). */
export async function readRecording(path: string, warn: (message: string) => void): Promise<Recording> {
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
