import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generate } from '../../src/pipeline/generate.js';
import { learnFromStraceFiles } from '../../src/pipeline/learn-strace.js';
import { record } from '../../src/pipeline/record.js';
import { generateProfile } from '../../src/profile/generate.js';
import { SAMPLES } from '../helpers/cli.js';
import { available, e2eSkipReason } from '../helpers/e2e.js';
import { NO_RUNTIME_CHOICES } from '../helpers/pipeline.js';

const skip = await e2eSkipReason(
  'strace, objdump and /bin/busybox (busybox-static)',
  async () =>
    (await available('strace', ['-V'])) &&
    (await available('objdump', ['--version'])) &&
    (await available('/bin/busybox', ['true'])),
);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sl-widen-'));
  // The call-graph cache of this test's own: nothing from an earlier run, nothing left in ~/.cache.
  vi.stubEnv('XDG_CACHE_HOME', join(dir, 'cache'));
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await rm(dir, { recursive: true, force: true });
});

const GENERATION = { defaultAction: 'errno', runtime: 'none', allow: [], deny: [] } as const;

describe('generate --widen', () => {
  it('none allows what was observed; equivalents adds siblings with their reason, dangerous ones only as Docker allows them', () => {
    const needs = new Map([['x86_64' as const, new Set(['mkdir', 'fork', 'read'])]]);
    const exact = generateProfile(needs, { ...GENERATION, widen: 'none' });
    expect(exact.profile.syscalls?.[0]?.names).not.toContain('mkdirat');
    const widened = generateProfile(needs, { ...GENERATION, widen: 'equivalents' });
    const allowed = widened.profile.syscalls?.[0]?.names ?? [];
    expect(allowed).toEqual(expect.arrayContaining(['mkdirat', 'vfork']));
    expect(allowed).not.toContain('clone');
    expect(widened.notes).toContainEqual({
      kind: 'equivalent',
      name: 'mkdirat',
      message: expect.stringMatching(/^equivalent of mkdir: /),
      reason: { kind: 'equivalent', of: 'mkdir', why: 'mkdir(p) is mkdirat(AT_FDCWD, p)' },
    });
    // clone creates namespaces with some flags: it comes in Docker's own form, those flags refused.
    expect(widened.profile.syscalls).toContainEqual({
      names: ['clone'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: 0x7e020000n, op: 'SCMP_CMP_MASKED_EQ' }],
    });
    expect(widened.notes).toContainEqual({
      kind: 'equivalent',
      name: 'clone',
      message: expect.stringMatching(/^equivalent of fork: .*; allowed only without namespace flags/),
      reason: expect.objectContaining({ kind: 'equivalent', of: 'fork' }),
    });
  });

  it('holds back a reachable dangerous call Docker has no safe form of', () => {
    const needs = new Map([['x86_64' as const, new Set(['read'])]]);
    const reachable = new Map([
      ['x86_64' as const, new Map([['umount2', { function: 'umount2', binary: '/usr/bin/example' }]])],
    ]);
    const widened = generateProfile(needs, { ...GENERATION, widen: 'reachable', reachable });
    expect(widened.profile.syscalls?.[0]?.names).not.toContain('umount2');
    expect(widened.notes).toContainEqual({
      kind: 'held-back',
      name: 'umount2',
      message: expect.stringMatching(/dangerous and never observed/),
      reason: { kind: 'reachable', function: 'umount2', binary: '/usr/bin/example' },
    });
  });

  it('reachable for a recording that names no binary is a clear error', async () => {
    const learned = await learnFromStraceFiles([join(SAMPLES, 'strace-c-busybox-sh.txt')], {
      ...NO_RUNTIME_CHOICES,
      output: join(dir, 'sh'),
    });
    await expect(
      generate([learned.recordingPath], { ...NO_RUNTIME_CHOICES, widen: 'reachable' }),
    ).rejects.toThrow(/--widen reachable needs the binaries the workload ran: the recording names none/);
  });
});

describe.skipIf(skip)(`record, then generate --widen reachable${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('keeps the executable in the provenance and adds what its code can call, with the witness', async () => {
    const learned = await record(
      { command: ['/bin/busybox', 'ls', '/'] },
      { ...NO_RUNTIME_CHOICES, widen: 'none', output: join(dir, 'ls'), stdoutToStderr: true },
    );
    expect(learned.recording.provenance[0]?.binaries).toEqual(['/bin/busybox']);
    const widened = await generate([learned.recordingPath], { ...NO_RUNTIME_CHOICES, widen: 'reachable' });
    const observed = new Set(learned.profile.syscalls?.[0]?.names);
    const allowed = widened.profile.syscalls?.[0]?.names ?? [];
    // busybox is static: its own code holds every syscall instruction, and mkdir is one of its applets.
    expect(allowed).toContain('mkdir');
    expect(observed.has('mkdir')).toBe(false);
    expect(widened.notes).toContainEqual({
      kind: 'reachable',
      name: 'mkdir',
      message: 'reachable in the code of /bin/busybox',
      reason: { kind: 'reachable', binary: '/bin/busybox' },
    });
    expect(allowed).not.toContain('mount');
    expect(widened.notes.some((note) => note.kind === 'held-back' && note.name === 'mount')).toBe(true);
  }, 60_000);
});
