import { basename } from 'node:path';
import { emitProfile, formatWarnings, type ProfileFormat, type SpoApiVersion } from '../emit/formats.js';
import type { DefaultActionChoice } from '../profile/default-action.js';
import { type GenerationNote, generateProfile } from '../profile/generate.js';
import { needsOfRecording } from '../profile/needs.js';
import type { RuntimeChoice } from '../profile/runtime-baselines.js';
import { recordingJson } from '../recording/io.js';
import {
  errorsCell,
  type Recording,
  recordingAbis,
  totalCalls,
  UNKNOWN_ERRORS,
  UNKNOWN_ERRORS_NOTE,
} from '../recording/model.js';
import type { Abi } from '../syscalls/abi.js';
import { style } from '../util/color.js';
import { checkOutputName, OutputPlan } from '../util/files.js';
import { renderTable } from '../util/table.js';
import { visible } from '../util/visible.js';
import { printJson, say, warn } from './output.js';

export interface GenerationFlags {
  defaultAction: DefaultActionChoice;
  runtime: RuntimeChoice;
  format: ProfileFormat;
  spoApi: SpoApiVersion;
  allow: string[];
  deny: string[];
  json?: boolean;
}

export interface LearningFlags extends GenerationFlags {
  output: string;
}

export function generationOptions(flags: GenerationFlags) {
  return { defaultAction: flags.defaultAction, runtime: flags.runtime, allow: flags.allow, deny: flags.deny };
}

function profileExtension(format: ProfileFormat): string {
  return format === 'spo' ? 'yaml' : 'json';
}

export function printNotes(notes: readonly GenerationNote[], runtime: RuntimeChoice): void {
  const names = (kind: GenerationNote['kind']) =>
    notes.filter((note) => note.kind === kind).map((note) => visible(note.name));
  const baseline = names('baseline');
  if (baseline.length > 0)
    say(style.dim(`added by the ${runtime} runtime baseline, not observed: ${baseline.join(' ')}`));
  const always = names('always');
  if (always.length > 0)
    say(style.dim(`always allowed so that a refused process can exit, not observed: ${always.join(' ')}`));
  for (const note of notes) {
    if (note.kind === 'partial-abi' || note.kind === 'no-such-syscall' || note.kind === 'deny') {
      warn(`${note.name}: ${note.message}`);
    }
  }
}

export function printRecordingSummary(recording: Recording): void {
  const rows: [string, Abi, number, number | undefined, number][] = [];
  for (const abi of recordingAbis(recording)) {
    for (const [name, stats] of Object.entries(recording.abis[abi] ?? {}))
      rows.push([name, abi, stats.calls, stats.errors, stats.runs]);
  }
  rows.sort((a, b) => b[2] - a[2] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const showRuns = recording.runs > 1;
  const totals = totalCalls(recording);
  const table = renderTable({
    head: ['syscall', 'ABI', 'calls', 'errors', ...(showRuns ? ['runs'] : [])],
    alignRight: [2, 3, 4],
    rows: rows.map(([name, abi, calls, errors, runs]) => [
      visible(name),
      abi,
      calls,
      errorsCell({ calls, ...(errors === undefined ? {} : { errors }) }),
      ...(showRuns ? [`${runs}/${recording.runs}`] : []),
    ]),
    totals: [
      style.bold(`${totals.syscalls} syscalls`),
      recordingAbis(recording).join(', '),
      totals.calls,
      totals.errors ?? UNKNOWN_ERRORS,
      ...(showRuns ? [''] : []),
    ],
    large: { fold: { noun: 'syscalls with fewer calls', rest: 'the recording lists them all' } },
  });
  say(table);
  if (totals.errors === undefined) say(style.dim(UNKNOWN_ERRORS_NOTE));
  printWarnings(recording);
}

/** Every warning a recording carries: what may make a profile learned from it incomplete. */
export function printWarnings(recording: Recording): void {
  for (const warning of recording.warnings) {
    warn(
      `${warning.file ? `${warning.file}${warning.line ? `:${warning.line}` : ''}: ` : ''}${warning.message}`,
    );
  }
}

/** Where a learning command writes: PREFIX.recording.json and PREFIX.profile.json (or .yaml). */
export interface LearnedOutputs {
  recordingPath: string;
  profilePath: string;
  plan: OutputPlan;
}

/**
 * Checks a learning command's outputs before it records or reads anything: a workload is not run
 * (nor a log read) only to find that its results cannot be written, or would overwrite an input.
 */
export async function planLearned(flags: LearningFlags, inputs: readonly string[]): Promise<LearnedOutputs> {
  checkOutputName(flags.output);
  const recordingPath = `${flags.output}.recording.json`;
  const profilePath = `${flags.output}.profile.${profileExtension(flags.format)}`;
  return { recordingPath, profilePath, plan: await OutputPlan.check([recordingPath, profilePath], inputs) };
}

/**
 * The end of every learning command: the recording and its minimal profile written side by side
 * (as planned by planLearned), a summary on stderr, and with --json the same on stdout.
 */
export async function writeLearned(
  recording: Recording,
  flags: LearningFlags,
  outputs: LearnedOutputs,
): Promise<void> {
  const { recordingPath, profilePath } = outputs;
  const { runtime } = flags;
  const { profile, notes } = generateProfile(needsOfRecording(recording), generationOptions(flags));
  await outputs.plan.write(
    new Map([
      [recordingPath, recordingJson(recording)],
      [
        profilePath,
        await emitProfile(profile, flags.format, { name: basename(flags.output), spoApi: flags.spoApi }),
      ],
    ]),
  );
  printRecordingSummary(recording);
  printNotes(notes, runtime);
  for (const warning of formatWarnings(profile, flags.format)) warn(warning);
  say(`recording: ${visible(recordingPath)}`);
  say(
    `profile:   ${visible(profilePath)} (${profile.syscalls?.[0]?.names.length ?? 0} syscalls allowed, ${profile.architectures?.join(', ')})`,
  );
  if (flags.json) {
    printJson({
      recording: recordingPath,
      profile: profilePath,
      totals: totalCalls(recording),
      abis: recordingAbis(recording),
      warnings: recording.warnings,
      incomplete: isIncomplete(recording),
      notes,
    });
  }
}

/** Warnings that mean the recording misses calls the workload made: records lost, or not placed. */
const INCOMPLETE = new Set(['lost-records', 'unresolved-process']);

export function isIncomplete(recording: Recording): boolean {
  return recording.warnings.some((warning) => INCOMPLETE.has(warning.code));
}

/**
 * Exit code 3 (or `lossExitCode`) when audit records were lost or could not be placed in the
 * container, unless the user accepts an incomplete profile.
 */
export function incompleteExitCode(
  recording: Recording,
  allowIncomplete: boolean | undefined,
  lossExitCode = 3,
): number | undefined {
  if (allowIncomplete || !isIncomplete(recording)) return undefined;
  const lost = recording.warnings.some((warning) => warning.code === 'lost-records');
  warn(
    lost
      ? 'audit records were lost: the profile may lack syscalls. Record again with auditd running (auditd; auditctl -b 8192), or pass --allow-incomplete to accept it'
      : 'some audit records could not be placed in the container and were left out: the profile may lack syscalls. Record again, or pass --allow-incomplete to accept it',
  );
  return lossExitCode;
}
