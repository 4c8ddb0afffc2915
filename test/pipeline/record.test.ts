import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { record } from '../../src/pipeline/record.js';
import { straceSkipReason } from '../helpers/e2e.js';
import { NO_RUNTIME_CHOICES } from '../helpers/pipeline.js';

const skip = await straceSkipReason();

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sl-pipeline-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(skip)(`record, in process${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it("returns the workload's exit status with what strace counted", async () => {
    const result = await record(
      { command: ['/bin/busybox', 'sh', '-c', 'ls / >/dev/null; exit 7'] },
      { ...NO_RUNTIME_CHOICES, output: join(dir, 'sh'), stdoutToStderr: true, backend: 'strace' },
    );
    expect(result.exitStatus).toBe(7);
    expect(result.recording.provenance[0]?.source).toBe('strace-summary');
    expect(result.recording.abis.x86_64?.getdents64?.calls).toBeGreaterThan(0);
    expect(result.profile.syscalls?.[0]?.names).toContain('getdents64');
  });

  it('records a full trace with --full and learns the same names', async () => {
    const result = await record(
      { command: ['/bin/busybox', 'ls', '/'] },
      { ...NO_RUNTIME_CHOICES, output: join(dir, 'full'), full: true, stdoutToStderr: true },
    );
    expect(result.recording.provenance[0]?.source).toBe('strace-trace');
    expect(result.recording.abis.x86_64?.getdents64?.calls).toBeGreaterThan(0);
  });

  it('refuses a command that cannot be executed, with the shell exit code', async () => {
    const failed = record(
      { command: [join(dir, 'no-such-program')] },
      { ...NO_RUNTIME_CHOICES, output: join(dir, 'missing') },
    );
    await expect(failed).rejects.toThrow(UserError);
    await expect(failed).rejects.toMatchObject({ exitCode: 127 });
  });
});
