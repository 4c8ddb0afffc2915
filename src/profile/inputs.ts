import { InputError } from '../errors.js';
import type { Recording } from '../recording/model.js';
import { validateRecording } from '../recording/schema.js';
import { parseJson, readTextFile } from '../util/files.js';
import type { SeccompProfile } from './model.js';
import { validateProfile } from './read.js';
import { looksLikeAppc, readAppcPolicy } from './read-appc.js';
import { looksLikeSystemd, readSystemdPolicy } from './read-systemd.js';

/** What merge, diff, check and report take: a recording or a profile, told apart by content. */
export type LearningInput =
  | { kind: 'recording'; path: string; recording: Recording }
  | { kind: 'profile'; path: string; profile: SeccompProfile };

/** `warn` hears of recording entries that are ignored (see validateRecording). */
export async function readLearningInput(
  path: string,
  warn: (message: string) => void,
): Promise<LearningInput> {
  const text = await readTextFile(path);
  if (looksLikeSystemd(text)) return { kind: 'profile', path, profile: readSystemdPolicy(text, path) };
  const data = parseJson(text, path);
  if (looksLikeAppc(data)) return { kind: 'profile', path, profile: readAppcPolicy(text, path) };
  if (typeof data === 'object' && data !== null && 'format' in data) {
    return { kind: 'recording', path, recording: validateRecording(data, path, warn) };
  }
  if (typeof data === 'object' && data !== null && 'defaultAction' in data) {
    return { kind: 'profile', path, profile: validateProfile(data, text, path) };
  }
  throw new InputError(
    path,
    undefined,
    'neither a recording ("format": "seccomp-learn/recording@1") nor a seccomp profile ("defaultAction")',
  );
}
