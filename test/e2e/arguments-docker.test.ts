import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { bpfReadiness } from '../../src/sources/bpf.js';
import {
  ARGUMENT_FIXTURES,
  inDebianArgv,
  inDebianImage,
  PROBED_UNIX_AND_INET,
} from '../helpers/arguments-probe.js';
import { cli } from '../helpers/cli.js';
import { available, DEBIAN_IMAGE, e2eSkipReason } from '../helpers/e2e.js';

/**
 * Argument rules learned end to end: a Python workload is recorded on the host with a full strace
 * trace (and, below, in a container with the bpf and the audit backends), once
 * with AF_UNIX sockets and once with AF_INET; the profile generated from both runs in the Debian 12
 * image (the host's python3 and glibc, Debian 12's), where the workload runs while AF_PACKET and
 * AF_NETLINK sockets, clone with namespace flags and `unshare -U` are refused, and clone3 fails
 * with ENOSYS so that glibc falls back to clone.
 */
const PYTHON = '/usr/bin/python3';

const skip = await e2eSkipReason(
  `strace, ${PYTHON} and a Docker engine with the ${DEBIAN_IMAGE} image`,
  async () =>
    (await available('strace', ['-V'])) &&
    (await available(PYTHON, ['-c', 'import ctypes'])) &&
    (await available('docker', ['image', 'inspect', DEBIAN_IMAGE])),
);

async function learn(work: string, family: string, backend: string[] = ['--full']): Promise<string> {
  const prefix = join(work, `${family}${backend.join('')}`);
  const recorded = await cli([
    'record',
    ...backend,
    '-o',
    prefix,
    '--',
    PYTHON,
    join(ARGUMENT_FIXTURES, 'work.py'),
    family,
  ]);
  expect(recorded.exitCode, recorded.stderr).toBe(0);
  return prefix;
}

