import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { dockerRunScript, hostAndDockerSkipReason } from '../helpers/e2e.js';

const skip = await hostAndDockerSkipReason();

describe.skipIf(skip)(
  `diff verdicts hold in a real Docker engine${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    it('what the diff calls denied fails under the default profile, what it calls allowed works', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'sl-diffe2e-'));
      const target = join(dir, 'mnt');
      // Learn on the host (root may mount), then ask how Docker's default treats the same calls.
      const recorded = await cli([
        'record',
        '-o',
        join(dir, 'mount'),
        '--runtime',
        'none',
        '--',
        '/bin/busybox',
        'sh',
        '-c',
        `mkdir ${target} && mount -t tmpfs none ${target} && umount ${target} && rmdir ${target}`,
      ]);
      expect(recorded.exitCode, recorded.stderr).toBe(0);
      const diff = JSON.parse((await cli(['diff', join(dir, 'mount.recording.json'), '--json'])).stdout);
      const status = (name: string) =>
        diff.abis[0].diff.entries.find((entry: { name: string }) => entry.name === name);
      expect(status('mount')).toMatchObject({
        status: 'denied',
        unlockedBy: [{ capabilities: ['CAP_SYS_ADMIN'] }],
      });
      expect(status('umount2')).toMatchObject({ status: 'denied' });
      expect(status('mkdir')).toMatchObject({ status: 'allowed' });
      expect(status('rmdir')).toMatchObject({ status: 'allowed' });

      const denied = await dockerRunScript('mount -t tmpfs none /mnt');
      expect(denied.exitCode).not.toBe(0);
      expect(denied.stderr).toMatch(/permission denied|Operation not permitted/i);
      const allowed = await dockerRunScript('mkdir /tmp/d && rmdir /tmp/d && echo ok');
      expect(allowed.stdout).toBe('ok');
      // The capability the diff names is the one that lets it through (Docker then drops mount from its filter).
      const withCap = await dockerRunScript('mkdir /m && mount -t tmpfs none /m && echo mounted', {
        extra: ['--cap-add', 'SYS_ADMIN', '--security-opt', 'apparmor=unconfined'],
      });
      expect(withCap.stdout).toBe('mounted');
    });
  },
);
