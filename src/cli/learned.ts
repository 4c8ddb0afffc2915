import type { ProfileFormat, SpoApiVersion } from '../emit/formats.js';
import type { GenerationChoices, LearnResult, WideningChoices } from '../pipeline/learned.js';
import type { PipelineResult } from '../pipeline/result.js';
import type { ArgsChoice } from '../profile/argument-rules.js';
import type { DefaultActionChoice } from '../profile/default-action.js';
import type { WidenChoice } from '../profile/equivalents.js';
import type { GenerationNote } from '../profile/generate.js';
import { allowedText } from '../profile/model.js';
import type { Style } from '../profile/remove-set.js';
import type { RuntimeChoice } from '../profile/runtime-baselines.js';
import {
  errorsCell,
  type Recording,
  type RecordingWarning,
  recordingAbis,
  totalCalls,
  UNKNOWN_ERRORS,
  UNKNOWN_ERRORS_NOTE,
} from '../recording/model.js';
import type { Abi } from '../syscalls/abi.js';
import { style } from '../util/color.js';
import { renderTable } from '../util/table.js';
import { visible } from '../util/visible.js';
import { printJson, say, warn } from './output.js';

/** --widen and --binary, as generate, diff and report take them. */
export interface WideningFlags {
  widen: WidenChoice;
  binary: string[];
  args?: ArgsChoice;
}

export function wideningChoices(flags: WideningFlags): WideningChoices {
  return { widen: flags.widen, binaries: flags.binary, ...(flags.args ? { args: flags.args } : {}) };
}

export interface GenerationFlags extends WideningFlags {
  defaultAction: DefaultActionChoice;
  style: Style;
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

export function generationChoices(flags: GenerationFlags): GenerationChoices {
  return {
    defaultAction: flags.defaultAction,
    style: flags.style,
    runtime: flags.runtime,
    allow: flags.allow,
    deny: flags.deny,
    format: flags.format,
    spoApi: flags.spoApi,
    ...wideningChoices(flags),
  };
}

export function printNotes(notes: readonly GenerationNote[], runtime: RuntimeChoice): void {
  const names = (kind: GenerationNote['kind']) =>
    notes.filter((note) => note.kind === kind).map((note) => visible(note.name));
  const baseline = names('baseline');
  if (baseline.length > 0)
    say(style.dim(`added by the ${runtime} runtime baseline, not observed: ${baseline.join(' ')}`));
  for (const note of notes.filter((candidate) => candidate.kind === 'arguments'))
    say(style.dim(`argument rule: ${visible(note.name)}: ${visible(note.message)}`));
  const always = names('always');
  if (always.length > 0)
    say(style.dim(`always allowed so that a refused process can exit, not observed: ${always.join(' ')}`));
  // The names only: with --widen reachable they run to a hundred; `diff --why` gives each its reason.
  for (const kind of ['equivalent', 'reachable'] as const) {
    const widened = names(kind);
    if (widened.length === 0) continue;
    say(
      style.dim(
        `added by --widen (${kind === 'equivalent' ? 'equivalents of observed calls' : 'reachable from the binaries'}), not observed (${widened.length}; diff --why RECORDING says why each): ${widened.join(' ')}`,
      ),
    );
  }
  const heldBack = notes.filter((note) => note.kind === 'held-back');
  const heldFor = (why: string) =>
    heldBack.filter((note) => (note.heldFor ?? 'dangerous') === why).map((note) => note.name);
  const dangerous = heldFor('dangerous');
  if (dangerous.length > 0) {
    say(
      style.dim(
        `held back, dangerous and never observed (--allow NAME adds one the workload needs): ${dangerous.join(' ')}`,
      ),
    );
  }
  const unreachable = heldFor('unreachable');
  if (unreachable.length > 0) {
    say(
      style.dim(
        `held back, equivalents of observed calls that no binary of the workload can make (--widen reachable-all adds them): ${unreachable.join(' ')}`,
      ),
    );
  }
  const byKind = new Map<string, string[]>();
  for (const { heldFor: kind, name } of heldBack) {
    if (kind !== undefined && kind !== 'dangerous' && kind !== 'unreachable')
      byKind.set(kind, [...(byKind.get(kind) ?? []), name]);
  }
  if (byKind.size > 0) {
    const kinds = [...byKind].map(([kind, held]) => `${kind}: ${held.join(' ')}`).join('; ');
    say(
      style.dim(
        `held back, reachable but of a kind of work no recorded run shows (--widen reachable-all adds them, --allow NAME one): ${kinds}`,
      ),
    );
  }
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
  printWarnings(recording.warnings);
}

/** Every warning a recording carries: what may make a profile learned from it incomplete. */
export function printWarnings(warnings: readonly RecordingWarning[]): void {
  for (const warning of warnings) {
    warn(
      `${warning.file ? `${warning.file}${warning.line ? `:${warning.line}` : ''}: ` : ''}${warning.message}`,
    );
  }
}

/** Warnings a use returned: printed after its summary, so that they are the last thing read. */
export function printResultWarnings(result: PipelineResult): void {
  for (const warning of result.warnings) warn(warning);
}

/** What a learning command prints: the recording's summary, the profile's notes, where both went. */
export function printLearned(result: LearnResult, flags: LearningFlags): number {
  const { recording, profile } = result;
  printRecordingSummary(recording);
  printNotes(result.notes, flags.runtime);
  printResultWarnings(result);
  say(`recording: ${visible(result.recordingPath)}`);
  say(
    `profile:   ${visible(result.profilePath)} (${allowedText(profile)}, ${profile.architectures?.join(', ')})`,
  );
  if (flags.json) {
    printJson({
      recording: result.recordingPath,
      profile: result.profilePath,
      totals: totalCalls(recording),
      abis: recordingAbis(recording),
      warnings: recording.warnings,
      incomplete: result.incomplete,
      notes: result.notes,
    });
  }
  return result.exitStatus;
}
