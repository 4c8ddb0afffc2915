import { basename } from 'node:path';
import type { DefaultActionChoice } from '../profile/default-action.js';
import { emitProfile, type ProfileFormat } from '../profile/emit.js';
import { type GenerationNote, generateProfile } from '../profile/generate.js';
import { needsOfRecording } from '../profile/needs.js';
import { defaultRuntimeFor, type RuntimeChoice } from '../profile/runtime-baselines.js';
import { writeRecording } from '../recording/io.js';
import { type Recording, recordingAbis, totalCalls } from '../recording/model.js';
import { writeFileAtomic } from '../util/files.js';
import { newTable, printJson, say, style, warn } from './output.js';

export interface GenerationFlags {
  defaultAction: DefaultActionChoice;
  runtime: RuntimeChoice;
  format: ProfileFormat;
  allow: string[];
  deny: string[];
  json?: boolean;
}

/** Learning commands leave the runtime unset unless asked: the recording decides (defaultRuntimeFor). */
export interface LearningFlags extends Omit<GenerationFlags, 'runtime'> {
  output: string;
  runtime?: RuntimeChoice;
}

export function generationOptions(flags: GenerationFlags) {
  return { defaultAction: flags.defaultAction, runtime: flags.runtime, allow: flags.allow, deny: flags.deny };
}

function profileExtension(format: ProfileFormat): string {
  return format === 'spo' ? 'yaml' : 'json';
}

export function printNotes(notes: readonly GenerationNote[]): void {
  const assumed = notes.filter((note) => note.kind === 'baseline' || note.kind === 'always');
  if (assumed.length > 0) {
    say(style.dim(`added without being observed: ${assumed.map((note) => note.name).join(' ')}`));
  }
  for (const note of notes) {
    if (note.kind === 'partial-abi' || note.kind === 'no-such-syscall' || note.kind === 'deny') {
      warn(`${note.name}: ${note.message}`);
    }
  }
}

export function printRecordingSummary(recording: Recording): void {
  const rows: [string, string, number, number, number][] = [];
  for (const abi of recordingAbis(recording)) {
    for (const [name, stats] of Object.entries(recording.abis[abi] ?? {}))
      rows.push([name, abi, stats.calls, stats.errors, stats.runs]);
  }
  rows.sort((a, b) => b[2] - a[2] || (a[0] < b[0] ? -1 : 1));
  const showRuns = recording.runs > 1;
  const table = newTable(['syscall', 'ABI', 'calls', 'errors', ...(showRuns ? ['runs'] : [])], [2, 3, 4]);
  for (const [name, abi, calls, errors, runs] of rows) {
    table.push([name, abi, calls, errors || '', ...(showRuns ? [`${runs}/${recording.runs}`] : [])]);
  }
  const totals = totalCalls(recording);
  table.push([
    style.bold(`${totals.syscalls} syscalls`),
    recordingAbis(recording).join(', '),
    totals.calls,
    totals.errors,
    ...(showRuns ? [''] : []),
  ]);
  say(table.toString());
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

/**
 * The end of every learning command: the recording and its minimal profile written side by side
 * (atomically, never over an input), a summary on stderr, and with --json the same on stdout.
 */
export async function writeLearned(
  recording: Recording,
  flags: LearningFlags,
  inputs: readonly string[],
): Promise<void> {
  const recordingPath = `${flags.output}.recording.json`;
  const profilePath = `${flags.output}.profile.${profileExtension(flags.format)}`;
  const runtime = flags.runtime ?? defaultRuntimeFor(recording);
  const { profile, notes } = generateProfile(
    needsOfRecording(recording),
    generationOptions({ ...flags, runtime }),
  );
  await writeRecording(recordingPath, recording, inputs);
  await writeFileAtomic(
    profilePath,
    await emitProfile(profile, flags.format, basename(flags.output)),
    inputs,
  );
  printRecordingSummary(recording);
  printNotes(notes);
  say(`recording: ${recordingPath}`);
  say(
    `profile:   ${profilePath} (${profile.syscalls?.[0]?.names.length ?? 0} syscalls allowed, ${profile.architectures?.join(', ')})`,
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