describe.skipIf(skip)(`argument rules in Docker${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('learns socket families and clone flags, and the profile refuses what the workload never did', async () => {
    const work = await mkdtemp(join(tmpdir(), 'sl-e2e-args-'));
    const unix = await learn(work, 'unix');
    const inet = await learn(work, 'inet');
    const recording = JSON.parse(await readFile(`${unix}.recording.json`, 'utf8'));
    expect(recording.abis.x86_64.socket.args).toEqual({ '0': { values: ['0x1'] } });
    expect(recording.abis.x86_64.clone3.args.flags.values.length).toBeGreaterThan(0);

    // Two runs, two families: the merged profile allows both, and nothing more.
    const both = join(work, 'both.json');
    const generated = await cli([
      'generate',
      `${unix}.recording.json`,
      `${inet}.recording.json`,
      '-o',
      both,
      '--json',
    ]);
    expect(generated.exitCode, generated.stderr).toBe(0);
    const profile = JSON.parse(await readFile(both, 'utf8'));
    const rules = (name: string) =>
      profile.syscalls.filter((rule: { names: string[] }) => rule.names.includes(name));
    expect(rules('socket')).toEqual([
      { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }] },
      { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2, op: 'SCMP_CMP_EQ' }] },
    ]);
    expect(rules('clone')).toEqual([
      {
        names: ['clone'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
      },
    ]);
    expect(rules('clone3')).toEqual([{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }]);

    const run = await inDebianImage(both, ['python3', '/w/work.py', 'unix', 'inet', 'probe']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(PROBED_UNIX_AND_INET);
    const unshare = await inDebianImage(both, ['unshare', '-U', 'true']);
    expect(unshare.exitCode).not.toBe(0);
    expect(unshare.stderr).toContain('Operation not permitted');

    // One run's profile refuses the other run's family.
    const unixOnly = await inDebianImage(`${unix}.profile.json`, ['python3', '/w/work.py', 'inet']);
    expect(unixOnly.exitCode).not.toBe(0);
    expect(unixOnly.stderr).toContain('PermissionError');

    // The review says it: at least as strict as Docker's default for every call both allow.
    const report = await cli([
      'report',
      `${unix}.recording.json`,
      `${inet}.recording.json`,
      '--format',
      'json',
    ]);
    expect(report.exitCode, report.stderr).toBe(0);
    const [abi] = JSON.parse(report.stdout).comparison.abis;
    expect(abi.headline.looser).toEqual([]);
    expect(abi.argumentRules.map((row: { name: string }) => row.name)).toEqual(
      expect.arrayContaining(['clone', 'socket']),
    );
    const text = await cli([
      'report',
      `${unix}.recording.json`,
      `${inet}.recording.json`,
      '--format',
      'text',
    ]);
    expect(text.stdout).toContain("at least as strict as Docker's default for every call both allow");

    // Names only: socket for every family, looser than Docker's default.
    const names = await cli([
      'report',
      `${unix}.recording.json`,
      `${inet}.recording.json`,
      '--args',
      'none',
      '--format',
      'json',
    ]);
    expect(JSON.parse(names.stdout).comparison.abis[0].headline.looser).toContain('socket');
  }, 300_000);
});

const bpfSkip = await e2eSkipReason(
  `the bpf backend (root, bpftrace, BTF, tracefs), strace, ${PYTHON} and a Docker engine with the ${DEBIAN_IMAGE} image`,
  async () => (await bpfReadiness()).ok && skip === undefined,
);

/** The learned argument values of a recording, per ABI and syscall. */
async function argumentsOf(prefix: string): Promise<Record<string, unknown>> {
  const recording = JSON.parse(await readFile(`${prefix}.recording.json`, 'utf8'));
  const learned: Record<string, unknown> = {};
  for (const [abi, table] of Object.entries<Record<string, { args?: unknown }>>(recording.abis))
    for (const [name, stats] of Object.entries(table)) if (stats.args) learned[`${abi} ${name}`] = stats.args;
  return learned;
}

describe.skipIf(bpfSkip)(
  `argument rules learned by the bpf backend${bpfSkip ? ` (skipped: ${bpfSkip})` : ''}`,
  () => {
    it('learns the same values as a full strace trace, and its profile refuses what the workload never did', async () => {
      const work = await mkdtemp(join(tmpdir(), 'sl-e2e-args-bpf-'));
      const bpf = ['--backend', 'bpf'];
      const unix = await learn(work, 'unix', bpf);
      const inet = await learn(work, 'inet', bpf);
      const traced = await learn(work, 'unix');
      expect(await argumentsOf(unix)).toEqual(await argumentsOf(traced));
      expect(await argumentsOf(unix)).toMatchObject({
        'x86_64 socket': { '0': { values: ['0x1'] } },
        // posix_spawn's CLONE_VM|CLONE_VFORK and a thread's flags: no namespace.
        'x86_64 clone3': { flags: { values: ['0x4100', '0x3d0f00'] } },
      });
      expect(await argumentsOf(inet)).toMatchObject({ 'x86_64 socket': { '0': { values: ['0x2'] } } });

      const both = join(work, 'both.json');
      const generated = await cli([
        'generate',
        `${unix}.recording.json`,
        `${inet}.recording.json`,
        '-o',
        both,
      ]);
      expect(generated.exitCode, generated.stderr).toBe(0);
      const run = await inDebianImage(both, ['python3', '/w/work.py', 'unix', 'inet', 'probe']);
      expect(run.exitCode, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual(PROBED_UNIX_AND_INET);
      const unshare = await inDebianImage(both, ['unshare', '-U', 'true']);
      expect(unshare.exitCode).not.toBe(0);
      expect(unshare.stderr).toContain('Operation not permitted');
    }, 300_000);
  },
);

const auditSkip =
  bpfSkip ??
  (await e2eSkipReason('auditd and auditctl, to record a container with the audit backend', async () =>
    available('auditctl', ['-s']),
  ));

/** The python workload in the Debian image, recorded as a container with `backend`. */
async function learnContainer(work: string, backend: string): Promise<string> {
  const prefix = join(work, `container-${backend}`);
  const recorded = await cli([
    'record',
    '--backend',
    backend,
    '-o',
    prefix,
    '--',
    ...inDebianArgv(['python3', '/w/work.py', 'unix', 'inet']),
  ]);
  expect(recorded.exitCode, recorded.stderr).toBe(0);
  return prefix;
}

describe.skipIf(auditSkip)(
  `argument rules learned from audit SYSCALL records${auditSkip ? ` (skipped: ${auditSkip})` : ''}`,
  () => {
    it('learns the register arguments the bpf backend learns from the same container, and its profile refuses what the workload never did', async () => {
      const work = await mkdtemp(join(tmpdir(), 'sl-e2e-args-audit-'));
      const audit = await learnContainer(work, 'audit');
      const bpf = await learnContainer(work, 'bpf');
      // clone3's flags are in memory: the bpf backend reads them, a SYSCALL record cannot.
      const { 'x86_64 clone3': clone3, ...registers } = await argumentsOf(bpf);
      expect(clone3).toBeDefined();
      expect(registers).toMatchObject({ 'x86_64 socket': { '0': { values: ['0x1', '0x2'] } } });
      expect(await argumentsOf(audit)).toEqual(registers);
      const recording = JSON.parse(await readFile(`${audit}.recording.json`, 'utf8'));
      expect(recording.warnings).toEqual([]);
      expect(recording.provenance[0].arguments).toContain(
        'SYSCALL records of audit rules added while recording',
      );
      // The rules went away with the run.
      expect((await execa('auditctl', ['-l'])).stdout).not.toContain('seccomp-learn-');

      const run = await inDebianImage(`${audit}.profile.json`, [
        'python3',
        '/w/work.py',
        'unix',
        'inet',
        'probe',
      ]);
      expect(run.exitCode, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual(PROBED_UNIX_AND_INET);
    }, 300_000);
  },
);
