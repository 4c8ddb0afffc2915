import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { dockerRunScript, hostAndDockerSkipReason } from '../helpers/e2e.js';

const skip = await hostAndDockerSkipReason();

// The same busybox binary runs on the host (traced) and in the container (filtered).
const WORKLOAD = 'd=/tmp/sl.$$; mkdir $d; echo hello > $d/f; cat $d/f; seq 1 3 | wc -l; rm -r $d';

describe.skipIf(skip)(`record on the host, enforce in Docker${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('learns a profile under which the same workload runs in Docker and anything else is refused', async () => {
    const work = await mkdtemp(join(tmpdir(), 'sl-e2e-'));
    const prefix = join(work, 'busybox');
    const recorded = await cli([
      'record',
      '-o',
      prefix,
      '--widen',
      'none',
      '--json',
      '--',
      '/bin/busybox',
      'sh',
      '-c',
      WORKLOAD,
    ]);
    expect(recorded.exitCode, recorded.stderr).toBe(0);
    expect(recorded.stdout).toContain('"profile"');

    const profile = JSON.parse(await readFile(`${prefix}.profile.json`, 'utf8'));
    expect(profile.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(profile.defaultErrnoRet).toBe(1);
    expect(profile.architectures).toEqual(['SCMP_ARCH_X86_64']);
    const allowed: string[] = profile.syscalls[0].names;
    expect(allowed).toContain('execve');
    expect(allowed).not.toContain('chmod');
    expect(allowed).not.toContain('fchmodat');

    const allowedRun = await dockerRunScript(WORKLOAD, { profile: `${prefix}.profile.json` });
    expect(allowedRun.stderr).toBe('');
    expect(allowedRun.stdout).toBe('hello\n3');
    expect(allowedRun.exitCode).toBe(0);

    const refused = await dockerRunScript('echo hi > /tmp/x; chmod 600 /tmp/x', {
      profile: `${prefix}.profile.json`,
    });
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toContain('Operation not permitted');
  });

  it('without the runtime baseline the container cannot even start', async () => {
    const work = await mkdtemp(join(tmpdir(), 'sl-e2e-'));
    const prefix = join(work, 'bare');
    const recorded = await cli([
      'record',
      '-o',
      prefix,
      '--runtime',
      'none',
      '--widen',
      'none',
      '--',
      '/bin/busybox',
      'true',
    ]);
    expect(recorded.exitCode, recorded.stderr).toBe(0);
    const run = await dockerRunScript('true', { profile: `${prefix}.profile.json` });
    expect(run.exitCode).not.toBe(0);
  });
});
