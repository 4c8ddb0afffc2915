import { describe, expect, it } from 'vitest';
import { loaderFilter } from '../../src/profile/loader-filter.js';
import type { SeccompProfile } from '../../src/profile/model.js';
import { DOCKER_DEFAULT_CAPABILITIES } from '../../src/reference/capabilities.js';

const host = {
  hostAbi: 'x86_64' as const,
  capabilities: new Set(DOCKER_DEFAULT_CAPABILITIES),
  kernel: [6, 1] as const,
};

describe('loaderFilter: the filter a runtime hands libseccomp, for the host-command loader', () => {
  it('carries the default errno, the architectures with the native one, and argument comparisons exactly', () => {
    const profile: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 38,
      architectures: ['SCMP_ARCH_X86'],
      syscalls: [
        { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
        {
          names: ['personality'],
          action: 'SCMP_ACT_ALLOW',
          args: [{ index: 0, op: 'SCMP_CMP_MASKED_EQ', value: 0xffffffffn, valueTwo: 8n }],
        },
        {
          names: ['clone'],
          action: 'SCMP_ACT_ALLOW',
          args: [{ index: 0, op: 'SCMP_CMP_EQ', value: 18446744073709551615n }],
        },
        { names: ['chmod'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
      ],
    };
    expect(loaderFilter(profile, host)).toEqual({
      defaultAction: { action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
      architectures: ['x86_64', 'x86'],
      rules: [
        { name: 'read', action: 'SCMP_ACT_ALLOW', args: [] },
        { name: 'write', action: 'SCMP_ACT_ALLOW', args: [] },
        {
          name: 'personality',
          action: 'SCMP_ACT_ALLOW',
          args: [{ index: 0, op: 'SCMP_CMP_MASKED_EQ', value: 0xffffffffn, valueTwo: 8n }],
        },
        {
          name: 'clone',
          action: 'SCMP_ACT_ALLOW',
          args: [{ index: 0, op: 'SCMP_CMP_EQ', value: 18446744073709551615n }],
        },
        { name: 'chmod', action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
      ].map((rule) => ({ args: [], ...rule })),
    });
  });

  it('resolves as the runtime does: includes by capability, rules equal to the default left out', () => {
    const profile: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [
        { names: ['mount'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
        { names: ['getpid'], action: 'SCMP_ACT_ALLOW' },
        { names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
      ],
    };
    expect(loaderFilter(profile, host)).toEqual({
      defaultAction: { action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
      architectures: ['x86_64'],
      rules: [{ name: 'getpid', action: 'SCMP_ACT_ALLOW', args: [] }],
    });
  });

  it('refuses SCMP_ACT_NOTIFY: a host command has no listener', () => {
    expect(() =>
      loaderFilter(
        { defaultAction: 'SCMP_ACT_NOTIFY', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] },
        host,
      ),
    ).toThrow(/SCMP_ACT_NOTIFY/);
  });
});
