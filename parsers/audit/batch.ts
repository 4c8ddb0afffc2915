import { ABIS } from '../../src/syscalls/abi.js';
import { SECCOMP_ACTIONS } from './actions.js';
import type { SeccompAuditRecord } from './types.js';

/**
 * Records as columns of numbers, to hand them from a worker thread to the main one: typed arrays
 * move between threads without being copied, where a million objects would be cloned one by one.
 * Strings (comm, exe, `ausearch -i` syscall names) are numbered; each batch carries the new ones.
 */
export interface RecordBatch {
  size: number;
  /** Strings first numbered in this batch, in order. */
  strings: string[];
  line: Float64Array;
  /** NaN: undefined. */
  timestamp: Float64Array;
  serial: Float64Array;
  pid: Float64Array;
  sig: Float64Array;
  /** A number, or NaN when the syscall is a name: then syscallName holds its string number. */
  syscall: Float64Array;
  /** String numbers; -1: undefined. */
  comm: Int32Array;
  exe: Int32Array;
  syscallName: Int32Array;
  abi: Uint8Array;
  action: Uint8Array;
  /** 0 false, 1 true, 2 undefined. */
  compat: Uint8Array;
}

const ABI_INDEX = new Map<string, number>(ABIS.map((abi, index) => [abi, index]));
const ACTION_INDEX = new Map<string, number>(SECCOMP_ACTIONS.map((action, index) => [action, index]));

/** The typed arrays of a batch, for postMessage's transfer list. */
export function transferables(batch: RecordBatch): ArrayBuffer[] {
  return [
    batch.line,
    batch.timestamp,
    batch.serial,
    batch.pid,
    batch.sig,
    batch.syscall,
    batch.comm,
    batch.exe,
    batch.syscallName,
    batch.abi,
    batch.action,
    batch.compat,
  ].map((column) => column.buffer as ArrayBuffer);
}

function emptyBatch(capacity: number): RecordBatch {
  return {
    size: 0,
    strings: [],
    line: new Float64Array(capacity),
    timestamp: new Float64Array(capacity),
    serial: new Float64Array(capacity),
    pid: new Float64Array(capacity),
    sig: new Float64Array(capacity),
    syscall: new Float64Array(capacity),
    comm: new Int32Array(capacity),
    exe: new Int32Array(capacity),
    syscallName: new Int32Array(capacity),
    abi: new Uint8Array(capacity),
    action: new Uint8Array(capacity),
    compat: new Uint8Array(capacity),
  };
}

/** Writes records into batches of `capacity`, numbering strings once for all batches. */
export class BatchWriter {
  private batch: RecordBatch;
  private readonly numbers = new Map<string, number>();

  constructor(private readonly capacity: number) {
    this.batch = emptyBatch(capacity);
  }

  /** Adds a record; returns the batch when this record filled it. */
  add(record: SeccompAuditRecord): RecordBatch | undefined {
    const batch = this.batch;
    const i = batch.size++;
    batch.line[i] = record.line;
    batch.timestamp[i] = record.timestamp ?? Number.NaN;
    batch.serial[i] = record.serial ?? Number.NaN;
    batch.pid[i] = record.pid ?? Number.NaN;
    batch.sig[i] = record.sig ?? Number.NaN;
    if (typeof record.syscall === 'number') {
      batch.syscall[i] = record.syscall;
      batch.syscallName[i] = -1;
    } else {
      batch.syscall[i] = Number.NaN;
      batch.syscallName[i] = this.number(record.syscall);
    }
    batch.comm[i] = record.comm === undefined ? -1 : this.number(record.comm);
    batch.exe[i] = record.exe === undefined ? -1 : this.number(record.exe);
    batch.abi[i] = ABI_INDEX.get(record.abi) as number;
    batch.action[i] = ACTION_INDEX.get(record.action) as number;
    batch.compat[i] = record.compat === undefined ? 2 : record.compat ? 1 : 0;
    return batch.size === this.capacity ? this.take() : undefined;
  }

  /** The records added since the last batch was taken, as a batch. */
  take(): RecordBatch {
    const batch = this.batch;
    this.batch = emptyBatch(this.capacity);
    return batch;
  }

  private number(text: string): number {
    let n = this.numbers.get(text);
    if (n === undefined) {
      n = this.numbers.size;
      this.numbers.set(text, n);
      this.batch.strings.push(text);
    }
    return n;
  }
}

/** Reads batches back into records, in order, with the strings of every batch read before. */
export class BatchReader {
  private readonly strings: string[] = [];

  /** Hands over each record of `batch`, its line moved on by `lineOffset`. */
  read(batch: RecordBatch, lineOffset: number, onRecord: (record: SeccompAuditRecord) => void): void {
    for (const text of batch.strings) this.strings.push(text);
    const strings = this.strings;
    const optional = (value: number): number | undefined => (Number.isNaN(value) ? undefined : value);
    for (let i = 0; i < batch.size; i++) {
      const syscall = batch.syscall[i] as number;
      const comm = batch.comm[i] as number;
      const exe = batch.exe[i] as number;
      const compat = batch.compat[i] as number;
      // The same keys in the same order as RecordReader makes: a record is the same object either way.
      onRecord({
        line: lineOffset + (batch.line[i] as number),
        timestamp: optional(batch.timestamp[i] as number),
        serial: optional(batch.serial[i] as number),
        pid: optional(batch.pid[i] as number),
        comm: comm < 0 ? undefined : strings[comm],
        exe: exe < 0 ? undefined : strings[exe],
        abi: ABIS[batch.abi[i] as number] as SeccompAuditRecord['abi'],
        syscall: Number.isNaN(syscall) ? (strings[batch.syscallName[i] as number] as string) : syscall,
        action: SECCOMP_ACTIONS[batch.action[i] as number] as SeccompAuditRecord['action'],
        sig: optional(batch.sig[i] as number),
        compat: compat === 2 ? undefined : compat === 1,
        assumedAbi: undefined,
      });
    }
  }
}
