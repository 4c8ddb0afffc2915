import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
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
  exitCode?: number;
  stderr: string;
  warnings: Array<{ code: string }>;
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

/**
 * A container that runs dd `phases` times and, between phases, says it is done (a file it creates in the
 * bind-mounted folder) and waits until the test lets it go on (a line in a FIFO): the test decides when the
 * records of each phase are written, whatever the machine's load, and every run makes the same calls.
 */
async function phasedContainer(phases: number, blocks: number) {
  const control = await mkdtemp(join(tmpdir(), 'sl-e2e-rot-ctl-'));
  const steps: string[] = [];
  for (let phase = 1; phase <= phases; phase++) {
    steps.push(`dd if=/dev/zero of=/dev/null bs=1 count=${blocks} 2>/dev/null`, `mkdir /ctl/done${phase}`);
    if (phase < phases) {
      await execa('mkfifo', [join(control, `go${phase}`)]);
      steps.push(`read line < /ctl/go${phase}`);
    }
  }
  const argv = [
    ...DD.slice(0, DD.indexOf(BUSYBOX_IMAGE)),
    '-v',
    `${control}:/ctl`,
    BUSYBOX_IMAGE,
    'sh',
    '-c',
    steps.join('; '),
  ];
  const done = (phase: number) =>
    waitUntil(
      () =>
        stat(join(control, `done${phase}`)).then(
          () => true,
          () => false,
        ),
      `the container's phase ${phase}`,
      120_000,
    );
  const proceed = (phase: number) => writeFile(join(control, `go${phase}`), 'go\n');
  return { argv, phases, done, proceed };
}

type Phased = Awaited<ReturnType<typeof phasedContainer>>;
type Recording = ReturnType<typeof execa>;

/**
 * Records `container` with `backend`. Once a phase's records are written, `afterPhase` runs before the
 * next phase is let go (and after the last one, before the container ends).
 */
async function record(
  backend: string,
  container: Phased,
  afterPhase: (phase: number, recording: Recording) => Promise<void> = async () => {},
): Promise<Counted> {
  const prefix = join(await mkdtemp(join(tmpdir(), `sl-e2e-rot-${backend}-`)), 'dd');
  const recording = execa(
    process.execPath,
    [BIN, 'record', '--backend', backend, '--widen', 'none', '-o', prefix, '--', ...container.argv],
    { reject: false, env: { NO_COLOR: '1' } },
  );
  try {
    for (let phase = 1; phase <= container.phases; phase++) {
      await container.done(phase);
      await afterPhase(phase, recording);
      if (phase < container.phases) await container.proceed(phase);
    }
  } finally {
    recording.kill('SIGCONT');
  }
  const result = await recording;
  const stderr = String(result.stderr);
  if (result.exitCode !== 0) return { exitCode: result.exitCode, stderr, warnings: [] };
  const counted = JSON.parse(await readFile(`${prefix}.recording.json`, 'utf8'));
  return {
    exitCode: 0,
    stderr,
    read: counted.abis.x86_64?.read?.calls,
    write: counted.abis.x86_64?.write?.calls,
    warnings: counted.warnings,
  };
}

/**
 * Records with the audit backend, stopping seccomp-learn (SIGSTOP) from the first phase's end to the
 * container's while auditd rotates its log after each phase but the last: each file holds records of the
 * container, and every file written since the one it was reading must be found at one look.
 */
const recordWhileRotating = (container: Phased): Promise<Counted> =>
  record('audit', container, async (phase, recording) => {
    if (phase === 1) recording.kill('SIGSTOP');
    if (phase < container.phases) await rotate();
  });

describe.skipIf(skip)(`the audit backend${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('counts a dd container exactly while auditd rotates its log', async () => {
    // The exact count, from the kernel: three phases of dd's blocks and the shell's few calls around them.
    const exact = await record('bpf', await phasedContainer(3, BLOCKS));
    expect(exact.exitCode, exact.stderr).toBe(0);
    expect(exact.read).toBeGreaterThanOrEqual(3 * BLOCKS);
    expect(exact.read).toBeLessThanOrEqual(3 * BLOCKS + 50);
    // Two rotations at one look: the file between them is found among the rotated copies.
    const audited = await recordWhileRotating(await phasedContainer(3, BLOCKS));
    expect(audited.exitCode, audited.stderr).toBe(0);
    expect(audited.warnings).toEqual([]);
    expect(audited.read).toBe(exact.read);
    expect(audited.write).toBe(exact.write);
  }, 240_000);

  it('says records were lost, and exits 3, when auditd deleted copies before they were read (num_logs)', async () => {
    // One rotation more than auditd keeps files: the first file written after the one being read is deleted unread.
    const rotations = (await numLogs()) + 1;
    const audited = await recordWhileRotating(await phasedContainer(rotations + 1, BLOCKS / 5));
    expect(audited.exitCode, audited.stderr).toBe(3);
    expect(audited.stderr).toContain("rotated more times than its copies are kept (auditd's num_logs)");
    expect(audited.stderr).toContain('--allow-incomplete');
  }, 240_000);

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
