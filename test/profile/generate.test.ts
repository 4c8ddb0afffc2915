import { describe, expect, it } from 'vitest';
import { emitProfile } from '../../src/emit/formats.js';
import { generateProfile } from '../../src/profile/generate.js';
import type { SyscallNeeds } from '../../src/profile/needs.js';
import { RUNTIME_BASELINES } from '../../src/profile/runtime-baselines.js';

const needs = (entries: [string, string[]][]): SyscallNeeds =>
  new Map(entries.map(([abi, names]) => [abi as never, new Set(names)]));

const base = { defaultAction: 'errno', runtime: 'none', allow: [], deny: [] } as const;

describe('generateProfile', () => {
  it('allows exactly what was observed plus exit paths, on exactly the observed ABIs', () => {
    const { profile, notes } = generateProfile(needs([['x86_64', ['write', 'read', 'openat']]]), base);
    expect(profile).toEqual({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [
        { names: ['exit', 'exit_group', 'openat', 'read', 'write'], action: 'SCMP_ACT_ALLOW' },
        // glibc falls back from clone3 to clone only on ENOSYS, never on EPERM.
        { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
      ],
    });
    expect(notes.map((note) => [note.kind, note.name])).toEqual([
      ['always', 'exit'],
      ['always', 'exit_group'],
    ]);
  });

  it('offers ENOSYS, kill and log defaults', () => {
    const observed = needs([['x86_64', ['read']]]);
    expect(generateProfile(observed, { ...base, defaultAction: 'enosys' }).profile.defaultErrnoRet).toBe(38);
    const kill = generateProfile(observed, { ...base, defaultAction: 'kill' }).profile;
    expect(kill.defaultAction).toBe('SCMP_ACT_KILL_PROCESS');
    expect(kill.defaultErrnoRet).toBeUndefined();
    expect(generateProfile(observed, { ...base, defaultAction: 'log' }).profile.defaultAction).toBe(
      'SCMP_ACT_LOG',
    );
  });

  it('spells ENOSYS as an explicit errnoRet 38 rule, for engines that ignore defaultErrnoRet', () => {
    const observed = needs([
      ['x86_64', ['read', 'write']],
      ['x86', ['read', '_llseek']],
    ]);
    const { profile } = generateProfile(observed, { ...base, defaultAction: 'enosys' });
    expect(profile.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(profile.defaultErrnoRet).toBe(38);
    const [allow, clone3, enosys] = profile.syscalls ?? [];
    expect(allow?.action).toBe('SCMP_ACT_ALLOW');
    expect(clone3).toEqual({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
    expect(enosys).toMatchObject({ action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
    const denied = new Set(enosys?.names);
    // Every other name libseccomp knows on either listed ABI, none of the allowed ones.
    for (const name of ['chmod', 'fchmodat', 'socketcall', 'arch_prctl']) expect(denied).toContain(name);
    expect(denied).not.toContain('clone3');
    for (const name of allow?.names ?? []) expect(denied).not.toContain(name);
    // Not an ABI the profile does not list: arm's private calls stay out.
    expect(denied).not.toContain('breakpoint');
    expect(enosys?.names).toEqual([...(enosys?.names ?? [])].sort());
    // EPERM needs no such rule: the runtime's default errno is EPERM; clone3 keeps its ENOSYS.
    expect(generateProfile(observed, base).profile.syscalls?.map((rule) => rule.names)).toEqual([
      allow?.names,
      ['clone3'],
    ]);
  });

  it('adds the runc baseline of every listed runc version and says so', () => {
    const { profile, notes } = generateProfile(needs([['x86_64', ['read']]]), { ...base, runtime: 'runc' });
    const names = profile.syscalls?.[0]?.names ?? [];
    for (const baseline of RUNTIME_BASELINES.filter((b) => b.runtime === 'runc')) {
      for (const name of baseline.syscalls) expect(names).toContain(name);
    }
    expect(notes.find((note) => note.name === 'capset')?.message).toMatch(/runc 1\.4\.2, runc 1\.1\.5/);
    expect(notes.some((note) => note.name === 'read')).toBe(false);
  });

  it('keeps 32-bit ABIs as observed and flags names missing on one of them', () => {
    const { profile, notes } = generateProfile(
      needs([
        ['x86_64', ['read', 'accept']],
        ['x86', ['read', '_llseek']],
      ]),
      base,
    );
    expect(profile.architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86']);
    expect(notes.find((note) => note.name === '_llseek')).toMatchObject({ kind: 'partial-abi' });
    expect(notes.find((note) => note.name === '_llseek')?.message).toContain('x86');
    expect(notes.find((note) => note.name === 'accept')).toMatchObject({ kind: 'partial-abi' });
  });

  it('never emits a name that does not exist on any listed ABI', () => {
    const { profile, notes } = generateProfile(needs([['aarch64', ['read', 'open']]]), base);
    expect(profile.syscalls?.[0]?.names).not.toContain('open');
    expect(notes.find((note) => note.name === 'open')).toMatchObject({ kind: 'no-such-syscall' });
  });

  it('applies --allow and --deny and rejects names that are no syscall', () => {
    const observed = needs([['x86_64', ['read', 'chmod']]]);
    const { profile, notes } = generateProfile(observed, { ...base, allow: ['ptrace'], deny: ['chmod'] });
    expect(profile.syscalls?.[0]?.names).toEqual(['exit', 'exit_group', 'ptrace', 'read']);
    expect(notes.find((note) => note.name === 'chmod')?.message).toMatch(/observed, removed by --deny/);
    expect(() => generateProfile(observed, { ...base, allow: ['chmdo'] })).toThrow(
      /--allow chmdo: no such syscall/,
    );
    expect(() => generateProfile(observed, { ...base, deny: ['nope'] })).toThrow(/--deny nope/);
    expect(() => generateProfile(new Map(), base)).toThrow(/no syscalls/);
  });

  it('widens each ABI with what the binaries of that ABI reach, named in its own table', () => {
    const reachable = new Map([
      ['aarch64' as const, new Map([['fsync', { function: 'fsync', binary: '/lib/aarch64/libc.so.6' }]])],
      ['x86_64' as const, new Map([['open', { function: 'open', binary: '/lib/x86_64/libc.so.6' }]])],
    ]);
    const { profile, notes } = generateProfile(needs([['aarch64', ['read']]]), {
      ...base,
      widen: 'reachable',
      reachable,
    });
    expect(profile.architectures).toEqual(['SCMP_ARCH_AARCH64']);
    expect(profile.syscalls?.[0]?.names).toEqual(['exit', 'exit_group', 'fsync', 'read']);
    expect(notes.find((note) => note.name === 'fsync')?.message).toBe(
      'reachable through fsync of /lib/aarch64/libc.so.6',
    );
  });
});

describe('emitProfile', () => {
  const { profile } = generateProfile(needs([['x86_64', ['read']]]), base);

  it('writes Docker JSON, the OCI config.json fragment and a Kubernetes SeccompProfile', async () => {
    expect(JSON.parse(await emitProfile(profile, 'docker', { name: 'x' }))).toEqual(profile);
    expect(JSON.parse(await emitProfile(profile, 'oci', { name: 'x' }))).toEqual({
      linux: { seccomp: profile },
    });
    const yaml = await emitProfile(profile, 'spo', { name: 'My App_1' });
    expect(yaml).toContain('apiVersion: security-profiles-operator.x-k8s.io/v1\nkind: SeccompProfile\n');
    expect(yaml).toContain('name: my-app-1');
    expect(yaml).toContain('defaultAction: SCMP_ACT_ERRNO');
    expect(yaml).toMatch(/architectures:\n\s+- SCMP_ARCH_X86_64/);
    expect(yaml).toMatch(/- names:\n\s+- exit\n\s+- exit_group\n\s+- read\n\s+action: SCMP_ACT_ALLOW/);
  });
});

describe('runtime baselines', () => {
  it('label every list with its runtime, version and origin, and keep the dangerous set-up calls out of crun', () => {
    for (const baseline of RUNTIME_BASELINES) {
      expect(baseline.version).not.toBe('');
      expect(baseline.origin.length).toBeGreaterThan(20);
      expect(baseline.syscalls).toContain('execve');
    }
    const crun = RUNTIME_BASELINES.find((baseline) => baseline.runtime === 'crun');
    for (const name of ['mount', 'umount2', 'pivot_root', 'unshare', 'setns', 'sethostname']) {
      expect(crun?.syscalls).not.toContain(name);
    }
  });
});
