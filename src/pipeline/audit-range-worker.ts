import { parentPort, workerData } from 'node:worker_threads';
import { type RangeTask, readRange } from './audit-ranges.js';

// One range of a large audit log, read in its own thread (see audit-ranges.ts).
parentPort?.postMessage(await readRange(workerData as RangeTask));
