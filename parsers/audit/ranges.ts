import type { FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { FileLines } from '../read-lines.js';
import { BatchReader } from './batch.js';
import type { AuditLineParser } from './types.js';
import type { RangeRequest, RangeResult, WorkerData } from './worker.js';

/**
 * A large log is cut into ranges of whole lines, read by the main thread and by a worker thread
 * per further core, turn and turn about. The main thread hands the parser every range in order:
 * its own as it reads them, a worker's as the records the worker read (pushDecoded), or, when the
 * worker found that range was not independent of the lines before it, by reading it itself.
 */
const RANGE_BYTES = 8 * 1024 * 1024;
/** Below this a worker's start-up costs more than it saves. */
export const PARALLEL_MIN_BYTES = 64 * 1024 * 1024;
/** Ranges sent to a worker ahead of the one the main thread waits for: it is never idle, and never far ahead. */
const AHEAD = 2;
const NEWLINE = 0x0a;

interface Range {
  start: number;
  end: number;
  last: boolean;
}

/** Worker threads to use besides the main one: one per further core, at most 3. */
export function helperThreads(size: number): number {
  return size < PARALLEL_MIN_BYTES ? 0 : Math.min(availableParallelism() - 1, 3);
}

/** Ranges of about RANGE_BYTES, each starting at a line's start. */
async function rangesOf(handle: FileHandle, size: number): Promise<Range[]> {
  const starts = [0];
  const probe = Buffer.allocUnsafe(64 * 1024);
  for (let target = RANGE_BYTES; target < size; target += RANGE_BYTES) {
    const { bytesRead } = await handle.read(probe, 0, probe.length, target - 1);
    const newline = probe.subarray(0, bytesRead).indexOf(NEWLINE);
    // No newline near: a long line, which the range it is in will report.
    if (newline >= 0 && target + newline < size) starts.push(target + newline);
  }
  return starts.map((start, i) => {
    const next = starts[i + 1];
    return { start, end: next ?? size, last: next === undefined };
  });
}

class Helper {
  private readonly worker: Worker;
  private readonly waiting = new Map<
    number,
    { resolve(result: RangeResult): void; reject(error: unknown): void }
  >();
  private failure: unknown;

  constructor(data: WorkerData) {
    this.worker = new Worker(new URL('./worker.js', import.meta.url), {
      workerData: data,
      // Records die young, so a small young generation costs few collections and keeps the RSS low.
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
    });
    this.worker.on('message', (result: RangeResult) => {
      this.waiting.get(result.index)?.resolve(result);
      this.waiting.delete(result.index);
    });
    const fail = (error: unknown): void => {
      this.failure ??= error;
      for (const { reject } of this.waiting.values()) reject(error);
      this.waiting.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', () => fail(new Error('the worker thread ended')));
  }

  read(index: number, range: Range): Promise<RangeResult> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.set(index, { resolve, reject });
      const request: RangeRequest = { index, ...range };
      this.worker.postMessage(request);
    });
  }

  stop(): Promise<number> {
    return this.worker.terminate();
  }
}

/** Reads the regular file open as `handle`, `size` bytes long, with `threads` worker threads. */
export async function readInRanges(
  handle: FileHandle,
  size: number,
  lines: FileLines,
  parser: AuditLineParser,
  data: WorkerData,
  threads: number,
): Promise<void> {
  const ranges = await rangesOf(handle, size);
  const helpers = Array.from({ length: threads }, () => new Helper(data));
  const turns = threads + 1;
  const results = new Map<number, Promise<RangeResult>>();
  const send = (index: number): void => {
    const range = ranges[index];
    const helper = helpers[(index % turns) - 1];
    if (range === undefined || helper === undefined) return;
    const result = helper.read(index, range);
    // Handled when its turn comes; a failure then means the main thread reads the range.
    result.catch(() => undefined);
    results.set(index, result);
  };
  for (let index = 0; index < ranges.length && index < turns * AHEAD; index++) send(index);
  try {
    for (let index = 0; index < ranges.length; index++) {
      const range = ranges[index] as Range;
      const pending = results.get(index);
      results.delete(index);
      send(index + turns * AHEAD);
      const result = pending === undefined ? undefined : await pending.catch(() => undefined);
      if (result?.independent) {
        const reader = new BatchReader();
        const offset = lines.lineNumber;
        for (const batch of result.batches)
          reader.read(batch, offset, (record) => parser.pushDecoded(record));
        lines.lineNumber += result.lines;
      } else {
        await lines.read(range.start, range.last, range.last ? Number.POSITIVE_INFINITY : range.end);
      }
    }
  } finally {
    await Promise.all(helpers.map((helper) => helper.stop()));
  }
}
