import { type FileHandle, open } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { NoticeEvent } from '../../parsers/audit/notices.js';
import { NoticeRecorder } from '../../parsers/audit/notices.js';
import { type AuditLineParser, createAuditParser } from '../../parsers/audit.js';
import { InputError } from '../errors.js';
import {
  type AuditFilter,
  type CallCounter,
  countIfMatched,
  needsProcessNames,
  recordMatcher,
} from '../recording/audit-filter.js';
import type { RecordingBuilder } from '../recording/builder.js';
import { addErrors } from '../recording/model.js';
import { FileLines } from '../sources/lines.js';
import type { Abi } from '../syscalls/abi.js';

/**
 * A large audit.log is read in ranges, one per core: parsing a record costs about a microsecond of
 * JavaScript, and at a million records that, not reading the file, is the run time. Each worker
 * thread matches and counts its range's records and hands back the sums and its notices in order;
 * the range before it is finished first, so counts, notices and errors come out exactly as one
 * parser reading every line would give them. A range that holds lines whose reading depends on
 * the lines before them (journald or printk copies, loss messages) is read again in order.
 */
export const PARALLEL_FROM_BYTES = 64 * 1024 * 1024;

/** What one range's records added up to, per ABI and raw syscall number (or name). */
export type RangeTally = [abi: Abi, syscall: string | number, calls: number, errors: number | undefined][];

export interface RangeTask {
  path: string;
  name: string;
  start: number;
  end: number;
  host: Abi;
  filter: AuditFilter;
}

export type RangeResult =
  | {
      kind: 'read';
      lines: number;
      records: number;
      matched: number;
      undated: number;
      tally: RangeTally;
      events: NoticeEvent[];
    }
  | { kind: 'needs-order' }
  | { kind: 'failed'; line?: number; problem: string };

/** A range's counts, summed the way RecordingBuilder sums them, handed back as plain data. */
class RangeTallies implements CallCounter {
  private readonly byAbi = new Map<
    Abi,
    Map<string | number, { calls: number; errors: number | undefined }>
  >();

  count(abi: Abi, syscall: string | number, calls: number, errors: number | undefined): void {
    let byCall = this.byAbi.get(abi);
    if (!byCall) {
      byCall = new Map();
      this.byAbi.set(abi, byCall);
    }
    const tally = byCall.get(syscall);
    if (tally) {
      tally.calls += calls;
      tally.errors = addErrors(tally.errors, errors);
    } else byCall.set(syscall, { calls, errors });
  }

  entries(): RangeTally {
    const tally: RangeTally = [];
    for (const [abi, byCall] of this.byAbi)
      for (const [syscall, { calls, errors }] of byCall) tally.push([abi, syscall, calls, errors]);
    return tally;
  }
}

/** Thrown inside a range to stop reading it: the range must be read in order instead. */
class NeedsOrder extends Error {}

/** Reads one range of a log: the worker thread's whole job. */
export async function readRange(task: RangeTask): Promise<RangeResult> {
  const matcher = recordMatcher(task.filter);
  const notices = new NoticeRecorder();
  const tallies = new RangeTallies();
  let matched = 0;
  const parser = createAuditParser({
    file: task.name,
    host: task.host,
    processNames: needsProcessNames(task.filter),
    onRecord(record) {
      if (countIfMatched(record, matcher, tallies)) matched++;
    },
    onNotice() {
      // Notices are recorded by `range.notices` and replayed in order by the reader of the whole log.
    },
    range: {
      notices,
      onOrderedLine() {
        throw new NeedsOrder();
      },
    },
  });
  const handle = await open(task.path, 'r');
  try {
    const lines = new FileLines(handle, task.name, (bytes, start, end, lineNumber) =>
      parser.pushBytes(bytes, start, end, lineNumber),
    );
    await lines.read(task.start, true, task.end);
    const tally = tallies.entries();
    return {
      kind: 'read',
      lines: lines.lineNumber,
      records: parser.records,
      matched,
      undated: matcher.undated,
      tally,
      events: notices.events,
    };
  } catch (error) {
    if (error instanceof NeedsOrder) return { kind: 'needs-order' };
    if (error instanceof InputError)
      return { kind: 'failed', ...(error.line ? { line: error.line } : {}), problem: error.problem };
    throw error;
  } finally {
    await handle.close();
  }
}

/** Range boundaries just after a newline, about `parts` equal ranges; fewer when lines are long. */
async function rangeStarts(handle: FileHandle, size: number, parts: number): Promise<number[]> {
  const starts = [0];
  const probe = Buffer.allocUnsafe(64 * 1024);
  for (let part = 1; part < parts; part++) {
    const at = Math.floor((size * part) / parts);
    const { bytesRead } = await handle.read(probe, 0, probe.length, at);
    const newline = probe.subarray(0, bytesRead).indexOf(0x0a);
    const start = newline < 0 ? -1 : at + newline + 1;
    if (start > (starts.at(-1) ?? 0) && start < size) starts.push(start);
  }
  return starts;
}

function inWorker(task: RangeTask): Promise<RangeResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./audit-range-worker.js', import.meta.url), { workerData: task });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the audit range worker exited with ${code}`));
    });
  });
}

export interface RangedRead {
  /** Records matched in the ranges the workers read; the first range's went through `parser`'s onRecord. */
  matched: number;
  undated: number;
}

/**
 * Reads the regular file `path` into `parser`: the first range here, the others in worker threads
 * whose sums go to `builder` and whose notices `parser` absorbs, in file order. Undefined when the
 * file is too small or the machine has one core: then read it whole.
 */
export async function readAuditFileInRanges(
  task: Omit<RangeTask, 'start' | 'end'>,
  parser: AuditLineParser,
  builder: RecordingBuilder,
  parallelFromBytes = PARALLEL_FROM_BYTES,
): Promise<RangedRead | undefined> {
  const cores = Math.min(availableParallelism(), 4);
  if (cores < 2) return undefined;
  const handle = await open(task.path, 'r');
  try {
    const stats = await handle.stat();
    if (!stats.isFile() || stats.size < parallelFromBytes) return undefined;
    const starts = await rangeStarts(handle, stats.size, cores);
    if (starts.length < 2) return undefined;
    const ends = [...starts.slice(1), stats.size];
    const others = starts
      .slice(1)
      .map((start, index) => inWorker({ ...task, start, end: ends[index + 1] ?? stats.size }));
    // Settled here, so that an error of a later range waits for the earlier ones, as in order.
    for (const pending of others) pending.catch(() => undefined);
    const lines = new FileLines(handle, task.name, (bytes, start, end, lineNumber) =>
      parser.pushBytes(bytes, start, end, lineNumber),
    );
    await lines.read(0, true, ends[0]);
    const read: RangedRead = { matched: 0, undated: 0 };
    for (const [index, pending] of others.entries()) {
      const result = await pending;
      if (result.kind === 'needs-order') {
        await lines.read(starts[index + 1] ?? stats.size, true, ends[index + 1]);
        continue;
      }
      if (result.kind === 'failed')
        throw new InputError(
          task.name,
          result.line === undefined ? undefined : result.line + lines.lineNumber,
          result.problem,
        );
      parser.absorb(result, lines.lineNumber);
      lines.lineNumber += result.lines;
      for (const [abi, syscall, calls, errors] of result.tally) builder.count(abi, syscall, calls, errors);
      read.matched += result.matched;
      read.undated += result.undated;
    }
    return read;
  } finally {
    await handle.close();
  }
}
