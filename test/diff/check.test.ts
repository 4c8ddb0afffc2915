import { describe, expect, it } from 'vitest';
import { coverageGaps, unknownNeeds } from '../../src/diff/check.js';
import { generateProfile } from '../../src/profile/generate.js';
import type { SyscallNeeds } from '../../src/profile/needs.js';
import { capabilitySet, DOCKER_DEFAULT_CAPABILITIES } from '../../src/reference/capabilities.js';

const target = {
  hostAbi: 'x86_64' as const,
  capabilities: capabilitySet(DOCKER_DEFAULT_CAPABILITIES),
  kernel: [6, 1] as const,
};

describe('coverageGaps and unknownNeeds', () => {
  it('a profile generated from needs with a name unknown to libseccomp passes the check against them', () => {
    const needs: SyscallNeeds = new Map([['x86_64', new Set(['read', 'write', 'no_such_call'])]]);
    const { profile, notes } = generateProfile(needs, {
      defaultAction: 'errno',
      runtime: 'none',
      allow: [],
      deny: [],
    });
    expect(notes).toContainEqual(expect.objectContaining({ kind: 'no-such-syscall', name: 'no_such_call' }));
    expect(coverageGaps(profile, needs, target, 'r.json')).toEqual([]);
    expect(unknownNeeds(needs, 'r.json')).toEqual([
      {
        abi: 'x86_64',
        name: 'no_such_call',
        source: 'r.json',
        message: 'r.json: no_such_call is unknown to libseccomp on x86_64, cannot be allowed',
      },
    ]);
  });

  it('still reports known names the profile does not allow', () => {
    const needs: SyscallNeeds = new Map([['x86_64', new Set(['read', 'no_such_call'])]]);
    const profile = { defaultAction: 'SCMP_ACT_ERRNO' as const, architectures: ['SCMP_ARCH_X86_64'] };
    expect(coverageGaps(profile, needs, target, 'r.json').map((gap) => gap.name)).toEqual(['read']);
  });
});
