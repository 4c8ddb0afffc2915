// 100,000 distinct syscall names through the real CLI, on files on disk: `merge` of recordings,
// `report` (Markdown and text), `diff` against Docker's default and `merge --check`. Target: each
// at most 5 s of wall clock (CPU time is printed too). Needs the build (npm run build). Names
// beyond the ABI's real ones are made up: recordings accept any name (an older or newer kernel's),
// and every path must stay linear in them. `node bench/scale.mjs 10000` runs another size.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { syntheticRecording } from './synthetic-recording.mjs';

const BIN = fileURLToPath(new URL('../bin/seccomp-learn.js', import.meta.url));
const { SYSCALL_TABLE_ROWS } = await import('../dist/src/syscalls/table.generated.js');
export const TARGET_SECONDS = 5;
const RUNS = 4;

/** `count` distinct names: the real x86_64 ones first, then made-up ones. */
export function syscallNames(count) {
  const real = [...new Set(SYSCALL_TABLE_ROWS.filter((row) => row[2] >= 0).map((row) => row[0]))];
  const names = real.slice(0, Math.min(real.length, count));
  for (let index = 0; names.length < count; index++) names.push(`made_up_${index.toString(36)}`);
  return names;
}

/** Run `index` of RUNS sees three quarters of the names, so together they see all of them. */
export function recording(index, names) {
  const table = {};
  const quarter = Math.ceil(names.length / RUNS);
  for (let k = 0; k < names.length; k++) {
    if (Math.floor(k / quarter) === index) continue;
    table[names[k]] = { calls: 1 + ((index * 31 + k) % 500), errors: k % 7 === 0 ? 1 : 0, runs: 1 };
  }
  const sorted = Object.fromEntries(
    Object.keys(table)
      .sort()
      .map((name) => [name, table[name]]),
  );
  return syntheticRecording(index, { x86_64: sorted });
}

/** A Docker-format profile allowing every other name: `merge --check` finds half of them missing. */
export function profile(names) {
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 1,
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [{ names: names.filter((_, index) => index % 2 === 0), action: 'SCMP_ACT_ALLOW' }],
  };
}

/**
 * CPU seconds (user + system) of this process's finished children, from /proc/self/stat (cutime,
 * cstime in clock ticks, 100 a second on Linux): a busy machine slows the wall clock, not this.
 */
function childCpuSeconds() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/** Wall-clock and CPU seconds of one CLI run; wall is Infinity past the 120 s timeout. */
function time(args, { expectExit = 0 } = {}) {
  const cpu = childCpuSeconds();
  const started = process.hrtime.bigint();
  const done = () => ({
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    cpu: childCpuSeconds() - cpu,
  });
  try {
    execFileSync(process.execPath, [BIN, ...args], {
      stdio: ['ignore', 'ignore', 'ignore'],
      timeout: 120_000,
      env: { ...process.env, NO_COLOR: '1' },
    });
    if (expectExit !== 0) throw new Error(`seccomp-learn ${args[0]} exited 0, expected ${expectExit}`);
  } catch (error) {
    if (error.signal) return { seconds: Number.POSITIVE_INFINITY, cpu: Number.NaN };
    if (error.status !== expectExit) throw error;
  }
  return done();
}

export async function run({ count = 100_000, log = console.log } = {}) {
  const names = syscallNames(count);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sl-bench-scale-'));
  const file = (name) => path.join(dir, name);
  try {
    const runs = [];
    for (let index = 0; index < RUNS; index++) {
      runs.push(file(`run-${index}.recording.json`));
      writeFileSync(runs.at(-1), JSON.stringify(recording(index, names), null, 2));
    }
    writeFileSync(file('app.json'), JSON.stringify(profile(names), null, 2));
    const merged = file('merged.recording.json');
    const figures = [
      ['merge', time(['merge', ...runs, '-o', merged])],
      ['report md', time(['report', merged, '-o', file('review.md')])],
      ['report text', time(['report', merged, '-o', file('review.txt')])],
      ['diff', time(['diff', merged])],
      ['merge --check', time(['merge', '--check', file('app.json'), merged], { expectExit: 1 })],
    ];
    const label = count.toLocaleString('en-US');
    for (const [name, { seconds, cpu }] of figures) {
      const shown = Number.isFinite(seconds)
        ? `${seconds.toFixed(3)} s (${cpu.toFixed(2)} s CPU)`
        : 'over 120 s (stopped)';
      log(`scale: ${name} of ${label} names in ${shown} (target <= ${TARGET_SECONDS} s)`);
    }
    return {
      count,
      figures: Object.fromEntries(figures),
      ok: figures.every(([, { seconds }]) => seconds <= TARGET_SECONDS),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const count = Number(process.argv[2] ?? 100_000);
  const { ok } = await run({ count });
  process.exitCode = ok ? 0 : 1;
}
