import { describe, expect, it } from 'vitest';
import { describeConditions, outcomeText } from '../../src/diff/conditions.js';
import { decisionFor, type EvaluatedProfile } from '../../src/profile/evaluate.js';
import type { SeccompArg } from '../../src/profile/model.js';
import { capabilitySet } from '../../src/reference/capabilities.js';
import { evaluate, loadData, loadFixture } from '../reference/helpers.js';

function describe_(evaluated: EvaluatedProfile, name: string): string {
  const decision = decisionFor(evaluated, name);
  if (decision.kind !== 'conditional') throw new Error(`${name} is not argument-filtered`);
  return describeConditions(name, evaluated.target.abi, decision.alternatives, decision.otherwise);
}

describe('describeConditions', () => {
  const docker = evaluate(loadData('docker-default.json'));

  it('names the socket families Docker blocks', () => {
    expect(describe_(docker, 'socket')).toBe(
      'only when arg0 (domain) is neither AF_ALG(38) nor AF_VSOCK(40)',
    );
  });

  it('lists the personas Docker allows', () => {
    expect(describe_(docker, 'personality')).toBe(
      'only when arg0 (persona) is PER_LINUX(0), PER_LINUX32(8), UNAME26(0x20000), PER_LINUX32|UNAME26(0x20008) or query(0xffffffff)',
    );
  });

  it('explains the clone mask as namespace flags, on the argument the ABI uses', () => {
    const text =
      'only without namespace flags: arg0 (flags) has none of CLONE_NEWNS|CLONE_NEWCGROUP|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET (mask 0x7e020000)';
    expect(describe_(docker, 'clone')).toBe(text);
    expect(describe_(evaluate(loadData('docker-default.json'), { abi: 's390x' }), 'clone')).toBe(
      text.replace('arg0', 'arg1'),
    );
  });

  it('spells out filters of mixed outcomes in profile order (Podman’s netlink audit rule)', () => {
    const podman = evaluate(loadData('podman-default.json'), {
      capabilities: capabilitySet([], ['AUDIT_WRITE']),
    });
    expect(describe_(podman, 'socket')).toBe(
      'fails with EINVAL(22) when arg0 (domain) == AF_NETLINK(16) and arg2 (protocol) == 9; ' +
        'allowed when arg2 (protocol) != 9; or arg0 (domain) != AF_NETLINK(16); otherwise fails with ENOSYS(38)',
    );
  });

  it('describes value lists, ranges and plain masks', () => {
    const crafted = evaluate(loadFixture('conditions.json'));
    expect(describe_(crafted, 'socket')).toBe('only when arg0 (domain) is AF_UNIX(1) or AF_INET(2)');
    expect(describe_(crafted, 'ioctl')).toBe('only when arg1 is 21505 or 21506');
    expect(describe_(crafted, 'mmap')).toBe('only when arg2 & 0x4 == 0x0 and arg3 & 0x20 == 0x20');
    expect(describe_(crafted, 'unshare')).toBe('only when arg0 (flags) is 0x10000000');
    const extensions = evaluate(loadFixture('extensions.json'));
    expect(describe_(extensions, 'socket')).toBe('only when arg0 (domain) <= AF_INET6(10)');
  });

  it('words every outcome', () => {
    expect(outcomeText({ action: 'SCMP_ACT_ERRNO', errnoRet: 38 })).toBe('fails with ENOSYS(38)');
    expect(outcomeText({ action: 'SCMP_ACT_KILL_PROCESS' })).toBe('kills the process');
    expect(outcomeText({ action: 'SCMP_ACT_KILL' })).toBe('kills the thread');
    expect(outcomeText({ action: 'SCMP_ACT_LOG' })).toBe('allowed and logged');
    expect(outcomeText({ action: 'SCMP_ACT_NOTIFY' })).toBe('is handed to the seccomp supervisor');
  });

  it('compares and shows uint64 values exactly', () => {
    const ioctl = (args: SeccompArg[]) => ({
      outcome: { action: 'SCMP_ACT_ALLOW' as const },
      args,
      rule: { index: 0 },
    });
    const denied = { action: 'SCMP_ACT_ERRNO' as const, errnoRet: 1 };
    const top = 0xffffffffffffffffn;
    expect(
      describeConditions('ioctl', 'x86_64', [ioctl([{ index: 1, value: top, op: 'SCMP_CMP_NE' }])], denied),
    ).toBe('only when arg1 is not 0xffffffffffffffff');
    expect(
      describeConditions(
        'ioctl',
        'x86_64',
        [ioctl([{ index: 1, value: top, valueTwo: top - 1n, op: 'SCMP_CMP_MASKED_EQ' }])],
        denied,
      ),
    ).toBe('only when arg1 & 0xffffffffffffffff == 0xfffffffffffffffe');
    // Two filters one apart above 2^53 are two alternatives, not one.
    expect(
      describeConditions(
        'ioctl',
        'x86_64',
        [
          ioctl([{ index: 1, value: 2n ** 60n, op: 'SCMP_CMP_EQ' }]),
          ioctl([{ index: 1, value: 2n ** 60n + 1n, op: 'SCMP_CMP_EQ' }]),
        ],
        denied,
      ),
    ).toBe('only when arg1 is 0x1000000000000000 or 0x1000000000000001');
  });

  it('reads a clone mask with a bit above 2^32 as no namespace mask', () => {
    const clone = (value: bigint) =>
      describeConditions(
        'clone',
        'x86_64',
        [
          {
            outcome: { action: 'SCMP_ACT_ALLOW' },
            args: [{ index: 0, value, op: 'SCMP_CMP_MASKED_EQ' }],
            rule: { index: 0 },
          },
        ],
        { action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
      );
    expect(clone(0x7e020000n)).toMatch(/^only without namespace flags: /);
    expect(clone(0x7e020000n | (1n << 40n))).toBe(
      'only when arg0 (flags) has none of CLONE_NEWNS|CLONE_NEWCGROUP|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET|0x10000000000 (mask 0x1007e020000)',
    );
  });
});
