import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { bpfReadiness } from '../../src/sources/bpf.js';
import { BIN, cli } from '../helpers/cli.js';
import { available, BUSYBOX_IMAGE, containerAuditSkipReason, e2eSkipReason } from '../helpers/e2e.js';
import { waitUntil } from '../helpers/wait.js';

/**
 * The audit backend made robust: a container recorded while auditd rotates its log loses nothing
 * (the counts equal the bpf backend's, counted in the kernel), and the process-exit rules a killed
 * recording left behind are removed by the next one.
 */
const skip =
  (await containerAuditSkipReason()) ??
  (await e2eSkipReason(
    'auditctl, and the bpf backend to count the same container in the kernel',
    async () => (await available('auditctl', ['-s'])) && (await bpfReadiness()).ok,
  ));

const AUDIT_LOG = '/var/log/audit/audit.log';
const BLOCKS = 5000;
const DD = [
  'docker',
  'run',
  '--rm',
  '--network',
  'none',
  BUSYBOX_IMAGE,
  'dd',
  'if=/dev/zero',
  'of=/dev/null',
  'bs=1',
  `count=${BLOCKS}`,
];

interface Counted {
  read?: number;
  write?: number;
  warnings: Array<{ code: string }>;
}

async function record(backend: string, argv: string[]): Promise<Counted> {
  const prefix = join(await mkdtemp(join(tmpdir(), `sl-e2e-rot-${backend}-`)), 'dd');
  const result = await cli(['record', '--backend', backend, '--widen', 'none', '-o', prefix, '--', ...argv]);
  expect(result.exitCode, result.stderr).toBe(0);
  const recording = JSON.parse(await readFile(`${prefix}.recording.json`, 'utf8'));
  return {
    read: recording.abis.x86_64?.read?.calls,
    write: recording.abis.x86_64?.write?.calls,
    warnings: recording.warnings,
  };
}

async function auditdPid(): Promise<number> {
  const { stdout } = await execa('pgrep', ['-x', 'auditd']);
  return Number(stdout.trim().split('\n')[0]);
}

const inode = (): Promise<number | undefined> =>
  stat(AUDIT_LOG).then(
    (stats) => stats.ino,
    () => undefined,
  );
const size = (): Promise<number> =>
  stat(AUDIT_LOG).then(
    (stats) => stats.size,
    () => 0,
  );

/** Resolves once the log auditd writes now holds `bytes` more than when called (a new file counts from 0). */
async function grown(bytes: number): Promise<void> {
  const [startInode, startSize] = [await inode(), await size()];
  await waitUntil(
    async () => (await size()) - ((await inode()) === startInode ? startSize : 0) >= bytes,
    `${bytes} bytes more in ${AUDIT_LOG}`,
    60_000,
  );
}

/** Tells auditd to rotate its log (SIGUSR1) and waits until it has. */
async function rotate(): Promise<void> {
  const before = await inode();
  process.kill(await auditdPid(), 'SIGUSR1');
  await waitUntil(async () => {
    const now = await inode();
    return now !== undefined && now !== before;
  }, 'auditd to rotate its log');
}

/** auditd's num_logs: how many files (the log and its copies) it keeps. */
async function numLogs(): Promise<number> {
  const config = await readFile('/etc/audit/auditd.conf', 'utf8');
  return Number(/^\s*num_logs\s*=\s*(\d+)/m.exec(config)?.[1] ?? 5);
}

const RECORDS_BYTES = 64 * 1024;

/**
 * Records `argv` with the audit backend and, once the container's records flow, stops seccomp-learn
 * (SIGSTOP) while auditd rotates its log `rotations` times, each file holding some of the container's
 * records, then lets it go on: it must find, at one look, every file written since the one it read.
 */
async function recordWhileRotating(argv: string[], rotations: number) {
  const prefix = join(await mkdtemp(join(tmpdir(), 'sl-e2e-rot-audit-')), 'dd');
  const recording = execa(
    process.execPath,
    [BIN, 'record', '--backend', 'audit', '--widen', 'none', '-o', prefix, '--', ...argv],
    { reject: false, env: { NO_COLOR: '1' } },
  );
  try {
    await grown(2 * RECORDS_BYTES);
    recording.kill('SIGSTOP');
    for (let round = 0; round < rotations; round++) {
      await rotate();
      await grown(RECORDS_BYTES);
    }
  } finally {
    recording.kill('SIGCONT');
  }
  const result = await recording;
  return { result, prefix };
}

describe.skipIf(skip)(`the audit backend${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('counts a dd container exactly while auditd rotates its log', async () => {
    // The exact count, from the kernel: dd's blocks and a few calls of start-up (5006 reads and 5002 writes here).
    const exact = await record('bpf', DD);
    expect(exact.read).toBeGreaterThanOrEqual(BLOCKS);
    expect(exact.read).toBeLessThanOrEqual(BLOCKS + 10);
    // Two rotations at one look: the file between them is found among the rotated copies.
    const { result, prefix } = await recordWhileRotating(DD, 2);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const audited = JSON.parse(await readFile(`${prefix}.recording.json`, 'utf8'));
    expect(audited.warnings).toEqual([]);
    expect(audited.abis.x86_64.read.calls).toBe(exact.read);
    expect(audited.abis.x86_64.write.calls).toBe(exact.write);
  }, 180_000);

  it('says records were lost, and exits 3, when auditd deleted copies before they were read (num_logs)', async () => {
    // One rotation more than auditd keeps files: the first file written after the one being read is deleted unread.
    const long = DD.map((word) => (word === `count=${BLOCKS}` ? `count=${8 * BLOCKS}` : word));
    const { result } = await recordWhileRotating(long, (await numLogs()) + 1);
    expect(result.exitCode, String(result.stderr)).toBe(3);
    expect(result.stderr).toContain("rotated more times than its copies are kept (auditd's num_logs)");
    expect(result.stderr).toContain('--allow-incomplete');
  }, 180_000);

  it('removes the process-exit rule left by a recording that was killed', async () => {
    // A pid that has ended: the run that "added" the rule is gone.
    const ended = execa('true');
    await ended;
    const key = `seccomp-learn-${ended.pid}`;
    const rule = ['always,exit', '-F', 'arch=b64', '-S', 'exit,exit_group', '-k', key];
    await execa('auditctl', ['-a', ...rule]);
    try {
      expect((await execa('auditctl', ['-l'])).stdout).toContain(key);
      const prefix = join(await mkdtemp(join(tmpdir(), 'sl-e2e-stale-')), 'true');
      // A container that lives a moment: a bare `true` is placed only through process-exit records, slow on a loaded host.
      const result = await cli([
        'record',
        '--backend',
        'audit',
        '--widen',
        'none',
        '-o',
        prefix,
        '--',
        ...DD,
      ]);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stderr).toContain(
        `left behind by seccomp-learn run(s) that ended without removing them (pid ${ended.pid})`,
      );
      expect((await execa('auditctl', ['-l'])).stdout).not.toContain(key);
    } finally {
      await execa('auditctl', ['-d', ...rule], { reject: false });
    }
  }, 120_000);
});
