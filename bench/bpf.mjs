// The bpf backend's cost, side by side with the workload untraced:
// - host: `dd if=/dev/zero of=/dev/null bs=1 count=1000000` (two million syscalls) while the host
//   command program counts it (target <= 3x); strace -f -c on the same dd for comparison;
// - container: `docker run … dd bs=1 count=200000` while the container program counts it, run as
//   record runs it (its allow-everything profile), against the plain `docker run` (target <= 1.5x);
//   the whole `record --backend bpf` and `record --backend audit` of it are timed too;
// - a server: python's http.server in a container (--network none) answering 2,000 requests of a
//   client in the same container (target <= 1.1x);
// - bpftrace's start-up, from spawn to every probe attached, for both programs (target < 1.5 s).
// Needs the build (npm run build), root (or CAP_BPF+CAP_PERFMON), bpftrace and tracefs; the
// container parts need Docker with the sl-busybox:test and sl-debian:test images
// (scripts/setup-e2e.sh): without them the bench says what is missing and skips that part.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus as cores, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TARGET_RATIO = 3;
export const TARGET_CONTAINER_RATIO = 1.5;
export const TARGET_SERVER_RATIO = 1.1;
export const TARGET_STARTUP_MS = 1500;
const CONTAINER_BLOCKS = 200_000;
const SERVER_REQUESTS = 2000;
const BIN = fileURLToPath(new URL('../bin/seccomp-learn.js', import.meta.url));
const BLOCKS = 1_000_000;
const DD = ['if=/dev/zero', 'of=/dev/null', 'bs=1', `count=${BLOCKS}`];

const dist = (path) => new URL(`../dist/${path}`, import.meta.url).href;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
/**
 * The slowdown: each round times the workload untraced, then counted, back to back, and the
 * median of those per-round ratios is the figure. This VM's speed drifts by tens of percent over
 * minutes; a pair run seconds apart shares the drift, two medians taken over minutes do not.
 */
function pairedRatio(untraced, counted) {
  const ratios = counted.map((ms, round) => ms / untraced[round]);
  return {
    ratio: median(ratios),
    range: `rounds ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}x`,
  };
}

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

const DOCKER_RUN = ['run', '--rm', '--network', 'none'];
const CONTAINER_DD = [
  'sl-busybox:test',
  'dd',
  'if=/dev/zero',
  'of=/dev/null',
  'bs=1',
  `count=${CONTAINER_BLOCKS}`,
];
/** A server and its client in one container: http.server on the loopback, answering urllib's requests one connection each. */
const SERVER_SCRIPT = `import http.server, threading, urllib.request
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args): pass
server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Quiet)
threading.Thread(target=server.serve_forever, daemon=True).start()
url = 'http://127.0.0.1:%d/etc/hostname' % server.server_address[1]
for _ in range(${SERVER_REQUESTS}):
    urllib.request.urlopen(url).read()
server.shutdown()
`;
const CONTAINER_SERVER = ['sl-debian:test', 'python3', '-c', SERVER_SCRIPT];

