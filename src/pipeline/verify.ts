import { type CoverageGap, coverageGaps } from '../diff/check.js';
import { judgingHost } from '../diff/compare.js';
import { UserError } from '../errors.js';
import { RecordingMerger } from '../merge/recordings.js';
import { learnedValuesOf } from '../profile/argument-rules.js';
import type { SeccompProfile } from '../profile/model.js';
import { needsOfRecording } from '../profile/needs.js';
import { readProfile } from '../profile/read.js';
import { readRecording, recordingJson } from '../recording/io.js';
import type { Recording } from '../recording/model.js';
import { writeFileAtomic } from '../util/files.js';
import {
  type EnforcedComparison,
  enforcementFails,
  judgeEnforcement,
  prepareEnforcement,
} from './enforce.js';
import { type RecordOptions, runAndRecord } from './record.js';
import type { PipelineResult } from './result.js';

export interface VerifyOptions
  extends Pick<RecordOptions, 'full' | 'stdoutToStderr' | 'auditLog' | 'onNote'> {
  /** A recording to add this run to, so that a test suite run through verify closes the gaps one loop at a time. */
  mergeInto?: string;
  /** Also run the workload unconfined and under the real profile, and compare how they exit. */
  enforce?: boolean;
  /** With enforce: compare their stdout too. */
  compareOutput?: boolean;
}

export interface VerifyResult extends PipelineResult {
  profile: string;
  /** The calls of this run the profile refuses (or allows only for some arguments), per ABI. */
  refused: CoverageGap[];
  /** How the workload itself exited. */
  workloadExit: number;
  /** What the run was seen calling: in a container only the calls the profile refuses, under strace all of them. */
  recording: Recording;
  /** With enforce: the enforced run against the unconfined one. */
  enforced?: EnforcedComparison;
}

/**
 * The profile as verify runs a container under it: its allow rules, and every other call logged
 * instead of refused, so that the run goes on and the kernel names each call the profile would
 * have refused (a SECCOMP record), argument conditions judged by the kernel itself.
 */
export function loggingCopy(profile: SeccompProfile): SeccompProfile {
  const { defaultErrnoRet: _ignored, ...rest } = profile;
  return {
    ...rest,
    defaultAction: 'SCMP_ACT_LOG',
    syscalls: (profile.syscalls ?? []).filter((rule) => rule.action === 'SCMP_ACT_ALLOW'),
  };
}

/**
 * Runs the workload and says which of its calls PROFILE would refuse: exit 1 when there are any
 * (a CI gate), 0 when the profile covers the run. A container runs under the profile with refusals
 * logged (loggingCopy); a host command runs under strace and its calls are judged against the
 * profile as its runtime would load it. With `enforce`, the workload then runs twice more,
 * unconfined and under the real profile, and a different exit code (or stdout, `compareOutput`)
 * under the profile fails verify too: the list says which calls the profile refuses, the enforced
 * run whether the workload survives that (a program may fall back from ENOSYS or ignore an error,
 * and an errno rule of the profile is no refusal the logging run can see).
 */
export async function verify(
  profileFile: string,
  command: string[],
  options: VerifyOptions,
): Promise<VerifyResult> {
  if (command.length === 0) throw new UserError('verify: give the command to run after --');
  if (options.compareOutput && !options.enforce) {
    throw new UserError(
      '--compare-output compares the stdout of the run under the profile with an unconfined run: it needs --enforce',
    );
  }
  const profile = await readProfile(profileFile);
  const enforcement = options.enforce ? await prepareEnforcement(profileFile, profile, command) : undefined;
  try {
    const result = await verifyRun(profileFile, profile, command, options);
    if (!enforcement) return result;
    options.onNote?.('--enforce: running the workload unconfined');
    const unconfined = await enforcement.unconfined();
    options.onNote?.(`--enforce: running the workload under ${profileFile}`);
    const enforcedRun = await enforcement.enforced();
    const enforced = judgeEnforcement(unconfined, enforcedRun, options.compareOutput === true);
    return { ...result, enforced, exitStatus: enforcementFails(enforced) ? 1 : result.exitStatus };
  } finally {
    await enforcement?.cleanup();
  }
}

/** The run under the logging copy (a container) or strace (a host command), and the calls the profile refuses. */
async function verifyRun(
  profileFile: string,
  profile: SeccompProfile,
  command: string[],
  options: VerifyOptions,
): Promise<VerifyResult> {
  const warnings: string[] = [];
  const recordingToExtend =
    options.mergeInto === undefined
      ? undefined
      : await readRecording(options.mergeInto, (message) => warnings.push(message));
  // Only a container runs under the profile; a host command is traced and judged afterwards.
  // A profile with argument rules is judged by the arguments the run passed: a full trace has them.
  const full = options.full === true || (profile.syscalls ?? []).some((rule) => (rule.args ?? []).length > 0);
  const { recording, exitCode } = await runAndRecord(
    { command },
    { ...options, full, profile: loggingCopy(profile) },
  );
  const refused = coverageGaps(
    profile,
    needsOfRecording(recording),
    judgingHost({}),
    'this run',
    learnedValuesOf(recording),
  );
  const written: string[] = [];
  if (options.mergeInto !== undefined && recordingToExtend) {
    const merged = new RecordingMerger()
      .add(recordingToExtend, options.mergeInto)
      .add(recording, 'this run')
      .result();
    // Asked for by name: the one file verify updates in place, atomically.
    await writeFileAtomic(options.mergeInto, recordingJson(merged), []);
    written.push(options.mergeInto);
  }
  return {
    profile: profileFile,
    refused,
    workloadExit: exitCode,
    recording,
    written,
    warnings: [...warnings, ...recording.warnings.map((warning) => warning.message)],
    exitStatus: refused.length > 0 ? 1 : 0,
  };
}
