import { describe, expect, it } from 'vitest';
import {
  decisionFor,
  detectDialect,
  type EvaluatedProfile,
  permittedSyscalls,
  verdictOf,
} from '../../src/profile/evaluate.js';
import { DOCKER_DEFAULT_CAPABILITIES } from '../../src/reference/capabilities.js';
import { evaluate, loadData, loadFixture } from '../reference/helpers.js';

const docker = () => loadData('docker-default.json');
const withCaps = (...caps: string[]) => new Set([...DOCKER_DEFAULT_CAPABILITIES, ...caps]);
const verdict = (evaluated: EvaluatedProfile, name: string) => verdictOf(decisionFor(evaluated, name));

function unconditionallyAllowed(evaluated: EvaluatedProfile): string[] {
  return [...evaluated.decisions.values()].filter((d) => verdictOf(d) === 'allowed').map((d) => d.name);
}

describe('Docker default profile on x86_64, default capabilities, kernel 6.1', () => {
  const evaluated = evaluate(docker());

  it('picks the X86_64 archMap entry: x86_64, x86 and x32', () => {
    expect(evaluated.arch).toEqual({ name: 'amd64', archMapKey: 'SCMP_ARCH_X86_64' });
    expect(evaluated.architectures).toEqual(['x86_64', 'x86', 'x32']);
    expect(evaluated.defaultOutcome).toEqual({ action: 'SCMP_ACT_ERRNO', errnoRet: 1 });
  });

  it('allows 367 names unconditionally: 361 base, ptrace/process_vm_*, arch_prctl, modify_ldt, chroot', () => {
    const names = unconditionallyAllowed(evaluated);
    expect(names).toHaveLength(367);
    expect(names).toEqual(
      expect.arrayContaining([
        'process_vm_readv',
        'process_vm_writev',
        'ptrace',
        'arch_prctl',
        'modify_ldt',
        'chroot',
      ]),
    );
  });

  it('lets 309 syscalls of the x86_64 table through: 306 fully, socket/personality/clone for some arguments', () => {
    const permitted = permittedSyscalls(evaluated);
    expect(permitted.size).toBe(309);
    expect([...permitted].filter(([, v]) => v === 'conditional').map(([name]) => name)).toEqual([
      'socket',
      'personality',
      'clone',
    ]);
  });

  it('denies mount, and allows it with CAP_SYS_ADMIN', () => {
    expect(verdict(evaluated, 'mount')).toBe('denied');
    expect(decisionFor(evaluated, 'mount')).toMatchObject({ kind: 'default', outcome: { errnoRet: 1 } });
    expect(verdict(evaluate(docker(), { capabilities: withCaps('CAP_SYS_ADMIN') }), 'mount')).toBe('allowed');
  });

  it('masks namespace flags of clone without CAP_SYS_ADMIN and allows it fully with it', () => {
    const clone = decisionFor(evaluated, 'clone');
    expect(clone).toMatchObject({
      kind: 'conditional',
      alternatives: [
        { args: [{ index: 0, value: 0x7e020000n, op: 'SCMP_CMP_MASKED_EQ' }], rule: { index: 18 } },
      ],
    });
    expect(verdict(evaluate(docker(), { capabilities: withCaps('CAP_SYS_ADMIN') }), 'clone')).toBe('allowed');
  });

  it('masks argument 1 of clone on s390x, where the flags come second', () => {
    const clone = decisionFor(evaluate(docker(), { abi: 's390x' }), 'clone');
    expect(clone).toMatchObject({
      kind: 'conditional',
      alternatives: [
        {
          args: [{ index: 1 }],
          rule: { index: 19, comment: 's390 parameter ordering for clone is different' },
        },
      ],
    });
  });

  it('answers clone3 with ENOSYS without CAP_SYS_ADMIN', () => {
    expect(decisionFor(evaluated, 'clone3')).toMatchObject({
      kind: 'unconditional',
      outcome: { action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
    });
    expect(verdict(evaluate(docker(), { capabilities: withCaps('CAP_SYS_ADMIN') }), 'clone3')).toBe(
      'allowed',
    );
  });

  it('allows socket only for domains other than AF_ALG (38) and AF_VSOCK (40)', () => {
    const socket = decisionFor(evaluated, 'socket');
    expect(socket.kind).toBe('conditional');
    if (socket.kind !== 'conditional') return;
    expect(socket.alternatives.map((a) => a.args)).toEqual([
      [{ index: 0, value: 38n, op: 'SCMP_CMP_LT' }],
      [{ index: 0, value: 39n, op: 'SCMP_CMP_EQ' }],
      [{ index: 0, value: 40n, op: 'SCMP_CMP_GT' }],
    ]);
    expect(socket.otherwise).toEqual({ action: 'SCMP_ACT_ERRNO', errnoRet: 1 });
  });

  it('allows personality for five personas only', () => {
    const personality = decisionFor(evaluated, 'personality');
    expect(
      personality.kind === 'conditional' && personality.alternatives.map((a) => a.args[0]?.value),
    ).toEqual([0n, 8n, 0x20000n, 0x20008n, 0xffffffffn]);
  });

  it('allows ptrace and process_vm_* only from kernel 4.8', () => {
    expect(verdict(evaluate(docker(), { kernel: [4, 7] }), 'ptrace')).toBe('denied');
    expect(verdict(evaluate(docker(), { kernel: [4, 8] }), 'ptrace')).toBe('allowed');
    expect(verdict(evaluate(docker(), { kernel: [3, 10] }), 'process_vm_readv')).toBe('denied');
    expect(
      verdict(evaluate(docker(), { kernel: [3, 10], capabilities: withCaps('CAP_SYS_PTRACE') }), 'ptrace'),
    ).toBe('allowed');
  });

  it('allows arch_prctl on amd64 hosts, not on arm64 ones', () => {
    expect(verdict(evaluated, 'arch_prctl')).toBe('allowed');
    const arm64 = evaluate(docker(), { abi: 'aarch64' });
    expect(arm64.arch.name).toBe('arm64');
    expect(verdict(arm64, 'arch_prctl')).toBe('denied');
    expect(verdict(arm64, 'cacheflush')).toBe('allowed');
  });

  it('judges the 32-bit ABIs of an x86_64 host with the host’s arch name', () => {
    const x86 = evaluate(docker(), { abi: 'x86', hostAbi: 'x86_64' });
    expect(x86.abiInFilter).toBe(true);
    // includes.arches is matched against "amd64", the host's name, whatever ABI the call comes from.
    expect(verdict(x86, 'arch_prctl')).toBe('allowed');
    expect(decisionFor(x86, 'chown32')).toMatchObject({ existsOnAbi: true, kind: 'unconditional' });
    expect(decisionFor(evaluated, 'chown32')).toMatchObject({ existsOnAbi: false });
  });

  it('treats a 32-bit x86 host as "x86": modify_ldt yes, arch_prctl no, no sub-architectures', () => {
    const i386 = evaluate(docker(), { abi: 'x86' });
    expect(i386.arch).toEqual({ name: 'x86', archMapKey: 'SCMP_ARCH_X86' });
    expect(i386.architectures).toEqual(['x86']);
    expect(verdict(i386, 'modify_ldt')).toBe('allowed');
    expect(verdict(i386, 'arch_prctl')).toBe('denied');
  });

  it('kills every call of an ABI the filter does not cover', () => {
    const arm = evaluate(docker(), { abi: 'arm', hostAbi: 'x86_64' });
    expect(arm.abiInFilter).toBe(false);
    expect(arm.defaultOutcome).toEqual({ action: 'SCMP_ACT_KILL_THREAD' });
    expect(verdict(arm, 'read')).toBe('denied');
  });

  it('picks no archMap entry on loong64, as moby’s goToNative/nativeToSeccomp mismatch does', () => {
    const loong = evaluate(docker(), { abi: 'loongarch64' });
    expect(loong.arch).toEqual({ name: 'loongarch64', archMapKey: undefined });
    expect(loong.architectures).toEqual(['loongarch64']);
  });
});

describe('crafted rules (test/fixtures/profiles/conditions.json)', () => {
  const profile = () => loadFixture('conditions.json');

  it('includes.caps needs every listed capability', () => {
    expect(verdict(evaluate(profile()), 'bpf')).toBe('denied');
    expect(verdict(evaluate(profile(), { capabilities: withCaps('CAP_BPF') }), 'bpf')).toBe('denied');
    expect(verdict(evaluate(profile(), { capabilities: withCaps('CAP_BPF', 'CAP_PERFMON') }), 'bpf')).toBe(
      'allowed',
    );
  });

  it('accepts the single-name form and keeps its comment', () => {
    expect(decisionFor(evaluate(profile()), 'chroot')).toMatchObject({
      kind: 'unconditional',
      rule: { index: 1, comment: 'single-name form' },
    });
    expect(verdict(evaluate(profile(), { capabilities: new Set() }), 'chroot')).toBe('denied');
  });

  it('excludes.caps drops the rule when any listed capability is held', () => {
    expect(decisionFor(evaluate(profile()), 'fanotify_init')).toMatchObject({ outcome: { errnoRet: 38 } });
    expect(verdict(evaluate(profile(), { capabilities: withCaps('CAP_SYS_NICE') }), 'fanotify_init')).toBe(
      'allowed',
    );
    // CAP_SYS_ADMIN removes the ENOSYS rule but grants nothing: back to the default EPERM.
    expect(
      decisionFor(evaluate(profile(), { capabilities: withCaps('CAP_SYS_ADMIN') }), 'fanotify_init'),
    ).toMatchObject({ kind: 'default', outcome: { errnoRet: 1 } });
  });

  it('an excluded argument rule and an included unconditional one switch places with the capability', () => {
    expect(verdict(evaluate(profile()), 'unshare')).toBe('conditional');
    expect(verdict(evaluate(profile(), { capabilities: withCaps('CAP_SYS_ADMIN') }), 'unshare')).toBe(
      'allowed',
    );
  });

  it('matches includes.arches against the host arch name, so "x32" never matches', () => {
    expect(verdict(evaluate(profile(), { abi: 'x32', hostAbi: 'x86_64' }), 'arch_prctl')).toBe('allowed');
    expect(verdict(evaluate(profile(), { abi: 'x32', hostAbi: 'x86_64' }), 'set_tls')).toBe('denied');
    expect(verdict(evaluate(profile(), { abi: 'aarch64' }), 'sync_file_range2')).toBe('allowed');
    expect(verdict(evaluate(profile()), 'sync_file_range2')).toBe('denied');
  });

  it('excludes.arches drops the rule on that arch only', () => {
    expect(verdict(evaluate(profile()), 'modify_ldt')).toBe('denied');
    expect(verdict(evaluate(profile(), { abi: 'x86' }), 'modify_ldt')).toBe('allowed');
  });

  it('includes.minKernel needs at least that kernel; excludes.minKernel drops the rule from it on', () => {
    expect(verdict(evaluate(profile(), { kernel: [4, 7] }), 'ptrace')).toBe('denied');
    expect(verdict(evaluate(profile(), { kernel: [5, 0] }), 'ptrace')).toBe('allowed');
    expect(verdict(evaluate(profile(), { kernel: [4, 19] }), 'uselib')).toBe('allowed');
    expect(verdict(evaluate(profile(), { kernel: [5, 0] }), 'uselib')).toBe('denied');
  });

  it('OR-s comparisons on the same argument and AND-s comparisons on different ones, as runc does', () => {
    const ioctl = decisionFor(evaluate(profile()), 'ioctl');
    expect(ioctl.kind === 'conditional' && ioctl.alternatives.map((a) => a.args.length)).toEqual([1, 1]);
    const mmap = decisionFor(evaluate(profile()), 'mmap');
    expect(mmap.kind === 'conditional' && mmap.alternatives.map((a) => a.args.length)).toEqual([2]);
  });

  it('skips a rule whose action is the default one', () => {
    expect(decisionFor(evaluate(profile()), 'kill').kind).toBe('default');
  });

  it('keeps the first unconditional rule and lets a later one wipe argument filters (libseccomp)', () => {
    expect(decisionFor(evaluate(profile()), 'write')).toMatchObject({
      outcome: { action: 'SCMP_ACT_ALLOW' },
    });
    expect(decisionFor(evaluate(profile()), 'openat')).toMatchObject({
      kind: 'unconditional',
      rule: { index: 21, comment: 'an unconditional rule wipes earlier filters' },
    });
  });

  it('counts SCMP_ACT_LOG as letting the call through', () => {
    expect(verdict(evaluate(profile()), 'getpid')).toBe('allowed');
  });
});

describe('Podman semantics', () => {
  const podman = () => loadData('podman-default.json');

  it('is detected from errno names', () => {
    expect(detectDialect(podman())).toBe('containers');
    expect(detectDialect(loadData('docker-default.json'))).toBe('moby');
  });

  it('returns ENOSYS by default and EPERM from its explicit deny rules', () => {
    const evaluated = evaluate(podman());
    expect(evaluated.defaultOutcome).toEqual({ action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
    expect(decisionFor(evaluated, 'kexec_load')).toMatchObject({
      kind: 'unconditional',
      outcome: { errnoRet: 1 },
    });
    expect(decisionFor(evaluated, 'mount')).toMatchObject({
      kind: 'unconditional',
      outcome: { action: 'SCMP_ACT_ALLOW' },
    });
  });

  it('pairs allow and deny rules per capability', () => {
    const without = evaluate(podman(), { capabilities: new Set() });
    expect(decisionFor(without, 'chroot')).toMatchObject({
      outcome: { action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
    });
    expect(verdict(evaluate(podman()), 'chroot')).toBe('allowed');
  });

  it('answers netlink audit sockets with EINVAL unless CAP_AUDIT_WRITE', () => {
    const socket = decisionFor(evaluate(podman(), { capabilities: new Set() }), 'socket');
    expect(socket.kind).toBe('conditional');
    if (socket.kind !== 'conditional') return;
    expect(socket.alternatives[0]).toMatchObject({
      outcome: { action: 'SCMP_ACT_ERRNO', errnoRet: 22 },
      args: [
        { index: 0, value: 16n },
        { index: 2, value: 9n },
      ],
    });
    expect(verdict(evaluate(podman(), { capabilities: new Set(['CAP_AUDIT_WRITE']) }), 'socket')).toBe(
      'allowed',
    );
  });

  it('names its arch as libseccomp-golang does and ignores minKernel', () => {
    const evaluated = evaluate(loadFixture('podman-style.json'));
    expect(evaluated.target.dialect).toBe('containers');
    expect(evaluated.defaultOutcome).toEqual({ action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
    expect(verdict(evaluated, 'ptrace')).toBe('allowed');
    expect(verdict(evaluated, 'arch_prctl')).toBe('allowed');
    expect(
      verdict(evaluate(loadFixture('podman-style.json'), { abi: 'loongarch64' }), 'riscv_flush_icache'),
    ).toBe('allowed');
  });

  it('lets the errno name win over errnoRet', () => {
    const evaluated = evaluate(loadFixture('podman-style.json'), { capabilities: new Set() });
    expect(decisionFor(evaluated, 'chroot')).toMatchObject({ outcome: { errnoRet: 1 } });
    const asDocker = evaluate(loadFixture('podman-style.json'), { capabilities: new Set(), dialect: 'moby' });
    expect(decisionFor(asDocker, 'chroot')).toMatchObject({ outcome: { errnoRet: 13 } });
    expect(asDocker.defaultOutcome.errnoRet).toBe(1);
    expect(verdict(asDocker, 'ptrace')).toBe('denied');
  });
});

describe('profiles whose default lets calls through', () => {
  it('permits the whole ABI table except what the rules deny', () => {
    const evaluated = evaluate(loadFixture('denylist.json'));
    const permitted = permittedSyscalls(evaluated);
    expect(permitted.get('read')).toBe('allowed');
    expect(permitted.has('mount')).toBe(false);
    expect(permitted.get('socket')).toBe('conditional');
  });
});