function imagesPresent(images) {
  try {
    execFileSync('docker', ['image', 'inspect', ...images], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * A container's wall time untraced (plain `docker run`) and while the container program counts (the
 * `docker run` under the allow-everything profile, as record runs it), in `rounds` pairs (see
 * pairedRatio); and bpftrace's start-up for that program.
 */
async function containerRatio(support, workload, rounds) {
  const { startBpftrace, containerProgram } = await import(dist('src/sources/bpf.js'));
  const { allowProfile } = await import(dist('src/profile/log-profile.js'));
  const { profileJson } = await import(dist('src/profile/model.js'));
  const directory = mkdtempSync(join(tmpdir(), 'sl-bench-bpf-'));
  const profile = join(directory, 'allow.json');
  writeFileSync(profile, profileJson(allowProfile()));
  const time = (args) => timeDd('docker', [...DOCKER_RUN, ...args, ...workload]);
  const untraced = [];
  const counted = [];
  const startups = [];
  try {
    time([]);
    for (let round = 0; round < rounds; round++) {
      untraced.push(time([]));
      const started = process.hrtime.bigint();
      const bpftrace = await startBpftrace(support, containerProgram(support.task, process.pid));
      startups.push(Number(process.hrtime.bigint() - started) / 1e6);
      counted.push(time(['--security-opt', `seccomp=${profile}`]));
      await bpftrace.stop();
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
  return {
    untraced: median(untraced),
    counted: median(counted),
    ...pairedRatio(untraced, counted),
    startup: median(startups),
  };
}

/** One whole `record --backend BACKEND` of a docker run: its wall time and the read calls it recorded. */
function timeRecord(backend, workload) {
  const directory = mkdtempSync(join(tmpdir(), 'sl-bench-record-'));
  const prefix = join(directory, 'r');
  const started = process.hrtime.bigint();
  try {
    execFileSync(
      process.execPath,
      [
        BIN,
        'record',
        '--backend',
        backend,
        '--widen',
        'none',
        '-o',
        prefix,
        '--',
        'docker',
        ...DOCKER_RUN,
        ...workload,
      ],
      { stdio: 'ignore' },
    );
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const recording = JSON.parse(readFileSync(`${prefix}.recording.json`, 'utf8'));
    return { ms, reads: recording.abis.x86_64?.read?.calls, warnings: recording.warnings.length };
  } catch (error) {
    return { ms: Number(process.hrtime.bigint() - started) / 1e6, failed: `exit ${error.status}` };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

const describeRecord = (name, run) =>
  `${name} ${run.ms.toFixed(0)} ms${run.failed ? ` (failed: ${run.failed})` : ` (read ${run.reads}${run.warnings ? `, ${run.warnings} warning(s)` : ''})`}`;

async function containers(support, rounds, log) {
  if (!imagesPresent(['sl-busybox:test', 'sl-debian:test'])) {
    const missing = 'Docker with the sl-busybox:test and sl-debian:test images (scripts/setup-e2e.sh)';
    log(`bpf: containers skipped: ${missing} is missing`);
    return { skipped: missing, ok: true };
  }
  const dd = await containerRatio(support, CONTAINER_DD, rounds);
  log(
    `bpf: container dd bs=1 count=${CONTAINER_BLOCKS}: docker run untraced ${dd.untraced.toFixed(0)} ms, counted by the bpf backend ${dd.counted.toFixed(0)} ms (medians of ${rounds}); ${dd.ratio.toFixed(2)}x, the median of the ${rounds} rounds' ratios (${dd.range}; target <= ${TARGET_CONTAINER_RATIO}x)`,
  );
  const bpfRecord = timeRecord('bpf', CONTAINER_DD);
  const auditRecord = timeRecord('audit', CONTAINER_DD);
  log(
    `bpf: the whole record of that container, start-up and profile included: ${describeRecord('--backend bpf', bpfRecord)}, ${describeRecord('--backend audit', auditRecord)}; ${(auditRecord.ms / bpfRecord.ms).toFixed(1)}x`,
  );
  const server = await containerRatio(support, CONTAINER_SERVER, rounds);
  log(
    `bpf: python http.server answering ${SERVER_REQUESTS} requests in a container: docker run untraced ${server.untraced.toFixed(0)} ms, counted ${server.counted.toFixed(0)} ms (medians of ${rounds}); ${server.ratio.toFixed(2)}x, the median of the ${rounds} rounds' ratios (${server.range}; target <= ${TARGET_SERVER_RATIO}x)`,
  );
  log(
    `bpf: bpftrace start-up of the container program: ${Math.max(dd.startup, server.startup).toFixed(0)} ms (target < ${TARGET_STARTUP_MS} ms)`,
  );
  return {
    containerRatio: dd.ratio,
    serverRatio: server.ratio,
    containerStartupMs: Math.max(dd.startup, server.startup),
    recordBpfMs: bpfRecord.ms,
    recordAuditMs: auditRecord.ms,
    ok:
      dd.ratio <= TARGET_CONTAINER_RATIO &&
      server.ratio <= TARGET_SERVER_RATIO &&
      Math.max(dd.startup, server.startup) < TARGET_STARTUP_MS &&
      bpfRecord.reads >= CONTAINER_BLOCKS,
  };
}

export async function run({ rounds = 5, log = console.log } = {}) {
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
    const bpftrace = await startBpftrace(
      readiness.support,
      commandProgram(process.pid, readiness.support.task),
    );
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
  const { ratio, range } = pairedRatio(untraced, counted);
  const startup = median(startups);
  log(
    `bpf: dd bs=1 count=${BLOCKS}: untraced ${median(untraced).toFixed(0)} ms, counted by the bpf backend ${median(counted).toFixed(0)} ms (medians of ${rounds}); ${ratio.toFixed(2)}x, the median of the ${rounds} rounds' ratios (${range}; target <= ${TARGET_RATIO}x)${strace === undefined ? '' : `; strace -f -c ${strace.toFixed(0)} ms (${(strace / median(untraced)).toFixed(1)}x)`}`,
  );
  log(`bpf: read calls counted: ${reads} (dd's ${BLOCKS} blocks and its start-up)`);
  log(
    `bpf: bpftrace start-up (spawn to probes attached): ${startup.toFixed(0)} ms median of ${rounds} (target < ${TARGET_STARTUP_MS} ms), runs ${startups.map((ms) => ms.toFixed(0)).join(', ')} ms; bpftrace's own CPU time by then ${median(cpus).toFixed(0)} ms (load average ${loadavg()[0].toFixed(1)} on ${cores().length} cores: wall time beyond the CPU time is waiting for a core)`,
  );
  const container = await containers(readiness.support, rounds, log);
  return {
    ratio,
    startupMs: startup,
    startupCpuMs: median(cpus),
    reads,
    container,
    ok: ratio <= TARGET_RATIO && startup < TARGET_STARTUP_MS && reads >= BLOCKS && container.ok,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { ok } = await run();
  process.exitCode = ok ? 0 : 1;
}
