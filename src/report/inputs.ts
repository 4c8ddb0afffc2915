import { InputError, UserError } from '../errors.js';
import type { SeccompProfile } from '../profile/model.js';
import { parseProfile } from '../profile/read.js';
import { RECORDING_FORMAT, type Recording } from '../recording/model.js';
import { validateRecording } from '../recording/schema.js';
import { parseJson, readTextFile } from '../util/files.js';

export interface ReportInputs {
  recordings: { file: string; recording: Recording }[];
  profile?: { file: string; profile: SeccompProfile };
}

const RECORDING_FAMILY = RECORDING_FORMAT.slice(0, RECORDING_FORMAT.indexOf('@') + 1);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Sorts the inputs by what they contain, not by their names: a recording says its format, a
 * profile has a defaultAction. Each is validated as `readRecording` / `readProfile` would, from
 * one read of the file.
 */
export async function readReportInputs(files: readonly string[]): Promise<ReportInputs> {
  const inputs: ReportInputs = { recordings: [] };
  for (const file of files) {
    const text = await readTextFile(file);
    const data = parseJson(text, file);
    const format = isObject(data) ? data.format : undefined;
    // Any version is sent to the validator, which says why an older or newer one cannot be read.
    if (typeof format === 'string' && format.startsWith(RECORDING_FAMILY)) {
      inputs.recordings.push({ file, recording: validateRecording(data, file) });
    } else if (isObject(data) && 'defaultAction' in data) {
      if (inputs.profile) {
        throw new UserError(`give at most one profile: ${inputs.profile.file} and ${file} are both profiles`);
      }
      inputs.profile = { file, profile: parseProfile(text, file) };
    } else {
      throw new InputError(
        file,
        undefined,
        `neither a recording ("format": "${RECORDING_FORMAT}") nor a seccomp profile (no "defaultAction")`,
      );
    }
  }
  return inputs;
}
