import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { dockerRunScript, hostAndDockerSkipReason } from '../helpers/e2e.js';

const skip = await hostAndDockerSkipReason();

const WORKLOAD = 'echo hi > /tmp/x; cat /tmp/x';
const REFUSED = 'echo hi > /tmp/x; chmod 600 /tmp/x';

describe.skipIf(skip)(
  `--default-action in the Docker engine here${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    it('enosys: a refused call fails with ENOSYS, even where the engine ignores defaultErrnoRet', async () => {
      const version = await execa('docker', ['version', '--format', '{{.Server.Version}}'], {
        reject: false,
      });
      const work = await mkdtemp(join(tmpdir(), 'sl-e2e-'));
      const prefix = join(work, 'enosys');
      const recorded = await cli([
        'record',
        '-o',
        prefix,
        '--widen',
        'none',
        '--default-action',
        'enosys',
        '--',
        '/bin/busybox',
        'sh',
        '-c',
        WORKLOAD,
      ]);
      expect(recorded.exitCode, recorded.stderr).toBe(0);
      const profile = JSON.parse(await readFile(`${prefix}.profile.json`, 'utf8'));
      expect(profile.syscalls[0].names).not.toContain('chmod');

      const allowed = await dockerRunScript(WORKLOAD, { profile: `${prefix}.profile.json` });
      expect(allowed.stdout, allowed.stderr).toBe('hi');
      const refused = await dockerRunScript(REFUSED, { profile: `${prefix}.profile.json` });
      expect(refused.exitCode).not.toBe(0);
      expect(refused.stderr, `docker ${version.stdout}`).toContain('Function not implemented');
      expect(refused.stderr).not.toContain('Operation not permitted');
    });

    it('errno (the default): a refused call fails with EPERM', async () => {
      const work = await mkdtemp(join(tmpdir(), 'sl-e2e-'));
      const prefix = join(work, 'eperm');
      const recorded = await cli([
        'record',
        '-o',
        prefix,
        '--widen',
        'none',
        '--',
        '/bin/busybox',
        'sh',
        '-c',
        WORKLOAD,
      ]);
      expect(recorded.exitCode, recorded.stderr).toBe(0);
      const refused = await dockerRunScript(REFUSED, { profile: `${prefix}.profile.json` });
      expect(refused.exitCode).not.toBe(0);
      expect(refused.stderr).toContain('Operation not permitted');
    });
  },
);
