import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { available, dockerReady, dockerRunScript, e2eSkipReason } from '../helpers/e2e.js';
import { waitUntil } from '../helpers/wait.js';

const skip = await e2eSkipReason(
  'a Docker engine with the busybox image and auditd',
  async () => (await dockerReady()) && (await available('pgrep', ['-x', 'auditd'])),
);

describe.skipIf(skip)(
  `log-profile, then from-audit on the live audit log${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    it('learns a container run by hand under the complain-mode profile, and the profile holds', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'sl-live-'));
      const logProfile = join(dir, 'log.json');
      expect((await cli(['log-profile', '-o', logProfile])).exitCode).toBe(0);
      const since = (Date.now() / 1000).toFixed(3);
      // An executable path only this test runs, so other tests' containers can be filtered out by --exe.
      const script = 'mkdir -p /tmp/sl && cp /bin/busybox /tmp/sl/uname && /tmp/sl/uname -m';
      const run = await dockerRunScript(script, { profile: logProfile });
      expect(run.stdout).toBe('x86_64');
      // auditd writes records in the order the kernel queued them: once a marker sent after the run is in
      // the log, so are the run's records.
      const marker = `sl-live-test-${process.pid}-${Date.now()}`;
      await execa('auditctl', ['-m', marker]);
      await waitUntil(
        async () => (await readFile('/var/log/audit/audit.log', 'utf8')).includes(marker),
        'the audit marker in /var/log/audit/audit.log',
      );

      const prefix = join(dir, 'uname');
      const result = await cli([
        'from-audit',
        '--since',
        since,
        '--exe',
        '/tmp/sl/uname',
        '--runtime',
        'runc',
        '-o',
        prefix,
      ]);
      expect(result.exitCode, result.stderr).toBe(0);
      const recording = JSON.parse(await readFile(`${prefix}.recording.json`, 'utf8'));
      expect(recording.provenance[0].inputs).toEqual(['/var/log/audit/audit.log']);
      expect(Object.keys(recording.abis.x86_64)).toContain('uname');
      expect(Object.keys(recording.abis.x86_64)).not.toContain('mkdir'); // made by sh, not by /tmp/sl/uname

      // Only uname's own calls were learnt: with runc's baseline and sh's calls allowed too it runs.
      const shell = join(dir, 'shell');
      await cli(['from-audit', '--since', since, '--exe', '/bin/busybox', '--runtime', 'none', '-o', shell]);
      const merged = join(dir, 'both.json');
      expect(
        (await cli(['merge', `${prefix}.profile.json`, `${shell}.profile.json`, '-o', merged])).exitCode,
      ).toBe(0);
      const again = await dockerRunScript(script, { profile: merged });
      expect(again.stdout, again.stderr).toBe('x86_64');
    }, 60_000);
  },
);
