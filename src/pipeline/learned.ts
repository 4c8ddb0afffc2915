import { basename } from 'node:path';
import { emitProfile, formatWarnings, type ProfileFormat, type SpoApiVersion } from '../emit/formats.js';
import { UserError } from '../errors.js';
import type { ArgsChoice } from '../profile/argument-rules.js';
import type { WidenChoice } from '../profile/equivalents.js';
import {
  type GeneratedProfile,
  type GenerateOptions,
  type GenerationNote,
  generateForRecording,
} from '../profile/generate.js';
import type { SeccompProfile } from '../profile/model.js';
import { recordingJson } from '../recording/io.js';
import type { Recording } from '../recording/model.js';
import { checkOutputName, OutputPlan } from '../util/files.js';
import { reachableCalls } from './reachable.js';
import type { PipelineResult } from './result.js';

/** How far a profile reaches beyond the observed calls: `diff` and `report` take these too. */
export interface WideningChoices {
  /** How far beyond the observed calls to go; default `auto`. */
  widen?: WidenChoice;
  /** For `widen: 'reachable'`: executables to read besides those the recording names. */
  binaries?: readonly string[];
  /** Argument rules learned (default) or names only. */
  args?: ArgsChoice;
}

/** How a profile is made from a recording. */
export type ProfileChoices = Omit<GenerateOptions, 'reachable' | 'widen'> & WideningChoices;

/** How a profile is made and written: shared by every use that writes one. */
export interface GenerationChoices extends ProfileChoices {
  format: ProfileFormat;
  spoApi: SpoApiVersion;
}

/** The profile of a recording as the user chose it: widened by equivalents or by what its binaries can reach. */
export async function profileOf(
  recording: Recording,
  choices: ProfileChoices,
): Promise<GeneratedProfile & { warnings: string[] }> {
  const { mode, reachable, warnings } = await reachableCalls(
    choices.widen ?? 'auto',
    recording,
    choices.binaries ?? [],
  );
  return {
    ...generateForRecording(recording, { ...choices, widen: mode, ...(reachable ? { reachable } : {}) }),
    warnings,
  };
}

/** Where a learning use writes: PREFIX.recording.json and PREFIX.profile.json (or .yaml). */
export interface LearnedOutputs {
  prefix: string;
  recordingPath: string;
  profilePath: string;
  plan: OutputPlan;
}

/** What learning produced: the recording, its minimal profile, and what the user must know of both. */
export interface LearnResult extends PipelineResult {
  recording: Recording;
  recordingPath: string;
  profile: SeccompProfile;
  profilePath: string;
  notes: GenerationNote[];
  /** Lost or unplaced records: the profile may lack syscalls. */
  incomplete: boolean;
}

const PROFILE_EXTENSIONS: Readonly<Partial<Record<ProfileFormat, string>>> = {
  spo: 'yaml',
  // LXC names its own policies so (/usr/share/lxc/config/common.seccomp).
  lxc: 'seccomp',
  'lxc-v1': 'seccomp',
  systemd: 'conf',
  c: 'c',
  firejail: 'firejail',
};

function profileExtension(format: ProfileFormat): string {
  return PROFILE_EXTENSIONS[format] ?? 'json';
}

/**
 * Checks a learning use's outputs before it records or reads anything: a workload is not run (nor
 * a log read) only to find that its results cannot be written, or would overwrite an input.
 */
export async function planLearned(
  prefix: string,
  format: ProfileFormat,
  inputs: readonly string[],
): Promise<LearnedOutputs> {
  checkOutputName(prefix);
  const recordingPath = `${prefix}.recording.json`;
  const profilePath = `${prefix}.profile.${profileExtension(format)}`;
  return {
    prefix,
    recordingPath,
    profilePath,
    plan: await OutputPlan.check([recordingPath, profilePath], inputs),
  };
}

/** Warnings that mean the recording misses calls the workload made: records lost, or not placed. */
const INCOMPLETE = new Set(['lost-records', 'unresolved-process']);

export function isIncomplete(recording: Recording): boolean {
  return recording.warnings.some((warning) => INCOMPLETE.has(warning.code));
}

/** What to do when a recording is incomplete: exit 3 (or the user's code) unless they accept it. */
export interface IncompletePolicy {
  allowIncomplete?: boolean;
  lossExitCode?: number;
}

function incompleteWarning(recording: Recording): string {
  return recording.warnings.some((warning) => warning.code === 'lost-records')
    ? 'audit records were lost: the profile may lack syscalls. Record again with auditd running (auditd; auditctl -b 8192), or pass --allow-incomplete to accept it'
    : 'some audit records could not be placed in the container and were left out: the profile may lack syscalls. Record again, or pass --allow-incomplete to accept it';
}

/**
 * The end of every learning use: the recording and its minimal profile written side by side (as
 * planned by planLearned). The exit status is the workload's, unless the recording is incomplete
 * and the user did not accept that.
 */
export async function saveLearned(
  recording: Recording,
  choices: GenerationChoices,
  outputs: LearnedOutputs,
  policy: IncompletePolicy & { workloadExit?: number },
): Promise<LearnResult> {
  const { profile, notes, warnings } = await profileOf(recording, choices);
  const { recordingPath, profilePath } = outputs;
  const recorded = recordingJson(recording);
  let text: string;
  try {
    text = await emitProfile(profile, choices.format, {
      name: basename(outputs.prefix),
      spoApi: choices.spoApi,
      ...(choices.args ? { args: choices.args } : {}),
    });
  } catch (error) {
    // A format that cannot carry this profile (firejail and an argument rule): the workload ran,
    // so its recording is kept for `generate` to write another way.
    if (!(error instanceof UserError)) throw error;
    await (await OutputPlan.check([recordingPath])).write({ [recordingPath]: recorded });
    throw new UserError(
      `${error.message} (the recording is saved: seccomp-learn generate ${recordingPath} with other options writes its profile)`,
    );
  }
  await outputs.plan.write(
    new Map([
      [recordingPath, recorded],
      [profilePath, text],
    ]),
  );
  const incomplete = isIncomplete(recording);
  const refuse = incomplete && !policy.allowIncomplete;
  return {
    recording,
    recordingPath,
    profile,
    profilePath,
    notes,
    incomplete,
    written: [recordingPath, profilePath],
    warnings: [
      ...warnings,
      ...formatWarnings(profile, choices.format, choices),
      ...(refuse ? [incompleteWarning(recording)] : []),
    ],
    exitStatus: refuse ? (policy.lossExitCode ?? 3) : (policy.workloadExit ?? 0),
  };
}
