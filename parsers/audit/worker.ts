import { open } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { FileLines } from '../read-lines.js';
import { BatchWriter, type RecordBatch, transferables } from './batch.js';
import { createAuditParser } from './parser.js';
import type { AuditLineParser } from './types.js';

/**
 * A worker thread of readAuditFile: reads the ranges of the log it is sent, each with a parser of
 * its own, and sends back their records in batches, or word that a range was not independent
 * (then the main thread reads it itself, in order).
 */

export interface WorkerData {
  path: string;
  source: string;
}

/** A range of whole lines: [start, end), or to the end of the file when `last`. */
export interface RangeRequest {
  index: number;
  start: number;
  end: number;
  last: boolean;
}

export interface RangeResult {
  index: number;
  independent: boolean;
  /** How many lines the range holds. */
  lines: number;
  batches: RecordBatch[];
}

const BATCH_RECORDS = 16 * 1024;
/** Thrown from a line handler to stop reading a range once it is known not to be independent. */
const STOP = new Error('not independent');

const port = parentPort;
if (port === null) throw new Error('parsers/audit/worker.js runs as a worker thread');
const { path, source } = workerData as WorkerData;
const handle = await open(path, 'r');
let parser: AuditLineParser | undefined;
const lines = new FileLines(handle, source, (bytes, start, end, lineNumber) => {
  const current = parser as AuditLineParser;
  current.pushBytes(bytes, start, end, lineNumber);
  if (!current.independent) throw STOP;
});

async function readRange({ index, start, end, last }: RangeRequest): Promise<void> {
  const batches: RecordBatch[] = [];
  const writer = new BatchWriter(BATCH_RECORDS);
  const current = createAuditParser({
    file: source,
    // The host stands in for the arch= of legacy records only, and those are never independent.
    host: 'x86_64',
    onRecord(record) {
      const full = writer.add(record);
      if (full) batches.push(full);
    },
    onNotice() {},
  });
  parser = current;
  lines.lineNumber = 0;
  let independent = true;
  try {
    await lines.read(start, last, last ? Number.POSITIVE_INFINITY : end);
  } catch {
    // Stopped, or an error the main thread meets again, with the right line number, reading the range itself.
    independent = false;
  }
  if (!independent || !current.independent) {
    const result: RangeResult = { index, independent: false, lines: 0, batches: [] };
    port?.postMessage(result);
    return;
  }
  batches.push(writer.take());
  const result: RangeResult = { index, independent: true, lines: lines.lineNumber, batches };
  port?.postMessage(result, batches.flatMap(transferables));
}

let queue = Promise.resolve();
port.on('message', (request: RangeRequest) => {
  queue = queue.then(() => readRange(request));
});
