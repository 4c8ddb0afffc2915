import type { Recording } from '../recording/model.js';
import type { Abi } from '../syscalls/abi.js';
import type { GenerationNote } from './generate.js';
import { exitPathOn } from './needs.js';
import type { RuntimeChoice } from './runtime-baselines.js';

/**
 * Why a profile allows a call: every allowed call has exactly one reason, the first that applies of
 * observation, the exit path, the runtime baseline, --allow and --widen. `diff` and the report show
 * it per call; the words for each are in src/report/words.ts.
 */

/** The call does the job of an observed one (src/profile/equivalents.ts). */
export interface EquivalentReason {
  kind: 'equivalent';
  /** The observed call it stands in for: `mkdirat` is the equivalent of `mkdir`. */
  of: string;
  /** Why the two do the same job. */
  why: string;
}

/** The workload's binaries can make the call (src/binaries), shown by one witness. */
export interface ReachableReason {
  kind: 'reachable';
  /** The imported function through which it is reached; absent when the binary's own code makes it. */
  function?: string;
  binary: string;
}

/** What widening proposed: an equivalent of an observed call, or a call the binaries can make. */
export type WideningReason = EquivalentReason | ReachableReason;

export type CallReason =
  /** A run was seen making it: counts over every run, and in how many of `ofRuns` runs. */
  | { kind: 'observed'; calls: number; errors?: number; runs: number; ofRuns: number }
  | WideningReason
  /** The container runtime calls it after installing the filter (src/profile/runtime-baselines.ts). */
  | { kind: 'baseline'; runtime: RuntimeChoice; versions: string[] }
  /** The exit path: every generated profile allows it, so that a refused process can still exit. */
  | { kind: 'always' }
  /** Added by --allow. */
  | { kind: 'allow' }
  /** A profile file allows it and no recording shows it was called: the reason is not known. */
  | { kind: 'profile-file'; file: string };

export type CallReasonKind = CallReason['kind'];

/** The order reasons are listed and counted in: observation first, then what was added and why. */
export const CALL_REASON_KINDS: readonly CallReasonKind[] = [
  'observed',
  'equivalent',
  'reachable',
  'baseline',
  'always',
  'allow',
  'profile-file',
];

/**
 * Why widening did not add a call: `dangerous` (never observed), `unreachable` (an equivalent no
 * binary of the workload can make, under `--widen reachable`), or the title of a kind of work no
 * run showed (src/profile/work-kinds.ts).
 */
export type HeldFor = 'dangerous' | 'unreachable' | (string & {});

/** A call widening proposed but did not add, and why. */
export interface HeldBack {
  name: string;
  reason: WideningReason;
  heldFor: HeldFor;
}

/**
 * What reasons are read from: the recording (observed calls), the notes of the generation that made
 * the profile, and the profile file when the profile was read rather than generated.
 */
export interface ReasonSource {
  recording?: Recording;
  notes: readonly GenerationNote[];
  /** A profile read from this file: what no recording or note explains is its own (reason unknown). */
  file?: string;
}

/**
 * The reason of each allowed name, by ABI: observed when the recording counts it there, else the
 * note that added it to a generated profile, else (a generated profile) the exit path, or the
 * profile file's, reason unknown.
 */
export function reasonsOf(source: ReasonSource): (name: string, abi: Abi) => CallReason {
  const { recording, file } = source;
  const notes = new Map<string, CallReason>();
  for (const note of source.notes)
    if (note.reason && note.kind !== 'held-back') notes.set(note.name, note.reason);
  return (name, abi) => {
    const stats = recording?.abis[abi]?.[name];
    if (stats && recording) {
      return {
        kind: 'observed',
        calls: stats.calls,
        ...(stats.errors === undefined ? {} : { errors: stats.errors }),
        runs: stats.runs,
        ofRuns: recording.runs,
      };
    }
    const noted = notes.get(name);
    if (noted) return noted;
    if (file === undefined && exitPathOn(abi).includes(name)) return { kind: 'always' };
    return { kind: 'profile-file', file: file ?? 'the profile' };
  };
}

/** The calls widening held back, from a generation's notes. */
export function heldBackOf(notes: readonly GenerationNote[]): HeldBack[] {
  return notes.flatMap((note) =>
    note.kind === 'held-back' &&
    note.reason &&
    (note.reason.kind === 'equivalent' || note.reason.kind === 'reachable')
      ? [{ name: note.name, reason: note.reason, heldFor: note.heldFor ?? 'dangerous' }]
      : [],
  );
}
