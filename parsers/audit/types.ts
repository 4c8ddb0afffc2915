import type { LineParser } from '../../src/sources/lines.js';
import type { Abi } from '../../src/syscalls/abi.js';
import type { ParseNotice } from '../observation.js';
import type { SeccompAction } from './actions.js';
import type { NoticeEvent, NoticeRecorder } from './notices.js';

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
  /** False when no record at all is an answer, not an input error (verify: the profile covered the run). */
  requireRecords?: boolean;
  /** False when nothing reads a record's comm and exe: they are then left undefined, not decoded. */
  processNames?: boolean;
  /**
   * For a worker reading one range of a log: its notices are recorded for the reader of the whole
   * log to replay (replayNotices), and `onOrderedLine` hears of a line whose reading depends on the
   * lines before it (journald and printk copies, loss messages): the range must then be read in order.
   */
  range?: { notices: NoticeRecorder; onOrderedLine(): void };
}

/** What a worker learned from one range of a log, for absorb(). */
export interface RangeNotices {
  records: number;
  events: readonly NoticeEvent[];
}

export interface AuditLineParser extends LineParser {
  /** The line in `bytes` from `start` to `end` (no newline), read without turning it into a string. */
  pushBytes(bytes: Buffer, start: number, end: number, lineNumber: number): void;
  /** Takes in a range another parser read, as if its lines had been pushed here next. */
  absorb(range: RangeNotices, lineOffset: number): void;
  /** The records read so far. */
  readonly records: number;
}

/** How a record reached the text: journald and printk both carry every record when no auditd runs. */
export const VIA_AUDITD = 0;
export const VIA_PRINTK = 1;
export const VIA_JOURNAL = 2;
export const VIA_LEGACY = 3;
