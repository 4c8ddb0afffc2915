import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emitProfile } from '../../src/emit/formats.js';
import { mergeProfiles } from '../../src/profile/merge.js';
import { SCMP_ACTIONS, type SeccompProfile } from '../../src/profile/model.js';
import { parseProfile } from '../../src/profile/read.js';

const allow = (names: string[]): SeccompProfile => ({
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 1,
  architectures: ['SCMP_ARCH_X86_64'],
  syscalls: [{ names, action: 'SCMP_ACT_ALLOW' }],
});

describe('mergeProfiles', () => {
  it('unites allowlists and architectures', () => {
    const { profile, conflicts } = mergeProfiles([
      allow(['read', 'write']),
      { ...allow(['openat', 'read']), architectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X86_64'] },
    ]);
    expect(conflicts).toEqual([]);
    expect(profile).toEqual({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
      syscalls: [{ names: ['openat', 'read', 'write'], action: 'SCMP_ACT_ALLOW' }],
    });
  });

  it('lets the less restrictive action win for the same syscall', () => {
    const ranked = [
      'SCMP_ACT_KILL_PROCESS',
      'SCMP_ACT_KILL_THREAD',
      'SCMP_ACT_TRAP',
      'SCMP_ACT_ERRNO',
      'SCMP_ACT_NOTIFY',
      'SCMP_ACT_TRACE',
      'SCMP_ACT_LOG',
      'SCMP_ACT_ALLOW',
    ] as const;
    for (let i = 0; i < ranked.length; i++) {
      for (let j = i + 1; j < ranked.length; j++) {
        const a: SeccompProfile = {
          defaultAction: 'SCMP_ACT_ERRNO',
          syscalls: [{ names: ['ptrace'], action: ranked[i] as never }],
        };
        const b: SeccompProfile = {
          defaultAction: 'SCMP_ACT_ERRNO',
          syscalls: [{ names: ['ptrace'], action: ranked[j] as never }],
        };
        expect(mergeProfiles([a, b]).profile.syscalls).toEqual([{ names: ['ptrace'], action: ranked[j] }]);
        expect(mergeProfiles([b, a]).profile.syscalls).toEqual([{ names: ['ptrace'], action: ranked[j] }]);
      }
    }
    const old: SeccompProfile = {
      defaultAction: 'SCMP_ACT_KILL',
      syscalls: [{ names: ['x'], action: 'SCMP_ACT_KILL' }],
    };
    const trap: SeccompProfile = {
      defaultAction: 'SCMP_ACT_KILL_PROCESS',
      syscalls: [{ names: ['x'], action: 'SCMP_ACT_TRAP' }],
    };
    const merged = mergeProfiles([old, trap]).profile;
    expect(merged.defaultAction).toBe('SCMP_ACT_KILL');
    expect(merged.syscalls).toEqual([{ names: ['x'], action: 'SCMP_ACT_TRAP' }]);
  });

  it('keeps argument filters, unless an unconditional ALLOW makes them moot', () => {
    const socketRule = {
      names: ['socket'],
      action: 'SCMP_ACT_ALLOW' as const,
      args: [{ index: 0, value: 1n, op: 'SCMP_CMP_EQ' as const }],
    };
    const withArgs: SeccompProfile = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [socketRule] };
    expect(mergeProfiles([withArgs, allow(['read'])]).profile.syscalls).toEqual([
      { names: ['read'], action: 'SCMP_ACT_ALLOW' },
      socketRule,
    ]);
    expect(mergeProfiles([withArgs, allow(['socket'])]).profile.syscalls).toEqual([
      { names: ['socket'], action: 'SCMP_ACT_ALLOW' },
    ]);
  });

  it('reports conflicting errnoRet values and keeps the lower', () => {
    const a: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }],
    };
    const b: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
    };
    const { profile, conflicts } = mergeProfiles([a, b]);
    expect(profile.syscalls).toEqual([{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }]);
    expect(conflicts).toEqual(['clone3: SCMP_ACT_ERRNO with errnoRet 38 and 1']);
  });

  it('does not depend on the order of its inputs', () => {
    const rule = fc.record({
      names: fc.subarray(['read', 'write', 'ptrace', 'mount', 'clone'], { minLength: 1 }),
      action: fc.constantFrom(...SCMP_ACTIONS),
    });
    const profile = fc.record({
      defaultAction: fc.constantFrom(...SCMP_ACTIONS),
      syscalls: fc.array(rule, { maxLength: 4 }),
    }) as fc.Arbitrary<SeccompProfile>;
    fc.assert(
      fc.property(profile, profile, profile, (a, b, c) => {
        const sorted = (p: SeccompProfile) => JSON.stringify(mergeProfiles([p]).profile);
        expect(sorted(mergeProfiles([a, b, c]).profile)).toBe(sorted(mergeProfiles([c, a, b]).profile));
        expect(sorted(mergeProfiles([mergeProfiles([a, b]).profile, c]).profile)).toBe(
          sorted(mergeProfiles([a, b, c]).profile),
        );
      }),
    );
  });
});

describe('mergeProfiles with uint64 argument values', () => {
  it('keeps 0xFFFFFFFFFFFFFFFF exact through read, merge and write', async () => {
    const text = `{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"syscalls":[
      {"names":["ioctl"],"action":"SCMP_ACT_ALLOW","args":[{"index":1,"value":18446744073709551615,"valueTwo":18446744073709551614,"op":"SCMP_CMP_MASKED_EQ"}]}]}`;
    const { profile } = mergeProfiles([parseProfile(text, 'a.json'), allow(['read'])]);
    expect(profile.syscalls?.[1]?.args).toEqual([
      { index: 1, value: 0xffffffffffffffffn, valueTwo: 0xfffffffffffffffen, op: 'SCMP_CMP_MASKED_EQ' },
    ]);
    const written = await emitProfile(profile, 'docker', { name: 'merged' });
    expect(written).toContain('"value": 18446744073709551615,');
    expect(written).toContain('"valueTwo": 18446744073709551614,');
    expect(parseProfile(written, 'merged.json')).toEqual(profile);
  });

  it('tells apart filters that differ only beyond 2^53', () => {
    const filtered = (value: bigint): SeccompProfile => ({
      ...allow([]),
      syscalls: [
        { names: ['ioctl'], action: 'SCMP_ACT_ALLOW', args: [{ index: 1, value, op: 'SCMP_CMP_EQ' }] },
      ],
    });
    const { profile } = mergeProfiles([filtered(2n ** 60n), filtered(2n ** 60n + 1n)]);
    expect(profile.syscalls?.map((rule) => rule.args?.[0]?.value)).toEqual([2n ** 60n, 2n ** 60n + 1n]);
  });
});
