import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emitC } from '../../src/emit/c.js';
import { emitProfile } from '../../src/emit/formats.js';
import { UserError } from '../../src/errors.js';
import { generateForRecording } from '../../src/profile/generate.js';
import { logProfile } from '../../src/profile/log-profile.js';
import type { SeccompProfile, SeccompRule } from '../../src/profile/model.js';
import { parseProfile } from '../../src/profile/read.js';
import { ROOT } from '../helpers/cli.js';
import { sampleRecording } from '../helpers/sample-recording.js';

/** The profile generated from the captured python sockets trace (AF_INET only), names exactly as seen. */
async function pythonProfile(extra: Partial<Parameters<typeof generateForRecording>[1]> = {}) {
  const recording = await sampleRecording('strace-f-tt-T-yy-python-sockets.txt');
  return generateForRecording(recording, {
    defaultAction: 'errno',
    runtime: 'none',
    allow: [],
    deny: [],
    widen: 'none',
    ...extra,
  }).profile;
}

const ruleLines = (text: string): string[] =>
  text.split('\n').filter((line) => line.startsWith('  rule(ctx'));

describe('--format c', () => {
  it('writes one rule per allowed call, with the learned argument comparisons, under the default action', async () => {
    const profile = await pythonProfile();
    const text = emitC(profile);
    expect(text).toContain('scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(1));');
    expect(text).toContain('  arch(ctx, SCMP_ARCH_X86_64, "SCMP_ARCH_X86_64");');
    const rules = ruleLines(text);
    expect(rules).toContain('  rule(ctx, SCMP_ACT_ALLOW, "socket", 1, SCMP_A0(SCMP_CMP_EQ, 0x2ULL));');
    expect(rules).toContain(
      '  rule(ctx, SCMP_ACT_ALLOW, "clone", 1, SCMP_A0(SCMP_CMP_MASKED_EQ, 0x7e020000ULL, 0x0ULL));',
    );
    expect(rules).toContain('  rule(ctx, SCMP_ACT_ERRNO(38), "clone3", 0);');
    // One line per name of every rule: as many as the profile has names.
    const names = (profile.syscalls ?? []).reduce((count, rule) => count + rule.names.length, 0);
    expect(rules).toHaveLength(names);
    expect(text).toMatch(/execvp\(argv\[1\], argv \+ 1\);/);
    // The registered format writes the same text.
    expect(await emitProfile(profile, 'c', { name: 'x' })).toBe(text);
  });

  it('leaves out rules with the default action itself (libseccomp refuses them), and says so', async () => {
    const profile = await pythonProfile({ defaultAction: 'enosys' });
    const enosys = (profile.syscalls ?? []).filter((rule) => rule.errnoRet === 38);
    const skipped = enosys.reduce((count, rule) => count + rule.names.length, 0);
    expect(skipped).toBeGreaterThan(100);
    const text = emitC(profile);
    expect(text).toContain('seccomp_init(SCMP_ACT_ERRNO(38))');
    expect(ruleLines(text).filter((line) => line.includes('SCMP_ACT_ERRNO'))).toEqual([]);
    expect(text).toContain(`${skipped} name(s) of rules with the default action itself are left out`);
  });

  it('writes the kill and log actions, and every architecture of the complain-mode profile', () => {
    const log = emitC(logProfile('x86_64'));
    expect(log).toContain('seccomp_init(SCMP_ACT_LOG)');
    for (const arch of ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'])
      expect(log).toContain(`#ifdef ${arch}\n  arch(ctx, ${arch}, "${arch}");`);
    const kill: SeccompProfile = {
      defaultAction: 'SCMP_ACT_KILL_PROCESS',
      syscalls: [
        { names: ['read'], action: 'SCMP_ACT_ALLOW' },
        { names: ['ptrace'], action: 'SCMP_ACT_TRAP' },
        {
          names: ['personality'],
          action: 'SCMP_ACT_ALLOW',
          args: [{ index: 0, value: 8n, op: 'SCMP_CMP_LE' }],
        },
      ],
      flags: ['SECCOMP_FILTER_FLAG_LOG'],
    };
    const text = emitC(kill);
    expect(text).toContain('seccomp_init(SCMP_ACT_KILL_PROCESS)');
    expect(ruleLines(text)).toEqual([
      '  rule(ctx, SCMP_ACT_ALLOW, "read", 0);',
      '  rule(ctx, SCMP_ACT_TRAP, "ptrace", 0);',
      '  rule(ctx, SCMP_ACT_ALLOW, "personality", 1, SCMP_A0(SCMP_CMP_LE, 0x8ULL));',
    ]);
    expect(text).toContain('seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1)');
  });

  it("refuses, in one line, what a standalone program cannot carry: Docker's default with its conditions", async () => {
    const docker = parseProfile(
      await readFile(join(ROOT, 'data/reference/docker-default.json'), 'utf8'),
      'docker-default.json',
    );
    expect(() => emitC(docker)).toThrow(UserError);
    expect(() => emitC(docker)).toThrow(/^--format c: cannot carry archMap/);
    const { archMap: _dropped, ...conditions } = docker;
    expect(() => emitC(conditions)).toThrow(
      /^--format c: cannot carry syscalls\[\d+\] \([a-z0-9_, ]+\): its includes\/excludes conditions are resolved by a container runtime/,
    );
  });

  it.each<[string, SeccompRule, RegExp]>([
    [
      'SCMP_ACT_NOTIFY',
      { names: ['read'], action: 'SCMP_ACT_NOTIFY' },
      /SCMP_ACT_NOTIFY: it needs a listener/,
    ],
    ['C in a name', { names: ['read"); system("x'], action: 'SCMP_ACT_ALLOW' }, /is not a syscall name/],
    [
      'argument 6',
      { names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 6, value: 1n, op: 'SCMP_CMP_EQ' }] },
      /an argument index 6 \(read\): seccomp reads arguments 0-5/,
    ],
    [
      'two comparisons of one argument',
      {
        names: ['socket'],
        action: 'SCMP_ACT_ALLOW',
        args: [
          { index: 0, value: 1n, op: 'SCMP_CMP_GE' },
          { index: 0, value: 3n, op: 'SCMP_CMP_LE' },
        ],
      },
      /two comparisons of one argument in one rule, which runc and libseccomp read differently/,
    ],
  ])('refuses %s', (_case, rule, message) => {
    const profile: SeccompProfile = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [rule] };
    expect(() => emitC(profile)).toThrow(message);
  });
});
