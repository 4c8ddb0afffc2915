import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { available, dockerReady, dockerRunScript, e2eSkipReason } from '../helpers/e2e.js';

const skip = await e2eSkipReason(
  'a Docker engine with the busybox image, auditd and systemd-journald',
  async () =>
    (await dockerReady()) &&
    (await available('pgrep', ['-x', 'auditd'])) &&
    (await available('pgrep', ['-x', 'systemd-journal'])),
);

describe.skipIf(skip)(
  `log-profile, then from-audit on the live logs${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    it('learns the same container from audit.log and from the journal', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'sl-live-'));
      const logProfile = join(dir, 'log.json');
      expect((await cli(['log-profile', '-o', logProfile])).exitCode).toBe(0);
      const since = (Date.now() / 1000).toFixed(3);
      // An executable path only this test runs, so other tests' containers can be filtered out by --exe.
      const run = await dockerRunScript(
        'mkdir /tmp/sl && cp /bin/busybox /tmp/sl/uname && /tmp/sl/uname -m',
        {
          profile: logProfile,
        },
      );
      expect(run.stdout).toBe('x86_64');
      await new Promise((resolve) => setTimeout(resolve, 1500));

      const learn = async (name: string, source: string[]) => {
        const prefix = join(dir, name);
        const result = await cli([
          'from-audit',
          ...source,
          '--since',
          since,
          '--exe',
          '/tmp/sl/uname',
          '-o',
          prefix,
        ]);
        expect(result.exitCode, result.stderr).toBe(0);
        return JSON.parse(await readFile(`${prefix}.recording.json`, 'utf8'));
      };
      const fromAuditLog = await learn('auditlog', []);
      const fromJournal = await learn('journal', ['--journal']);
      expect(fromAuditLog.provenance[0].inputs).toEqual(['/var/log/audit/audit.log']);
      expect(fromJournal.provenance[0].inputs).toEqual(['journalctl']);
      expect(Object.keys(fromAuditLog.abis.x86_64)).toContain('uname');
      expect(fromJournal.abis).toEqual(fromAuditLog.abis);
    }, 60_000);
  },
);
