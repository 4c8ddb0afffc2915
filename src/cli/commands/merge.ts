import { type CoverageGap, coverageGaps, type UnknownNeed, unknownNeeds } from '../../diff/check.js';
import { judgingHost } from '../../diff/compare.js';
import { UserError } from '../../errors.js';
import { RecordingMerger } from '../../merge/recordings.js';
import { type LearningInput, readLearningInput } from '../../profile/inputs.js';
import { mergeProfiles } from '../../profile/merge.js';
import type { SeccompProfile } from '../../profile/model.js';
import { needsOfProfile, needsOfRecording } from '../../profile/needs.js';
import { recordingJson } from '../../recording/io.js';
import { style } from '../../util/color.js';
import { checkOutputName, OutputPlan } from '../../util/files.js';
import { stringifyJson } from '../../util/json-exact.js';
import { renderTable } from '../../util/table.js';
import { visible } from '../../util/visible.js';
import { printRecordingSummary } from '../learned.js';
import { printJson, say, warn } from '../output.js';

interface MergeFlags {
  output?: string;
  check?: boolean;
  json?: boolean;
}

async function check(files: string[], flags: MergeFlags): Promise<void> {
  const [profileFile, ...others] = files;
  if (!profileFile || others.length === 0)
    throw new UserError('merge --check takes a profile and at least one recording or profile');
  const covering = await readLearningInput(profileFile, warn);
  if (covering.kind !== 'profile')
    throw new UserError(`${profileFile}: --check wants a profile first, not a recording`);
  const target = judgingHost({});
  const gaps: CoverageGap[] = [];
  const unknown: UnknownNeed[] = [];
  for (const file of others) {
    const input = await readLearningInput(file, warn);
    const needs =
      input.kind === 'recording' ? needsOfRecording(input.recording) : needsOfProfile(input.profile, target);
    // Not push(...): spreading 100,000 gaps as arguments overflows the stack.
    for (const gap of coverageGaps(covering.profile, needs, target, file)) gaps.push(gap);
    for (const need of unknownNeeds(needs, file)) unknown.push(need);
  }
  // The same rule as generate, which leaves these names out with a warning.
  for (const need of unknown) warn(need.message);
  if (flags.json) printJson({ profile: profileFile, covers: gaps.length === 0, gaps, unknown });
  if (gaps.length === 0) {
    say(style.green(`${visible(profileFile)} covers ${others.length} input(s)`));
    return;
  }
  say(
    renderTable({
      head: ['syscall', 'ABI', 'needed by', 'the profile'],
      rows: gaps.map((gap) => [gap.name, gap.abi, gap.source, gap.detail].map(visible)),
      large: { fold: { noun: 'gaps', rest: '--json lists them all' } },
    }),
  );
  say(style.red(`${visible(profileFile)} does not cover ${gaps.length} syscall(s)`));
  process.exitCode = 1;
}

/** Reads inputs in order while a few are already being read ahead: memory stays bounded by the window. */
async function* readAhead(files: string[], window = 8): AsyncGenerator<LearningInput> {
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

export async function runMerge(files: string[], flags: MergeFlags): Promise<void> {
  if (flags.check) return check(files, flags);
  checkOutputName(flags.output);
  if (flags.output === undefined) throw new UserError('merge needs -o OUT (or --check)');
  const plan = await OutputPlan.check([flags.output], files);
  // One input at a time: memory grows with distinct syscalls, not with the number of runs.
  const recordings = new RecordingMerger();
  const profiles: SeccompProfile[] = [];
  let kind: LearningInput['kind'] | undefined;
  for await (const input of readAhead(files)) {
    kind ??= input.kind;
    if (input.kind !== kind) {
      throw new UserError(
        `${input.path}: is a ${input.kind}; merge recordings with recordings and profiles with profiles`,
      );
    }
    if (input.kind === 'recording') recordings.add(input.recording, input.path);
    else profiles.push(input.profile);
  }
  if (kind === 'recording') {
    const merged = recordings.result();
    await plan.write({ [flags.output]: recordingJson(merged) });
    if (flags.json) printJson({ output: flags.output, runs: merged.runs, warnings: merged.warnings });
    printRecordingSummary(merged);
    say(`merged ${files.length} recording(s), ${merged.runs} run(s): ${visible(flags.output)}`);
    return;
  }
  const { profile, conflicts } = mergeProfiles(profiles);
  for (const conflict of conflicts) warn(`conflicting errnoRet for ${conflict}: the lower one is kept`);
  await plan.write({ [flags.output]: `${stringifyJson(profile)}\n` });
  if (flags.json) printJson({ output: flags.output, conflicts });
  say(`merged ${files.length} profile(s): ${visible(flags.output)}`);
}
