import { describe, expect, it } from 'vitest';
import { type DiffEntry, diffAgainstReference, diffProfiles } from '../../src/diff/diff.js';
import type { EvaluationTarget } from '../../src/profile/evaluate.js';
import { capabilitySet, PODMAN_DEFAULT_CAPABILITIES } from '../../src/reference/capabilities.js';
import { evaluate, jsonRoundTrip, loadData, loadFixture } from '../reference/helpers.js';

const docker = (overrides: Partial<EvaluationTarget> = {}) =>
  evaluate(loadData('docker-default.json'), overrides);
const entry = (entries: DiffEntry[], name: string) => entries.find((e) => e.name === name);

describe('diffAgainstReference with Docker’s default on x86_64', () => {
  const needs = new Map([
    ['read', { calls: 120, runs: 2 }],
    ['write', { calls: 40, runs: 2 }],
    ['openat', { calls: 9 }],
    ['socket', { calls: 2 }],
    ['clone', { calls: 1 }],
    ['clone3', { calls: 1 }],
    ['personality', { calls: 1 }],
    ['mount', { calls: 1 }],
    ['ptrace', { calls: 1 }],
  ]);
  const diff = diffAgainstReference({ abi: 'x86_64', syscalls: needs }, docker({ kernel: [4, 4] }));

  it('gives the headline per ABI', () => {
    expect(diff.abi).toBe('x86_64');
    // Kernel 4.4 drops ptrace/process_vm_* from the 309 allowed on 6.1.
    expect(diff.headline).toEqual({
      workloadAllows: 9,
      referenceAllows: 306,
      referenceUnconditional: 303,
      fewer: 297,
      percentFewer: 97.1,
    });
    expect(diff.reference).toMatchObject({
      hostAbi: 'x86_64',
      kernel: '4.4',
      dialect: 'moby',
      abiInFilter: true,
    });
  });

  it('marks what the reference allows outright', () => {
    expect(entry(diff.entries, 'read')).toEqual({
      name: 'read',
      usage: { calls: 120, runs: 2 },
      status: 'allowed',
      rule: { index: 0 },
    });
  });

  it('explains which arguments a conditional syscall may use', () => {
    expect(entry(diff.entries, 'socket')).toMatchObject({
      status: 'conditional',
      condition: 'only when arg0 (domain) is neither AF_ALG(38) nor AF_VSOCK(40)',
      otherwise: { action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
    });
    expect(entry(diff.entries, 'clone')).toMatchObject({
      status: 'conditional',
      alternatives: [{ rule: { index: 18 } }],
    });
    expect(entry(diff.entries, 'personality')).toMatchObject({ status: 'conditional' });
  });

  it('names the errno and the capability that would lift a denial', () => {
    expect(entry(diff.entries, 'clone3')).toEqual({
      name: 'clone3',
      usage: { calls: 1 },
      status: 'denied',
      outcome: { action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
      errnoName: 'ENOSYS',
      rule: { index: 20 },
      unlockedBy: [{ capabilities: ['CAP_SYS_ADMIN'], verdict: 'allowed' }],
      existsOnAbi: true,
    });
    expect(entry(diff.entries, 'mount')).toMatchObject({
      status: 'denied',
      errnoName: 'EPERM',
      unlockedBy: [{ capabilities: ['CAP_SYS_ADMIN'], verdict: 'allowed' }],
    });
  });

  it('says when a newer kernel would allow it', () => {
    expect(entry(diff.entries, 'ptrace')).toMatchObject({
      status: 'denied',
      minKernel: '4.8',
      unlockedBy: [{ capabilities: ['CAP_SYS_PTRACE'], verdict: 'allowed' }],
    });
  });

  it('lists what the reference allows and the workload never used', () => {
    expect(entry(diff.entries, 'getpid')).toEqual({
      name: 'getpid',
      status: 'unneeded',
      referenceVerdict: 'allowed',
    });
    expect(diff.counts).toEqual({ allowed: 3, conditional: 3, denied: 3, unneeded: 300 });
    expect(diff.entries.map((e) => e.name)).toEqual([...diff.entries.map((e) => e.name)].sort());
  });

  it('leaves the unneeded out on request, and takes bare names', () => {
    const short = diffAgainstReference({ abi: 'x86_64', syscalls: new Set(['read', 'mount']) }, docker(), {
      unneeded: false,
    });
    expect(short.entries.map((e) => [e.name, e.status])).toEqual([
      ['mount', 'denied'],
      ['read', 'allowed'],
    ]);
    expect(entry(short.entries, 'read')).not.toHaveProperty('usage');
  });

  it('is JSON-serialisable', () => {
    expect(jsonRoundTrip(diff)).toEqual(diff);
  });

  it('refuses needs of another ABI than the evaluated reference', () => {
    expect(() => diffAgainstReference({ abi: 'x86', syscalls: new Set(['read']) }, docker())).toThrow(/x86/);
  });

  it('reports a syscall the ABI does not have', () => {
    const x86only = diffAgainstReference({ abi: 'x86_64', syscalls: new Set(['chown32']) }, docker());
    expect(entry(x86only.entries, 'chown32')).toMatchObject({
      status: 'denied',
      existsOnAbi: false,
      unlockedBy: [],
    });
  });
});

describe('capability advice from crafted rules', () => {
  const crafted = diffAgainstReference(
    { abi: 'x86_64', syscalls: new Set(['bpf', 'fanotify_init', 'unshare', 'getpid']) },
    evaluate(loadFixture('conditions.json')),
    { unneeded: false },
  );

  it('asks for every capability an includes rule lists', () => {
    expect(entry(crafted.entries, 'bpf')).toMatchObject({
      unlockedBy: [{ capabilities: ['CAP_BPF', 'CAP_PERFMON'], verdict: 'allowed' }],
    });
  });

  it('skips a capability that only removes a deny rule when the default still denies', () => {
    expect(entry(crafted.entries, 'fanotify_init')).toMatchObject({
      outcome: { errnoRet: 38 },
      errnoName: 'ENOSYS',
      unlockedBy: [{ capabilities: ['CAP_SYS_NICE'], verdict: 'allowed' }],
    });
  });

  it('treats SCMP_ACT_LOG as allowed and argument rules as conditional', () => {
    expect(entry(crafted.entries, 'getpid')).toMatchObject({ status: 'allowed' });
    expect(entry(crafted.entries, 'unshare')).toMatchObject({
      status: 'conditional',
      condition: 'only when arg0 (flags) is 0x10000000',
    });
  });
});

describe('other references', () => {
  it('Podman: pairs of allow/deny rules, either of two capabilities', () => {
    const podman = evaluate(loadData('podman-default.json'), {
      capabilities: new Set(PODMAN_DEFAULT_CAPABILITIES),
    });
    const diff = diffAgainstReference(
      { abi: 'x86_64', syscalls: new Set(['bpf', 'socket', 'mount', 'vmsplice']) },
      podman,
      {
        unneeded: false,
      },
    );
    expect(entry(diff.entries, 'bpf')).toMatchObject({
      status: 'denied',
      errnoName: 'EPERM',
      unlockedBy: [
        { capabilities: ['CAP_BPF'], verdict: 'allowed' },
        { capabilities: ['CAP_SYS_ADMIN'], verdict: 'allowed' },
      ],
    });
    expect(entry(diff.entries, 'socket')).toMatchObject({ status: 'conditional' });
    expect(entry(diff.entries, 'mount')).toMatchObject({ status: 'allowed' });
    expect(entry(diff.entries, 'vmsplice')).toMatchObject({
      status: 'denied',
      errnoName: 'EPERM',
      unlockedBy: [],
    });
    expect(diff.reference.defaultOutcome).toEqual({ action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
  });

  it('containerd: lsm_* allowed, clone3 ENOSYS', () => {
    const containerd = evaluate(loadData('containerd-default.json'));
    const diff = diffAgainstReference(
      { abi: 'x86_64', syscalls: new Set(['lsm_list_modules', 'clone3']) },
      containerd,
    );
    expect(entry(diff.entries, 'lsm_list_modules')).toMatchObject({ status: 'allowed' });
    expect(entry(diff.entries, 'clone3')).toMatchObject({ status: 'denied', errnoName: 'ENOSYS' });
    expect(diff.headline.referenceAllows).toBe(312);
  });

  it('--against FILE with Docker extensions: NOTIFY, ERRNO numbers and a kill-by-default', () => {
    const reference = evaluate(loadFixture('extensions.json'), { capabilities: capabilitySet() });
    const diff = diffAgainstReference(
      {
        abi: 'x86_64',
        syscalls: new Set(['read', 'mkdir', 'unlink', 'getrandom', 'socket', 'mount', 'rmdir']),
      },
      reference,
    );
    expect(entry(diff.entries, 'mkdir')).toMatchObject({
      status: 'denied',
      outcome: { action: 'SCMP_ACT_NOTIFY' },
    });
    expect(entry(diff.entries, 'unlink')).toMatchObject({ status: 'denied', errnoName: 'EACCES' });
    expect(entry(diff.entries, 'getrandom')).toMatchObject({ status: 'allowed' });
    expect(entry(diff.entries, 'socket')).toMatchObject({ status: 'conditional' });
    expect(entry(diff.entries, 'mount')).toMatchObject({ unlockedBy: [{ capabilities: ['CAP_SYS_ADMIN'] }] });
    expect(entry(diff.entries, 'rmdir')).toMatchObject({ outcome: { action: 'SCMP_ACT_KILL_PROCESS' } });
    expect(diff.counts.unneeded).toBe(5);
  });

  it('a denylist reference: everything the ABI has is allowed but what its rules stop', () => {
    const diff = diffAgainstReference(
      { abi: 'x86_64', syscalls: new Set(['read', 'reboot', 'socket']) },
      evaluate(loadFixture('denylist.json')),
      { unneeded: false },
    );
    expect(diff.entries.map((e) => e.status)).toEqual(['allowed', 'denied', 'conditional']);
    expect(entry(diff.entries, 'socket')).toMatchObject({
      condition: 'fails with EAFNOSUPPORT(97) when arg0 (domain) == AF_VSOCK(40); otherwise allowed',
    });
  });
});

describe('diffProfiles', () => {
  const before = loadFixture('flat-allowlist.json');
  const after = loadFixture('flat-allowlist-v2.json');

  it('compares two profiles ABI by ABI with action changes', () => {
    const diff = diffProfiles(before, after, { hostAbi: 'x86_64' });
    expect(diff.abis.map((a) => a.abi)).toEqual(['x32', 'x86', 'x86_64']);
    const native = diff.abis.find((a) => a.abi === 'x86_64');
    expect(native).toMatchObject({
      added: ['getrandom', 'socket'],
      removed: [],
      allowedBefore: 6,
      allowedAfter: 8,
      changed: [
        {
          name: 'mmap',
          from: { verdict: 'allowed', action: 'SCMP_ACT_ALLOW' },
          to: { verdict: 'allowed', action: 'SCMP_ACT_LOG' },
        },
      ],
    });
    expect(diff.abis.find((a) => a.abi === 'x86')?.removed).toEqual([
      'close',
      'exit_group',
      'mmap',
      'openat',
      'read',
      'write',
    ]);
    expect(diff.abis.find((a) => a.abi === 'x32')?.added).toContain('getrandom');
    expect(diff.defaultChanged).toEqual({
      from: { action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
      to: { action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
    });
  });

  it('sees a changed argument filter or errno', () => {
    const diff = diffProfiles(
      loadFixture('conditions.json'),
      { ...loadFixture('conditions.json'), syscalls: loadFixture('conditions.json').syscalls?.slice(0, 14) },
      { hostAbi: 'x86_64', capabilities: capabilitySet() },
    );
    const native = diff.abis.find((a) => a.abi === 'x86_64');
    expect(native?.removed).toEqual(['getpid', 'ioctl', 'mmap', 'openat']);
    expect(native?.changed).toEqual([
      {
        name: 'clone3',
        from: { verdict: 'denied', action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
        to: { verdict: 'denied', action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
      },
      {
        name: 'socket',
        from: expect.objectContaining({ condition: 'only when arg0 (domain) is AF_UNIX(1) or AF_INET(2)' }),
        to: expect.objectContaining({
          verdict: 'conditional',
          condition: 'only when arg0 (domain) is AF_UNIX(1)',
        }),
      },
    ]);
  });

  it('compares bare name sets, and sets against profiles', () => {
    const diff = diffProfiles(
      { x86_64: ['read', 'write'] },
      { x86_64: ['read', 'close'], x86: ['read'] },
      {
        hostAbi: 'x86_64',
      },
    );
    expect(diff.abis).toEqual([
      { abi: 'x86', added: ['read'], removed: [], changed: [], allowedBefore: 0, allowedAfter: 1 },
      { abi: 'x86_64', added: ['close'], removed: ['write'], changed: [], allowedBefore: 2, allowedAfter: 2 },
    ]);
    expect(diff.defaultChanged).toBeUndefined();
    const mixed = diffProfiles({ x86_64: ['read', 'write', 'mmap'] }, after, { hostAbi: 'x86_64' });
    expect(mixed.abis.find((a) => a.abi === 'x86_64')).toMatchObject({
      added: ['close', 'exit_group', 'getrandom', 'openat', 'socket'],
      changed: [{ name: 'mmap', to: { action: 'SCMP_ACT_LOG' } }],
    });
  });
});
