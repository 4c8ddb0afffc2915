import { access, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emitFirejail } from '../../src/emit/firejail.js';
import { UserError } from '../../src/errors.js';
import { type GenerateOptions, generateForRecording } from '../../src/profile/generate.js';
import { logProfile } from '../../src/profile/log-profile.js';
import type { SeccompProfile } from '../../src/profile/model.js';
import { cli, SAMPLES } from '../helpers/cli.js';
import { sampleRecording } from '../helpers/sample-recording.js';

const BUSYBOX = 'strace-C-busybox-sh.txt';
const OPTIONS: GenerateOptions = {
  defaultAction: 'errno',
  runtime: 'none',
  allow: [],
  deny: [],
  widen: 'none',
};

/** A profile generated from a captured trace in samples/traces/, as `generate` writes it. */
async function generated(sample: string, extra: Partial<GenerateOptions> = {}): Promise<SeccompProfile> {
  return generateForRecording(await sampleRecording(sample), { ...OPTIONS, ...extra }).profile;
}

const line = (text: string, keyword: string): string | undefined =>
  text.split('\n').find((entry) => entry.startsWith(`${keyword} `));

describe('--format firejail', () => {
  it("writes a busybox recording's allowlist as seccomp.keep, clone's namespace rule as restrict-namespaces", async () => {
    // A full trace: clone never created a namespace, clone3 was never called (ENOSYS); busybox's
    // prctl options are learned too, and --allow lets it through for every option, as firejail can.
    const profile = await generated(BUSYBOX, { allow: ['prctl'] });
    const text = emitFirejail(profile);
    const keep = line(text, 'seccomp.keep')?.slice('seccomp.keep '.length).split(',') ?? [];
    const allowed = (profile.syscalls ?? []).flatMap((rule) =>
      rule.action === 'SCMP_ACT_ALLOW' ? rule.names : [],
    );
    expect(keep.filter((name) => !name.includes(':')).sort()).toEqual([...new Set(allowed)].sort());
    expect(keep).toContain('clone3:ENOSYS');
    expect(line(text, 'restrict-namespaces')).toBe('restrict-namespaces cgroup,ipc,mnt,net,pid,user,uts');
    expect(line(text, 'seccomp-error-action')).toBe('seccomp-error-action EPERM');
    expect(text).toContain('\nseccomp.block-secondary\n');
  });

  it('spells the default action as seccomp-error-action', async () => {
    const enosys = emitFirejail(await generated(BUSYBOX, { allow: ['prctl'], defaultAction: 'enosys' }));
    expect(line(enosys, 'seccomp-error-action')).toBe('seccomp-error-action ENOSYS');
    // clone3's ENOSYS is the default action's now: no name:ERRNO of its own.
    expect(line(enosys, 'seccomp.keep')).toMatch(/[ ,]clone,/);
    expect(line(enosys, 'seccomp.keep')).not.toContain('clone3:');
    const kill = emitFirejail(await generated(BUSYBOX, { allow: ['prctl'], defaultAction: 'kill' }));
    expect(line(kill, 'seccomp-error-action')).toBe('seccomp-error-action kill');
    expect(line(kill, 'seccomp.keep')).toContain('clone3:ENOSYS');
  });

  it('writes a remove-set as seccomp.drop, with its namespace refusals as restrict-namespaces', async () => {
    const text = emitFirejail(await generated(BUSYBOX, { allow: ['prctl'], style: 'remove-set' }));
    expect(line(text, 'seccomp.keep')).toBeUndefined();
    const drop = line(text, 'seccomp.drop')?.split(/[ ,]/) ?? [];
    expect(drop).toEqual(expect.arrayContaining(['mount', 'ptrace', 'unshare', 'setns', 'clone3:ENOSYS']));
    expect(drop).not.toContain('clone');
    expect(line(text, 'restrict-namespaces')).toBe('restrict-namespaces cgroup,ipc,mnt,net,pid,user,uts');
  });

  it('refuses an argument rule it cannot carry, saying how to get one it can', async () => {
    // The python trace has socket's domain: firejail cannot filter it.
    const profile = await generated('strace-f-tt-T-yy-python-sockets.txt');
    expect(() => emitFirejail(profile)).toThrow(UserError);
    expect(() => emitFirejail(profile)).toThrow(
      /^--format firejail: cannot carry syscalls\[\d+\] \(socket\): an argument rule \(arg0 SCMP_CMP_EQ 0x2\); firejail filters by name only, except namespace flags \(restrict-namespaces\)\. Generate with --allow NAME to allow that call for every argument, --args none for names only/,
    );
    const namesOnly = emitFirejail(await generated('strace-f-tt-T-yy-python-sockets.txt', { args: 'none' }));
    expect(line(namesOnly, 'seccomp.keep')).toContain(',socket,');
  });

  it.each([
    [
      'a second architecture',
      {
        ...logProfile('x86_64'),
        defaultAction: 'SCMP_ACT_ERRNO',
        syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }],
      },
      /3 architectures \(SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32\)/,
    ],
    [
      'the complain-mode profile',
      logProfile('x86_64'),
      /a complain-mode profile \(every call allowed and logged\)/,
    ],
    [
      'SCMP_ACT_TRAP',
      { defaultAction: 'SCMP_ACT_TRAP', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] },
      /the default action: SCMP_ACT_TRAP, which has no firejail equivalent/,
    ],
    [
      'unshare restricted otherwise than clone',
      {
        defaultAction: 'SCMP_ACT_ERRNO',
        syscalls: [
          {
            names: ['clone'],
            action: 'SCMP_ACT_ALLOW',
            args: [{ index: 0, value: 0x7e020000n, op: 'SCMP_CMP_MASKED_EQ' }],
          },
          {
            names: ['unshare'],
            action: 'SCMP_ACT_ALLOW',
            args: [{ index: 0, value: 0x10000000n, op: 'SCMP_CMP_MASKED_EQ' }],
          },
        ],
      },
      /unshare's namespace rule: restrict-namespaces cgroup,ipc,mnt,net,pid,user,uts would refuse the same namespaces for clone, unshare and setns, and the profile refuses user for it/,
    ],
    [
      'setns allowed beside a namespace rule',
      {
        defaultAction: 'SCMP_ACT_ERRNO',
        syscalls: [
          { names: ['setns'], action: 'SCMP_ACT_ALLOW' },
          {
            names: ['clone'],
            action: 'SCMP_ACT_ALLOW',
            args: [{ index: 0, value: 0x7e020000n, op: 'SCMP_CMP_MASKED_EQ' }],
          },
        ],
      },
      /setns's namespace rule: .* and the profile allows setns for every flag/,
    ],
  ] as const)('refuses %s', (_case, profile, message) => {
    expect(() => emitFirejail(profile as SeccompProfile)).toThrow(message);
  });

  it('a learning command it refuses says so in one line and keeps the recording', async () => {
    const prefix = join(await mkdtemp(join(tmpdir(), 'sl-firejail-')), 'py');
    const sample = join(SAMPLES, 'strace-f-tt-T-yy-python-sockets.txt');
    const result = await cli([
      'from-strace',
      sample,
      '--format',
      'firejail',
      '--runtime',
      'none',
      '-o',
      prefix,
    ]);
    expect(result.exitCode).toBe(2);
    const error = result.stderr.split('\n').filter((entry) => entry.startsWith('seccomp-learn: error:'));
    expect(error).toEqual([
      expect.stringMatching(
        /cannot carry syscalls\[\d+\] \(socket\).*\(the recording is saved: seccomp-learn generate .*py\.recording\.json with other options writes its profile\)$/,
      ),
    ]);
    await access(`${prefix}.recording.json`);
    await expect(access(`${prefix}.profile.firejail`)).rejects.toThrow();
  });
});
