import type { Abi } from '../src/syscalls/abi.js';
import type { ArgumentKey } from '../src/syscalls/arguments.js';

/**
 * What parsers produce: system-call counts per ABI and notices about what they could not see.
 * Parsers push into a sink rather than return objects per line so that memory stays flat and
 * a 200 MB trace costs no allocation per call.
 */
export const NOTICE_CODES = [
  'unknown-syscall',
  'truncated-input',
  'lost-records',
  'unresolved-process',
  'assumed-abi',
  'unreadable-line',
  'compat-abi',
  'audit-status-unknown',
  'incomplete-binaries',
  'unread-arguments',
] as const;
/** Recordings keep notices as warnings, so this list is also what a recording's schema accepts. */
export type NoticeCode = (typeof NOTICE_CODES)[number];

export interface ParseNotice {
  readonly code: NoticeCode;
  readonly message: string;
  readonly file?: string;
  readonly line?: number;
  readonly abi?: Abi;
  /** How many events the notice stands for (records lost, calls of an unknown number). */
  readonly count?: number;
  /** When the source says it happened (epoch seconds), if it does. */
  readonly timestamp?: number;
}

export interface ObservationSink {
  /** `syscall` is a name, or a raw number when the source had only that (audit, `strace -n`, `syscall_0x…`). */
  count(abi: Abi, syscall: string | number, calls: number, errors: number): void;
  notice(notice: ParseNotice): void;
  /**
   * One value a call of `syscall` passed in a learned argument (src/syscalls/arguments.ts:
   * `key` is the register index, or `flags` for clone3's structure); undefined when a call passed
   * one the source could not read, and `too-many` when the source itself stopped keeping values
   * past its bound (the eBPF backend): both leave the argument unconstrained. Sources that see no
   * arguments (strace -c, audit SECCOMP records) never call it; the eBPF backend calls it once per
   * distinct value the kernel kept, a trace parser once per distinct value. The sink bounds the set.
   */
  argument?(abi: Abi, syscall: string, key: ArgumentKey, value: bigint | undefined | 'too-many'): void;
}

/** A parser that is fed one line at a time; it throws InputError for lines it must reject. */
