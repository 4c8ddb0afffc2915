import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { record } from '../../src/pipeline/record.js';
import { loggingCopy, verify } from '../../src/pipeline/verify.js';
import { straceSkipReason } from '../helpers/e2e.js';
import { NO_RUNTIME_CHOICES } from '../helpers/pipeline.js';

const skip = await straceSkipReason();

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
