import { judgingTarget } from '../../diff/compare.js';
import { UserError } from '../../errors.js';
import { type LearningInput, readLearningInput } from '../../inputs.js';
import { coverageGaps } from '../../merge/check.js';
import { mergeProfiles } from '../../merge/profiles.js';
import { RecordingMerger } from '../../merge/recordings.js';
import type { SeccompProfile } from '../../profile/model.js';
import { needsOfProfile, needsOfRecording } from '../../profile/needs.js';
import { writeRecording } from '../../recording/io.js';
import { writeFileAtomic } from '../../util/files.js';
import { printRecordingSummary } from '../learned.js';
import { newTable, printJson, say, style, warn } from '../output.js';

interface MergeFlags {
  output?: string;
  check?: boolean;
  json?: boolean;
}

async function check(files: string[], flags: MergeFlags): Promise<void> {
  const [profileFile, ...others] = files;
  if (!profileFile || others.length === 0)
    throw new UserError('merge --check takes a profile and at least one recording or profile');
  const covering = await readLearningInput(profileFile);
  if (covering.kind !== 'profile')
    throw new UserError(`${profileFile}: --check wants a profile first, not a recording`);
  const target = judgingTarget({});
  const gaps = [];
  for (const file of others) {
    const input = await readLearningInput(file);
    const needs =
      input.kind === 'recording' ? needsOfRecording(input.recording) : needsOfProfile(input.profile, target);
    gaps.push(...coverageGaps(covering.profile, needs, target, file));
  }
  if (flags.json) printJson({ profile: profileFile, covers: gaps.length === 0, gaps });
  if (gaps.length === 0) {
    say(style.green(`${profileFile} covers ${others.length} input(s)`));
    return;
  }
  const table = newTable(['syscall', 'ABI', 'needed by', 'the profile']);
  for (const gap of gaps) table.push([gap.name, gap.abi, gap.source, gap.detail]);
  say(table.toString());
  say(style.red(`${profileFile} does not cover ${gaps.length} syscall(s)`));
  process.exitCode = 1;
}

/** Reads inputs in order while a few are already being read ahead: memory stays bounded by the window. */
async function* readAhead(files: string[], window = 8): AsyncGenerator<LearningInput> {
  const pending: Promise<LearningInput>[] = [];
  let next = 0;
  while (next < files.length || pending.length > 0) {
    while (pending.length < window && next < files.length) {
      const reading = readLearningInput(files[next++] as string);
      // Its error is reported when its turn comes, not as an unhandled rejection while an earlier one is read.
      reading.catch(() => undefined);
      pending.push(reading);
    }
    yield await (pending.shift() as Promise<LearningInput>);
  }
}

export async function runMerge(files: string[], flags: MergeFlags): Promise<void> {
  if (flags.check) return check(files, flags);
  if (!flags.output) throw new UserError('merge needs -o OUT (or --check)');
  const first = await readLearningInput(files[0] as string);
  if (first.kind === 'recording') {
    // One input at a time: memory grows with distinct syscalls, not with the number of runs.
    const merger = new RecordingMerger().add(first.recording);
    for (const file of files.slice(1)) {
      const input = await readLearningInput(file);
      if (input.kind !== 'recording')
        throw new UserError(
          `${file}: is a profile; merge recordings with recordings and profiles with profiles`,
        );
      merger.add(input.recording);
    }
    const merged = merger.result();
    await writeRecording(flags.output, merged, files);
    if (flags.json) printJson({ output: flags.output, runs: merged.runs, warnings: merged.warnings });
    printRecordingSummary(merged);
    say(`merged ${files.length} recording(s), ${merged.runs} run(s): ${flags.output}`);
    return;
  }
  const profiles: SeccompProfile[] = [first.profile];
  for (const file of files.slice(1)) {
    const input = await readLearningInput(file);
    if (input.kind !== 'profile')
      throw new UserError(
        `${file}: is a recording; merge recordings with recordings and profiles with profiles`,
      );
    profiles.push(input.profile);
  }
  const { profile, conflicts } = mergeProfiles(profiles);
  for (const conflict of conflicts) warn(`conflicting errnoRet for ${conflict}: the lower one is kept`);
  await writeFileAtomic(flags.output, `${JSON.stringify(profile, null, 2)}\n`, files);
  if (flags.json) printJson({ output: flags.output, conflicts });
  say(`merged ${files.length} profile(s): ${flags.output}`);
}
