// Merge of 1,000 recordings of 80 syscalls each, through the real CLI (`seccomp-learn merge`),
// reading every file from disk. Target: at most 1 s. Needs the build (npm run build).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { syntheticRecording } from './synthetic-recording.mjs';

const BIN = fileURLToPath(new URL('../bin/seccomp-learn.js', import.meta.url));
const { SYSCALL_TABLE_ROWS } = await import('../dist/src/syscalls/table.generated.js');
export const TARGET_SECONDS = 1;

function recording(index, names) {
  const abis = { x86_64: {} };
  // Each run sees 80 of 100 syscalls, so "seen in N of M runs" varies.
  for (let k = 0; k < 80; k++) {
    const name = names[(index + k) % names.length];
    abis.x86_64[name] = { calls: 1 + ((index * 31 + k) % 500), errors: k % 7 === 0 ? 1 : 0, runs: 1 };
  }
  return syntheticRecording(index, abis);
}

export async function run({ count = 1000, log = console.log } = {}) {
  const names = SYSCALL_TABLE_ROWS.filter((row) => row[2] >= 0)
    .slice(0, 100)
    .map((row) => row[0]);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sl-bench-merge-'));
  try {
    const files = [];
    for (let index = 0; index < count; index++) {
      const file = path.join(dir, `run-${index}.recording.json`);
      writeFileSync(file, JSON.stringify(recording(index, names), null, 2));
      files.push(file);
    }
    const out = path.join(dir, 'merged.recording.json');
    const started = process.hrtime.bigint();
    execFileSync(process.execPath, [BIN, 'merge', ...files, '-o', out], {
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    log(
      `merge: ${count} recordings x 80 syscalls in ${seconds.toFixed(3)} s (target <= ${TARGET_SECONDS} s)`,
    );
    return { count, seconds, ok: seconds <= TARGET_SECONDS };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { ok } = await run();
  process.exitCode = ok ? 0 : 1;
}
