import type { LineParser } from '../../src/sources/lines.js';
import type { Abi } from '../../src/syscalls/abi.js';
import type { ParseNotice } from '../observation.js';
import type { SeccompAction } from './actions.js';

export interface SeccompAuditRecord {
  line: number;
  /** Epoch seconds with millisecond fraction. */
  timestamp?: number;
  serial?: number;
  pid?: number;
  /** As the kernel saw them; hex-encoded values are decoded. */
  comm?: string;
  exe?: string;
  abi: Abi;
  /** The raw number as the kernel printed it (ABI offsets included); a name only from `ausearch -i`. */
  syscall: string | number;
  action: SeccompAction;
  sig?: number;
  compat?: boolean;
  /** The record had no `arch=` (legacy type 1701): the ABI is the host's. */
  assumedAbi?: boolean;
}

export interface AuditParserOptions {
  /** Named in notices and errors. */
  file: string;
  /** Stands in for the missing `arch=` of legacy records. */
  host: Abi;
  onRecord(record: SeccompAuditRecord): void;
  onNotice(notice: ParseNotice): void;
}

export interface AuditLineParser extends LineParser {
  /** The line in `bytes` from `start` to `end` (no newline), read without turning it into a string. */
  pushBytes(bytes: Buffer, start: number, end: number, lineNumber: number): void;
}

/** How a record reached the text: journald and printk both carry every record when no auditd runs. */
export const VIA_AUDITD = 0;
export const VIA_PRINTK = 1;
export const VIA_JOURNAL = 2;
export const VIA_LEGACY = 3;
