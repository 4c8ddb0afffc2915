import { type CoverageGap, coverageGaps, type UnknownNeed, unknownNeeds } from '../diff/check.js';
import { judgingHost } from '../diff/compare.js';
import { UserError } from '../errors.js';
import { RecordingMerger } from '../merge/recordings.js';
import { learnedValuesOf } from '../profile/argument-rules.js';
import { type LearningInput, readLearningInput } from '../profile/inputs.js';
import { mergeProfiles } from '../profile/merge.js';
import { profileJson, type SeccompProfile } from '../profile/model.js';
import { needsOfProfile, needsOfRecording } from '../profile/needs.js';
import { recordingJson } from '../recording/io.js';
import type { Recording } from '../recording/model.js';
import { checkOutputName, OutputPlan } from '../util/files.js';
import { keepingWarnings, type PipelineResult } from './result.js';

export type MergeResult = PipelineResult & { output: string; inputs: number } & (
    | { kind: 'recording'; recording: Recording }
    | { kind: 'profile'; profile: SeccompProfile; conflicts: string[] }
  );

/** Reads inputs in order while a few are already being read ahead: memory stays bounded by the window. */
async function* readAhead(
  files: string[],
  warn: (message: string) => void,
  window = 8,
): AsyncGenerator<LearningInput> {
  const pending: Promise<LearningInput>[] = [];
  let next = 0;
  while (next < files.length || pending.length > 0) {
    while (pending.length < window && next < files.length) {
      const reading = readLearningInput(files[next++] as string, warn);
      // Its error is reported when its turn comes, not as an unhandled rejection while an earlier one is read.
      reading.catch(() => undefined);
      pending.push(reading);
    }
    yield await (pending.shift() as Promise<LearningInput>);
  }
}

/** Recordings merged into one (counts summed, runs counted), or profiles into their union. */
export async function merge(files: string[], output: string | undefined): Promise<MergeResult> {
  checkOutputName(output);
  if (output === undefined) throw new UserError('merge needs -o OUT (or --check)');
  const plan = await OutputPlan.check([output], files);
  const warnings: string[] = [];
  return keepingWarnings(warnings, async () => {
    // One input at a time: memory grows with distinct syscalls, not with the number of runs.
    const recordings = new RecordingMerger();
    const profiles: SeccompProfile[] = [];
    let kind: LearningInput['kind'] | undefined;
    for await (const input of readAhead(files, (message) => warnings.push(message))) {
      kind ??= input.kind;
      if (input.kind !== kind) {
        throw new UserError(
          `${input.path}: is a ${input.kind}; merge recordings with recordings and profiles with profiles`,
        );
      }
      if (input.kind === 'recording') recordings.add(input.recording, input.path);
      else profiles.push(input.profile);
    }
    const done = { output, inputs: files.length, written: [output], exitStatus: 0 };
    if (kind === 'recording') {
      const recording = recordings.result();
      await plan.write({ [output]: recordingJson(recording) });
      return { ...done, kind, recording, warnings };
    }
    const { profile, conflicts } = mergeProfiles(profiles);
    await plan.write({ [output]: profileJson(profile) });
    return {
      ...done,
      kind: 'profile',
      profile,
      conflicts,
      warnings: [
        ...warnings,
        ...conflicts.map((conflict) => `conflicting errnoRet for ${conflict}: the lower one is kept`),
      ],
    };
  });
}

export interface CheckResult extends PipelineResult {
  profile: string;
  /** How many recordings or profiles were checked against it. */
  inputs: number;
  gaps: CoverageGap[];
  unknown: UnknownNeed[];
}

/** Whether a profile lets through everything the recordings (or other profiles) need: exit 1 when not, a CI gate. */
export async function check(files: string[]): Promise<CheckResult> {
  const [profileFile, ...others] = files;
  if (!profileFile || others.length === 0)
    throw new UserError('merge --check takes a profile and at least one recording or profile');
  const warnings: string[] = [];
  return keepingWarnings(warnings, async () => {
    const warn = (message: string) => warnings.push(message);
    const covering = await readLearningInput(profileFile, warn);
    if (covering.kind !== 'profile')
      throw new UserError(`${profileFile}: --check wants a profile first, not a recording`);
    const target = judgingHost({});
    const gaps: CoverageGap[] = [];
    const unknown: UnknownNeed[] = [];
    for (const file of others) {
      const input = await readLearningInput(file, warn);
      const needs =
        input.kind === 'recording'
          ? needsOfRecording(input.recording)
          : needsOfProfile(input.profile, target);
      // Not push(...): spreading 100,000 gaps as arguments overflows the stack.
      const learned = input.kind === 'recording' ? learnedValuesOf(input.recording) : undefined;
      for (const gap of coverageGaps(covering.profile, needs, target, file, learned)) gaps.push(gap);
      for (const need of unknownNeeds(needs, file)) unknown.push(need);
    }
    // The same rule as generate, which leaves these names out with a warning.
    for (const need of unknown) warn(need.message);
    return {
      profile: profileFile,
      inputs: others.length,
      gaps,
      unknown,
      written: [],
      warnings,
      exitStatus: gaps.length === 0 ? 0 : 1,
    };
  });
}
