// The bpf backend's cost: `dd if=/dev/zero of=/dev/null bs=1 count=1000000` (two million syscalls)
// untraced and while the bpf backend's program counts it (target <= 3x), and bpftrace's start-up,
// from spawn to every probe attached (target < 1.5 s). strace -f -c on the same dd is shown for
// comparison. Needs the build (npm run build), root (or CAP_BPF+CAP_PERFMON), bpftrace and tracefs:
// without them the bench says what is missing and is skipped.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus as cores, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

export const TARGET_RATIO = 3;
export const TARGET_STARTUP_MS = 1500;
const BLOCKS = 1_000_000;
const DD = ['if=/dev/zero', 'of=/dev/null', 'bs=1', `count=${BLOCKS}`];

const dist = (path) => new URL(`../dist/${path}`, import.meta.url).href;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** A process's CPU time so far (user + system), from /proc/PID/stat, in ms. */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}
const CLOCK_TICKS = 100;

function timeDd(command = 'dd', args = DD) {
  const started = process.hrtime.bigint();
  execFileSync(command, args, { stdio: 'ignore' });
  return Number(process.hrtime.bigint() - started) / 1e6;
}

export async function run({ rounds = 3, log = console.log } = {}) {
  const { bpfReadiness, startBpftrace, commandProgram } = await import(dist('src/sources/bpf.js'));
  const { parseBpftraceOutput } = await import(dist('parsers/bpftrace.js'));
  const readiness = await bpfReadiness();
  if (!readiness.ok) {
    log(`bpf: skipped: ${readiness.missing}`);
    return { skipped: readiness.missing, ok: true };
  }
  const untraced = [];
  const counted = [];
  const startups = [];
  const cpus = [];
  let reads;
  timeDd();
  for (let round = 0; round < rounds; round++) {
    untraced.push(timeDd());
    const started = process.hrtime.bigint();
    const bpftrace = await startBpftrace(readiness.support, commandProgram(process.pid));
    startups.push(Number(process.hrtime.bigint() - started) / 1e6);
    cpus.push(cpuMs(bpftrace.pid));
    counted.push(timeDd());
    const output = parseBpftraceOutput(await bpftrace.stop(), 'bpftrace output');
    reads = output.maps.get('@calls')?.get('0,0');
  }
  let strace;
  try {
    strace = timeDd('strace', ['-f', '-c', '-o', '/dev/null', 'dd', ...DD]);
  } catch {
    strace = undefined;
  }
  const ratio = median(counted) / median(untraced);
  const startup = median(startups);
  log(
    `bpf: dd bs=1 count=${BLOCKS}: untraced ${median(untraced).toFixed(0)} ms, counted by the bpf backend ${median(counted).toFixed(0)} ms (median of ${rounds}): ${ratio.toFixed(2)}x (target <= ${TARGET_RATIO}x)${strace === undefined ? '' : `; strace -f -c ${strace.toFixed(0)} ms (${(strace / median(untraced)).toFixed(1)}x)`}`,
  );
  log(`bpf: read calls counted: ${reads} (dd's ${BLOCKS} blocks and its start-up)`);
  log(
    `bpf: bpftrace start-up (spawn to probes attached): ${startup.toFixed(0)} ms median of ${rounds} (target < ${TARGET_STARTUP_MS} ms), runs ${startups.map((ms) => ms.toFixed(0)).join(', ')} ms; bpftrace's own CPU time by then ${median(cpus).toFixed(0)} ms (load average ${loadavg()[0].toFixed(1)} on ${cores().length} cores: wall time beyond the CPU time is waiting for a core)`,
  );
  return {
    ratio,
    startupMs: startup,
    startupCpuMs: median(cpus),
    reads,
    ok: ratio <= TARGET_RATIO && startup < TARGET_STARTUP_MS && reads >= BLOCKS,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { ok } = await run();
  process.exitCode = ok ? 0 : 1;
}
