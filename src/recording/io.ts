import { readJsonFile, writeFileAtomic } from '../util/files.js';
import type { Recording } from './model.js';
import { validateRecording } from './schema.js';

export async function readRecording(path: string): Promise<Recording> {
  return validateRecording(await readJsonFile(path), path);
}

export function recordingJson(recording: Recording): string {
  return `${JSON.stringify(recording, null, 2)}\n`;
}

export async function writeRecording(
  path: string,
  recording: Recording,
  inputs: readonly string[],
): Promise<void> {
  await writeFileAtomic(path, recordingJson(recording), inputs);
}
