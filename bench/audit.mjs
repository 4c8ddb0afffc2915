#!/usr/bin/env node
// Benchmarks the audit parser on a generated audit.log of 1,000,000 SECCOMP records mixed with the
// other record types auditd writes (~250 MB), against the shell pipeline people use for the same job.
// Targets, for the whole `seccomp-learn from-audit` command: at most 0.25x the pipeline's wall time in the
// same run (the machine's load then weighs on both alike) and 150 MB peak RSS.
// Needs the build: `npx tsc -p tsconfig.json`.
import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BUILT_PARSER = join(ROOT, 'dist', 'parsers', 'audit.js');
const BUILT_TABLE = join(ROOT, 'dist', 'src', 'syscalls', 'table.js');
const RECORDS = 1_000_000;
const RATIO_TARGET = 0.25;
const RSS_TARGET_MB = 150;

/** Deterministic, so every run parses the same bytes. */
function prng(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PROGRAMS = [
  ['sh', '/bin/busybox'],
  ['nginx', '/usr/sbin/nginx'],
  ['node', '/usr/local/bin/node'],
  ['python3', '/usr/bin/python3.11'],
  ['runc:[2:INIT]', '/'],
  ['postgres', '/usr/lib/postgresql/15/bin/postgres'],
];
// Weighted towards the calls that dominate real workloads.
const SYSCALLS = [0, 0, 0, 1, 1, 1, 3, 3, 9, 10, 11, 13, 14, 17, 202, 202, 232, 257, 257, 262, 281, 435, 439];
const NAMES = { 0: 'read', 1: 'write', 3: 'close', 202: 'futex', 257: 'openat', 262: 'newfstatat' };
const SUBJECTS = ['system_u:system_r:container_t:s0:c83,c152', 'unconfined', 'docker-default (enforce)'];

/** Writes the log in ~4 MB slices; returns the per-syscall totals it wrote. */
export function generateAuditLog(file) {
  const random = prng(1326);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const fd = openSync(file, 'w');
  const expected = new Map();
  let buffer = [];
  let size = 0;
  let serial = 1000;
  let time = 1795430000;
  const flush = () => {
    writeSync(fd, buffer.join(''));
    buffer = [];
    size = 0;
  };
  const emit = (line) => {
    buffer.push(line);
    size += line.length;
    if (size > 4_000_000) flush();
  };
  for (let i = 0; i < RECORDS; i++) {
    serial++;
    if (i % 16 === 0) time += 1;
    const stamp = `audit(${time}.${String(serial % 1000).padStart(3, '0')}:${serial})`;
    const [comm, exe] = pick(PROGRAMS);
    const pid = 1000 + Math.floor(random() * 60000);
    const nr = pick(SYSCALLS);
    expected.set(nr, (expected.get(nr) ?? 0) + 1);
    const subj = random() < 0.25 ? ` subj=${pick(SUBJECTS)}` : '';
    const base =
      `type=SECCOMP msg=${stamp}: auid=4294967295 uid=0 gid=0 ses=4294967295${subj} pid=${pid} comm="${comm}" ` +
      `exe="${exe}" sig=0 arch=c000003e syscall=${nr} compat=0 ip=0x7f${(pid * 7919).toString(16)} code=0x7ffc0000`;
    emit(
      i % 5 === 0
        ? `${base}\x1dAUID="unset" UID="root" GID="root" ARCH=x86_64 SYSCALL=${NAMES[nr] ?? 'unknown-syscall(-1)'}\n`
        : `${base}\n`,
    );
    // Every 30th record shares the log with a syscall-rule event, as with `-a always,exit -S execve`.
    if (i % 30 === 0) {
      serial++;
      const event = `msg=audit(${time}.${String(serial % 1000).padStart(3, '0')}:${serial}):`;
      emit(
        `type=SYSCALL ${event} arch=c000003e syscall=59 success=yes exit=0 a0=55ce16c96ba0 a1=55ce16c96c20 ` +
          `a2=55ce16c74de0 a3=5606aa1206d5017 items=2 ppid=${pid - 1} pid=${pid} auid=4294967295 uid=0 gid=0 euid=0 ` +
          `suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="${comm}" exe="${exe}" key="exec"` +
          `\x1dARCH=x86_64 SYSCALL=execve AUID="unset" UID="root" GID="root" EUID="root"\n`,
      );
      emit(`type=EXECVE ${event} argc=3 a0="${comm}" a1="-c" a2="echo seccomp ${i}"\n`);
      emit(`type=CWD ${event} cwd="/srv/app"\n`);
      emit(
        `type=PATH ${event} item=0 name="${exe}" inode=${338944 + i} dev=fe:00 mode=0100755 ouid=0 ogid=0 ` +
          `rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0\x1dOUID="root" OGID="root"\n`,
      );
      emit(
        `type=PROCTITLE ${event} proctitle=${Buffer.from(`${comm} -c echo seccomp ${i}`).toString('hex').toUpperCase()}\n`,
      );
    }
  }
  flush();
  closeSync(fd);
  return expected;
}

/** Runs `command` and reports its wall time, peak RSS (GNU time when present) and stdout. */
function measure(command, args) {
  const gnuTime = existsSync('/usr/bin/time');
  const argv = gnuTime ? ['-f', '__MAXRSS_KB=%M', command, ...args] : args;
  const started = process.hrtime.bigint();
  const child = spawn(gnuTime ? '/usr/bin/time' : command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (data) => {
    stdout += data;
  });
  child.stderr.on('data', (data) => {
    stderr += data;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) return reject(new Error(`${command} exited with ${code}: ${stderr}`));
      const kb = /__MAXRSS_KB=(\d+)/.exec(stderr)?.[1] ?? /"maxRssKb":(\d+)/.exec(stdout)?.[1];
      resolve({ seconds, rssMb: kb === undefined ? undefined : Number(kb) / 1024, stdout });
    });
  });
}

