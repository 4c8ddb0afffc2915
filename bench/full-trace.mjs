// Throughput and memory of the full-trace strace parser on generated traces of 50 MB and 200 MB.
// Needs the build: `npx tsc -p tsconfig.json && node bench/full-trace.mjs`.
// Each size is parsed in a child process of its own so that its peak RSS is not the other's.
import { execFileSync } from 'node:child_process';
import {
  createReadStream,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { appendFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SAMPLE = new URL('../samples/traces/strace-samples/local-f-tt-T-y.stderr.txt', import.meta.url);
const PARSER = new URL('../dist/parsers/strace.js', import.meta.url);
const MB = 1024 * 1024;
export const TARGET_MB_PER_S = 150;

/**
 * One block of real `strace -f -tt -T -y` output (threads, a fork, unfinished/resumed pairs, a line split by
 * "strace: Process N attached", an x32 personality switch), with its pids and clock made into placeholders.
 */
function template() {
  const text = readFileSync(SAMPLE, 'utf8');
  return text
    .replaceAll('8823', '\u0001')
    .replaceAll('8824', '\u0002')
    .replaceAll('8825', '\u0003')
    .replace(/^((?:\[pid +\S+\] )?)13:30:(\d\d)\.(\d{6})/gm, '$1\u0004:$2.$3');
}

/** Writes `repeats` blocks, each with fresh pids and hour, so no two blocks are byte-identical. */
async function generate(file, bytes) {
  const block = template();
  writeFileSync(file, '');
  let written = 0;
  let repeats = 0;
  let batch = [];
  let batchBytes = 0;
  while (written < bytes) {
    const pid = 1000 + ((repeats * 3) % 4_000_000);
    const hour = String(repeats % 24).padStart(2, '0');
    const text = block
      .replaceAll('\u0001', String(pid))
      .replaceAll('\u0002', String(pid + 1))
      .replaceAll('\u0003', String(pid + 2))
      .replaceAll('\u0004', `${hour}:${String(repeats % 60).padStart(2, '0')}`);
    batch.push(text);
    batchBytes += Buffer.byteLength(text);
    written += Buffer.byteLength(text);
    repeats++;
    if (batchBytes > 8 * MB) {
      await appendFile(file, batch.join(''));
      batch = [];
      batchBytes = 0;
    }
  }
  await appendFile(file, batch.join(''));
  return repeats;
}

/** Child side: parses one file and reports seconds, calls seen and RSS. */
async function parseOne(file) {
  const { learnFromStrace } = await import(PARSER.href);
  let calls = 0;
  let sinkCalls = 0;
  const sink = {
    count(_abi, _syscall, n) {
      calls += n;
      sinkCalls++;
    },
    notice() {},
  };
  let peakRss = 0;
  let peakHeap = 0;
  const sample = () => {
    const { rss, heapUsed } = process.memoryUsage();
    peakRss = Math.max(peakRss, rss);
    peakHeap = Math.max(peakHeap, heapUsed);
  };
  sample();
  const sampler = setInterval(sample, 10);
  const started = process.hrtime.bigint();
  const form = await learnFromStrace(createReadStream(file), file, sink, { host: 'x86_64' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(sampler);
  sample();
  const maxRss = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(JSON.stringify({ form, seconds, calls, sinkCalls, peakRss, peakHeap, maxRss }));
}

/** Generates the traces, parses each in a fresh process and returns the figures. */
export async function run({ sizesMb = [50, 200], log = console.log } = {}) {
  if (!existsSync(PARSER))
    throw new Error('bench/full-trace.mjs needs the build: run npx tsc -p tsconfig.json first');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'seccomp-learn-bench-'));
  const results = [];
  try {
    const perBlock = await countBlockCalls();
    for (const sizeMb of sizesMb) {
      const file = path.join(dir, `trace-${sizeMb}mb.txt`);
      const repeats = await generate(file, sizeMb * MB);
      const bytes = statSync(file).size;
      const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--parse', file], {
        encoding: 'utf8',
        maxBuffer: MB,
      });
      const child = JSON.parse(out);
      const mbPerSec = bytes / MB / child.seconds;
      const result = {
        sizeMb: Math.round((bytes / MB) * 10) / 10,
        seconds: Math.round(child.seconds * 1000) / 1000,
        mbPerSec: Math.round(mbPerSec),
        peakRssMb: Math.round(child.peakRss / MB),
        peakHeapMb: Math.round(child.peakHeap / MB),
        maxRssMb: Math.round(child.maxRss / MB),
        calls: child.calls,
        expectedCalls: perBlock * repeats,
        sinkCalls: child.sinkCalls,
      };
      if (result.calls !== result.expectedCalls) {
        throw new Error(
          `parser counted ${result.calls} calls, the generated trace has ${result.expectedCalls}`,
        );
      }
      results.push(result);
      log(
        `${result.sizeMb} MB: ${result.seconds} s, ${result.mbPerSec} MB/s ` +
          `(target ${TARGET_MB_PER_S}), peak RSS ${result.peakRssMb} MB (maxRSS ${result.maxRssMb} MB), ` +
          `peak heap ${result.peakHeapMb} MB, ` +
          `${result.calls} calls, ${result.sinkCalls} sink.count calls`,
      );
      rmSync(file);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

/** Calls in one template block, counted by the parser on the block alone; the bench checks the sum. */
async function countBlockCalls() {
  const { learnFromStrace } = await import(PARSER.href);
  const { Readable } = await import('node:stream');
  let calls = 0;
  const sink = {
    count(_abi, _syscall, n) {
      calls += n;
    },
    notice() {},
  };
  const block = template().replaceAll('\u0001', '1').replaceAll('\u0002', '2').replaceAll('\u0003', '3');
  await learnFromStrace(Readable.from([block.replaceAll('\u0004', '00:00')]), 'block', sink, {
    host: 'x86_64',
  });
  return calls;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === '--parse') {
    await parseOne(process.argv[3]);
  } else {
    const results = await run();
    const slow = results.filter((result) => result.mbPerSec < TARGET_MB_PER_S);
    if (slow.length > 0) process.exitCode = 1;
  }
}
