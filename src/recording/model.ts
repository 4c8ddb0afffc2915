import type { NoticeCode } from '../../parsers/observation.js';
import type { HostInfo } from '../sources/host.js';
import type { Abi } from '../syscalls/abi.js';
import {
  type ArgumentKey,
  argumentValueOf,
  argumentValueText,
  MAX_ARGUMENT_VALUES,
} from '../syscalls/arguments.js';

/** Bump the suffix when a change would make an older seccomp-learn misread a recording. */
export const RECORDING_FORMAT = 'seccomp-learn/recording@1';

export const SOURCE_KINDS = ['strace-summary', 'strace-trace', 'audit', 'container', 'bpf'] as const;
/** How `record` observed the run: strace, the kernel's SECCOMP audit records, or counting in the kernel with eBPF (bpftrace). */
export const BACKENDS = ['strace', 'audit', 'bpf'] as const;
export type Backend = (typeof BACKENDS)[number];
export type SourceKind = (typeof SOURCE_KINDS)[number];

export interface SyscallStats {
  calls: number;
  /**
   * Calls that failed; absent when unknown. Audit records show that a call was made, not what it
   * returned, so a syscall seen in them has no error count unless seccomp itself refused every call.
   */
  errors?: number;
  /** How many of the recording's runs saw this syscall at least once. */
  runs: number;
  /**
   * For the syscalls whose arguments are learned (src/syscalls/arguments.ts), the values seen per
   * argument. Absent: the source shows no arguments (strace -c, audit SECCOMP records), so any
   * value may have been passed.
   */
  args?: Partial<Record<ArgumentKey, ArgumentValues>>;
}

/**
 * The values one argument took, as `0x…` text, sorted; or `unbounded`: more than
 * MAX_ARGUMENT_VALUES distinct values (`too-many`), or a call whose value could not be read
 * (`unreadable`). An unbounded argument is left unconstrained by the profile.
 */
export type ArgumentValues = { values: string[] } | { unbounded: 'too-many' | 'unreadable' };

/** The set of values, or the reason there is none. */
export type ArgumentSet = ReadonlySet<bigint> | 'too-many' | 'unreadable';

export function argumentSetOf(values: ArgumentValues): ArgumentSet {
  return 'values' in values ? new Set(values.values.map(argumentValueOf)) : values.unbounded;
}

/** The recording's form of a set: bounded, sorted. */
export function argumentValuesOf(set: ArgumentSet): ArgumentValues {
  if (typeof set === 'string') return { unbounded: set };
  if (set.size > MAX_ARGUMENT_VALUES) return { unbounded: 'too-many' };
  return { values: [...set].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map(argumentValueText) };
}

/** The union of two sets: unreadable wins over too many, and too many over any set. */
export function unionArgumentSets(a: ArgumentSet, b: ArgumentSet): ArgumentSet {
  if (a === 'unreadable' || b === 'unreadable') return 'unreadable';
  if (a === 'too-many' || b === 'too-many') return 'too-many';
  const union = new Set([...a, ...b]);
  return union.size > MAX_ARGUMENT_VALUES ? 'too-many' : union;
}

/**
 * The argument values of two entries of the same syscall: a side without argument data makes the
 * union without it (any value may have been passed there).
 */
export function mergeArguments(
  a: SyscallStats['args'],
  b: SyscallStats['args'],
): SyscallStats['args'] | undefined {
  if (a === undefined || b === undefined) return undefined;
  const merged: Partial<Record<ArgumentKey, ArgumentValues>> = {};
  for (const key of Object.keys(a) as ArgumentKey[]) {
    const left = a[key];
    const right = b[key];
    if (left === undefined || right === undefined) continue;
    merged[key] = argumentValuesOf(unionArgumentSets(argumentSetOf(left), argumentSetOf(right)));
  }
  return merged;
}

/**
 * What each source can tell of the learned arguments (src/syscalls/arguments.ts; docs/arguments.md).
 * Without values, generate keeps Docker's restrictive forms (src/profile/argument-rules.ts).
 */