// The real command, with a hook that reports its own peak RSS when it exits (when GNU time is missing).
const BIN = join(ROOT, 'bin', 'seccomp-learn.js');
const REPORT_RSS =
  "data:text/javascript,process.on('exit',()=>process.stderr.write('__MAXRSS_KB='+process.resourceUsage().maxRSS))";

const ROUNDS = 3;

/** The run of median wall time; its peak RSS is the largest of all runs. */
function medianRun(runs) {
  const sorted = [...runs].sort((a, b) => a.seconds - b.seconds);
  const rssMb = Math.max(...runs.map((run) => run.rssMb ?? 0));
  return { ...sorted[Math.floor(sorted.length / 2)], rssMb };
}

const PIPELINE = `grep SECCOMP "$1" | grep -o 'syscall=[0-9]*' | sort | uniq -c`;

export async function run() {
  if (!existsSync(BUILT_PARSER))
    throw new Error(`${BUILT_PARSER} is missing: run npx tsc -p tsconfig.json first`);
  const dir = mkdtempSync(join(tmpdir(), 'seccomp-learn-bench-'));
  try {
    const file = join(dir, 'audit.log');
    const expected = generateAuditLog(file);
    const mb = statSync(file).size / 1e6;
    const prefix = join(dir, 'learnt');
    const learn = () =>
      measure(process.execPath, [
        '--import',
        REPORT_RSS,
        BIN,
        'from-audit',
        file,
        '-o',
        prefix,
        '--runtime',
        'none',
      ]);
    const grepPipeline = () => measure('bash', ['-c', PIPELINE, 'bench', file]);
    // The log was just written: one pipeline run waits out its write-back, then both commands run
    // alternately, so that a busy moment of the machine falls on both, and the medians are compared.
    await grepPipeline();
    const oursRuns = [];
    const shellRuns = [];
    for (let round = 0; round < ROUNDS; round++) {
      oursRuns.push(await learn());
      shellRuns.push(await grepPipeline());
    }
    const ours = medianRun(oursRuns);
    const shell = medianRun(shellRuns);
    console.log(
      `runs (s): from-audit ${oursRuns.map((run) => run.seconds.toFixed(2)).join(' ')}; pipeline ${shellRuns.map((run) => run.seconds.toFixed(2)).join(' ')}`,
    );

    const { syscallName } = await import(pathToFileURL(BUILT_TABLE).href);
    const learnt = JSON.parse(readFileSync(`${prefix}.recording.json`, 'utf8')).abis.x86_64;
    for (const [nr, total] of expected) {
      const name = syscallName('x86_64', nr);
      if (learnt[name]?.calls !== total)
        throw new Error(
          `syscall ${name}: from-audit counted ${learnt[name]?.calls}, generator wrote ${total}`,
        );
    }
    const shellTotal = shell.stdout
      .trim()
      .split('\n')
      .reduce((sum, row) => sum + Number(row.trim().split(/\s+/)[0]), 0);

    const row = (name, { seconds, rssMb }, target) =>
      `${name.padEnd(34)} ${seconds.toFixed(2).padStart(6)} s ${(rssMb?.toFixed(0) ?? '?').padStart(6)} MB  ${target}`;
    console.log(`audit.log: ${mb.toFixed(0)} MB, ${RECORDS} SECCOMP records (${expected.size} syscalls)`);
    console.log(`${'command'.padEnd(34)} ${'wall'.padStart(8)} ${'peak RSS'.padStart(9)}`);
    console.log(
      row(
        'seccomp-learn from-audit',
        ours,
        `target <= ${RATIO_TARGET}x the pipeline, <= ${RSS_TARGET_MB} MB`,
      ),
    );
    console.log(row('grep | grep -o | sort | uniq -c', shell, `(${shellTotal} records counted)`));
    const ratio = ours.seconds / shell.seconds;
    console.log(`ratio from-audit / pipeline: ${ratio.toFixed(2)}x (target <= ${RATIO_TARGET}x)`);
    const met = ratio <= RATIO_TARGET && (ours.rssMb ?? 0) <= RSS_TARGET_MB;
    console.log(met ? 'targets met' : 'TARGETS MISSED');
    return { megabytes: mb, ours, shell, ratio, met };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { met } = await run();
  process.exitCode = met ? 0 : 1;
}
