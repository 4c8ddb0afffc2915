import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { record } from '../../src/pipeline/record.js';
import { loggingCopy, verify } from '../../src/pipeline/verify.js';
import { available, e2eSkipReason, straceSkipReason } from '../helpers/e2e.js';
import { NO_RUNTIME_CHOICES } from '../helpers/pipeline.js';

const skip = await straceSkipReason();
const skipLoader =
  skip ??
  (await e2eSkipReason('python3 with libseccomp (libseccomp.so.2)', () =>
    available('python3', ['-c', 'import ctypes; ctypes.CDLL("libseccomp.so.2")']),
  ));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sl-verify-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loggingCopy', () => {
  it('keeps the allow rules and logs every other call instead of refusing it', () => {
    const copy = loggingCopy({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [
        { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
        { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
      ],
    });
    expect(copy).toEqual({
      defaultAction: 'SCMP_ACT_LOG',
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' }],
    });
  });
});

describe.skipIf(skip)(`verify a host command${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('exits 0 on the run it learned from, 1 with the refused calls on another, and merges them in', async () => {
    const learned = await record(
      { command: ['/bin/busybox', 'ls', '/'] },
      { ...NO_RUNTIME_CHOICES, widen: 'none', output: join(dir, 'ls'), stdoutToStderr: true },
    );
    const covered = await verify(learned.profilePath, ['/bin/busybox', 'ls', '/'], { stdoutToStderr: true });
    expect(covered.exitStatus).toBe(0);
    expect(covered.refused).toEqual([]);
    const other = ['/bin/busybox', 'sh', '-c', `mkdir ${dir}/d && rmdir ${dir}/d`];
    const refused = await verify(learned.profilePath, other, {
      stdoutToStderr: true,
      mergeInto: learned.recordingPath,
    });
    expect(refused.exitStatus).toBe(1);
    expect(refused.refused.map((gap) => gap.name)).toEqual(expect.arrayContaining(['mkdir', 'rmdir']));
    expect(refused.written).toEqual([learned.recordingPath]);
    const merged = JSON.parse(await readFile(learned.recordingPath, 'utf8'));
    expect(merged.runs).toBe(2);
    expect(merged.abis.x86_64.mkdir).toBeDefined();
  });
});

describe.skipIf(skipLoader)(
  `verify --enforce a host command${skipLoader ? ` (skipped: ${skipLoader})` : ''}`,
  () => {
    it('passes under the profile it learned, and fails when the profile lacks mkdir/mkdirat: the enforced mkdir fails', async () => {
      const target = join(dir, 'made');
      const workload = ['/bin/busybox', 'sh', '-c', `mkdir ${target} && rmdir ${target} && echo made`];
      const learned = await record(
        { command: workload },
        { ...NO_RUNTIME_CHOICES, output: join(dir, 'mkdir'), stdoutToStderr: true },
      );
      const passes = await verify(learned.profilePath, workload, {
        stdoutToStderr: true,
        enforce: true,
        compareOutput: true,
      });
      expect(passes.refused).toEqual([]);
      expect(passes.enforced).toEqual({
        unconfinedExit: 0,
        enforcedExit: 0,
        exitMatches: true,
        outputMatches: true,
      });
      expect(passes.exitStatus).toBe(0);

      const profile = JSON.parse(await readFile(learned.profilePath, 'utf8'));
      for (const rule of profile.syscalls)
        rule.names = rule.names.filter((name: string) => name !== 'mkdir' && name !== 'mkdirat');
      const withoutMkdir = join(dir, 'no-mkdir.json');
      await writeFile(withoutMkdir, JSON.stringify(profile));
      const breaks = await verify(withoutMkdir, workload, {
        stdoutToStderr: true,
        enforce: true,
        compareOutput: true,
      });
      expect(breaks.enforced).toMatchObject({
        unconfinedExit: 0,
        exitMatches: false,
        outputMatches: false,
        firstDifference: { offset: 0, unconfined: 'made', enforced: '' },
      });
      expect(breaks.enforced?.enforcedExit).not.toBe(0);
      expect(breaks.exitStatus).toBe(1);
    });

    it('enforces argument rules as libseccomp loads them: mkdir allowed for mode 0777 only', async () => {
      const target = join(dir, 'mode');
      // busybox calls mkdir(path, 0777) and chmods afterwards.
      const workload = ['/bin/busybox', 'sh', '-c', `mkdir -m 700 ${target} && rmdir ${target}`];
      const learned = await record(
        { command: workload },
        { ...NO_RUNTIME_CHOICES, output: join(dir, 'mode'), stdoutToStderr: true },
      );
      const profile = JSON.parse(await readFile(learned.profilePath, 'utf8'));
      for (const rule of profile.syscalls)
        rule.names = rule.names.filter((name: string) => name !== 'mkdir' && name !== 'mkdirat');
      const withMode = async (mode: number) => {
        const file = join(dir, `mode-${mode.toString(8)}.json`);
        const rule = {
          names: ['mkdir'],
          action: 'SCMP_ACT_ALLOW',
          args: [{ index: 1, op: 'SCMP_CMP_MASKED_EQ', value: 0o777, valueTwo: mode }],
        };
        await writeFile(file, JSON.stringify({ ...profile, syscalls: [...profile.syscalls, rule] }));
        return verify(file, workload, { stdoutToStderr: true, enforce: true });
      };
      const allowed = await withMode(0o777);
      expect(allowed.enforced).toEqual({ unconfinedExit: 0, enforcedExit: 0, exitMatches: true });
      const other = await withMode(0o755);
      expect(other.enforced).toMatchObject({ unconfinedExit: 0, exitMatches: false });
      expect(other.exitStatus).toBe(1);
    });
  },
);

describe('verify --compare-output', () => {
  it('is a usage error without --enforce, before anything runs', async () => {
    await expect(
      verify(join(dir, 'absent.json'), ['/bin/true'], { compareOutput: true }),
    ).rejects.toMatchObject({
      name: 'UserError',
      exitCode: 2,
      message: expect.stringContaining('needs --enforce'),
    });
  });
});
