import { readJsonFile, writeFileAtomic } from '../util/files.js';
import type { Recording } from './model.js';
import { validateRecording } from './schema.js';

/** `warn` hears of entries the recording holds but that are ignored (see validateRecording). */
export async function readRecording(path: string, warn: (message: string) => void): Promise<Recording> {
  return validateRecording(await readJsonFile(path), path, warn);
}

export async function writeRecording(
  path: string,
  recording: Recording,
  inputs: readonly string[],
): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(recording, null, 2)}\n`, inputs);
}