export const ARGUMENTS_BY_SOURCE: Readonly<Record<SourceKind, string>> = {
  'strace-trace': 'every learned argument, as strace decoded it',
  'strace-summary': 'none: a strace -c summary has counts only',
  audit:
    'none: a SECCOMP record names the call, not its arguments (SYSCALL records carry a0-a3, but cannot be joined to it; they are read only when seccomp-learn records a container and adds the rules)',
  container:
    "the learned arguments in registers (clone's and unshare's flags, setns's nstype, socket's domain, personality's persona, prctl's option) from SYSCALL records of audit rules added while recording, kept where the rule logged as many calls as seccomp did; not clone3's flags, which are in memory",
  bpf: "every learned argument of native calls, from the registers at their per-syscall sys_enter tracepoints (clone3's flags from its structure); not those of i386 calls, which those tracepoints do not see (the profile keeps Docker's form for them)",
};

/** Where one run's observations came from; a merged recording keeps every input's. */
export interface Provenance {
  source: SourceKind;
  command?: string[];
  pid?: number;
  container?: { engine: string; id?: string; image?: string; attribution?: ContainerAttributionSummary };
  inputs: string[];
  startedAt?: string;
  endedAt?: string;
  host: HostInfo;
  /** The recording backend `record` used (absent: recordings made before backends, or learnt from files). */
  backend?: Backend;
  strace?: string;
  /** The bpftrace version of a bpf recording. */
  bpftrace?: string;
  /** What the source can tell of the learned arguments (ARGUMENTS_BY_SOURCE), so that a recording says it. */
  arguments?: string;
  seccompLearn: string;
  exitCode?: number;
  /** The executables the run started, as host paths: what `--widen reachable` reads. */
  binaries?: string[];
  /**
   * The shared libraries those executables load, found where the run happened (a container's image)
   * at recording time, as host paths. Absent for a host run: its libraries are the host's own.
   */
  libraries?: string[];
}

/** How the audit records of a container run were placed: what the recording includes and what it left out. */
export interface ContainerAttributionSummary {
  /** The container's processes resolved to its cgroup while they ran. */
  processesPlacedLive: number;
  /** The container's processes that ended first and were placed through their parent. */
  processesPlacedByParent: number;
  /** Records of processes that could not be placed: left out, and a warning. */
  unresolvedRecords: number;
  /** Records of other containers and host processes in the same window: left out. */
  otherRecords: number;
}

export type WarningCode = NoticeCode;

export interface RecordingWarning {
  code: WarningCode;
  message: string;
  file?: string;
  line?: number;
  abi?: Abi;
  count?: number;
  timestamp?: number;
}

export interface Recording {
  format: typeof RECORDING_FORMAT;
  runs: number;
  /** Per ABI, per syscall name (sorted), what was seen. */
  abis: Partial<Record<Abi, Record<string, SyscallStats>>>;
  provenance: Provenance[];
  warnings: RecordingWarning[];
}

export function recordingAbis(recording: Recording): Abi[] {
  return (Object.keys(recording.abis) as Abi[]).filter(
    (abi) => Object.keys(recording.abis[abi] ?? {}).length > 0,
  );
}

/** Errors when every syscall's are known, else absent. */
export function totalCalls(recording: Recording): { calls: number; errors?: number; syscalls: number } {
  let calls = 0;
  let errors: number | undefined = 0;
  let syscalls = 0;
  for (const table of Object.values(recording.abis)) {
    for (const stats of Object.values(table ?? {})) {
      calls += stats.calls;
      errors = errors === undefined || stats.errors === undefined ? undefined : errors + stats.errors;
      syscalls++;
    }
  }
  return { calls, ...(errors === undefined ? {} : { errors }), syscalls };
}

/** How tables show errors that are unknown; UNKNOWN_ERRORS_NOTE explains it under the table. */
export const UNKNOWN_ERRORS = '?';
export const UNKNOWN_ERRORS_NOTE =
  '? errors unknown: audit records show that a call was made, not whether it failed';

/** A table's errors cell: blank for none (or for a row with no calls), UNKNOWN_ERRORS when unknown. */
export function errorsCell(row: { calls?: number; errors?: number }): string {
  if (row.calls === undefined) return '';
  if (row.errors === undefined) return UNKNOWN_ERRORS;
  return row.errors > 0 ? String(row.errors) : '';
}

/** Errors where a sum of them is unknown if any part is. */
export function addErrors(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : a + b;
}
