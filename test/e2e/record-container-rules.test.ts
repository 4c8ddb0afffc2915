import { appendFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import split2 from 'split2';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, cli } from '../helpers/cli.js';
import { available, BUSYBOX_IMAGE, dockerReady, e2eSkipReason } from '../helpers/e2e.js';
import { waitUntil } from '../helpers/wait.js';

const skip = await e2eSkipReason(
  'a Docker engine with the sl-busybox:test image, auditd and auditctl',
  async () =>
    (await dockerReady()) &&
    (await available('pgrep', ['-x', 'auditd'])) &&
    (await available('auditctl', ['-l'])),
);

const AUDIT_LOG = '/var/log/audit/audit.log';
// A container that lives long enough for its processes to be placed (a bare `true` may end first).
const SHORT_WORKLOAD = 'ls / > /tmp/ls; wc -l < /tmp/ls; cat /tmp/ls > /dev/null';

/** Records SHORT_WORKLOAD in a container, with `env` for the CLI. */
const recordShortWorkload = (prefix: string, env: Record<string, string> = {}) =>
  cli(
    [
      'record',
      '--backend',
      'audit',
      '-o',
      prefix,
      '--',
      'docker',
      'run',
      '--rm',
      '--network',
      'none',
      BUSYBOX_IMAGE,
      'sh',
      '-c',
      SHORT_WORKLOAD,
    ],
    { env: { NO_COLOR: '1', ...env } },
  );

const auditRules = async () => String((await execa('auditctl', ['-l'])).stdout);
const containers: string[] = [];
const name = (what: string) => {
  const container = `sl-rules-${what}-${process.pid}-${Date.now()}`;
  containers.push(container);
  return container;
};

afterAll(async () => {
  if (containers.length > 0) await execa('docker', ['rm', '-f', ...containers], { reject: false });
});

describe.skipIf(skip)(
  `record -- docker run: audit rules and loss${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    it('removes the audit rules a kill -9ed recording left behind, and says so', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'sl-rules-'));
      const container = name('killed');
      const killed = execa(
        process.execPath,
        [
          BIN,
          'record',
          '--backend',
          'audit',
          '-o',
          join(dir, 'killed'),
          '--',
          'docker',
          'run',
          '--rm',
          '--network',
          'none',
          '--name',
          container,
          BUSYBOX_IMAGE,
          'sleep',
          '60',
        ],
        { reject: false, env: { NO_COLOR: '1' } },
      );
      const key = `seccomp-learn-${killed.pid}`;
      await waitUntil(
        async () => (await auditRules()).includes(key),
        'the recording to add its audit rules',
        30_000,
      );
      await waitUntil(
        async () => {
          const state = await execa('docker', ['inspect', '-f', '{{.State.Running}}', container], {
            reject: false,
          });
          return state.stdout.trim() === 'true';
        },
        'the container to run',
        30_000,
      );
      killed.kill('SIGKILL');
      // The orphaned docker client holds the output pipes until its container is gone.
      await execa('docker', ['rm', '-f', container], { reject: false });
      await killed;
      // Nothing took them away: this is the leak.
      expect(await auditRules()).toContain(key);

      const next = await recordShortWorkload(join(dir, 'next'));
      expect(next.exitCode, next.stderr).toBe(0);
      expect(next.stderr).toMatch(
        new RegExp(`removed \\d+ audit rule\\(s\\) left behind by seccomp-learn run\\(s\\) .*${killed.pid}`),
      );
      const rules = await auditRules();
      expect(rules).not.toContain(`${key} `);
      expect(rules.split('\n').filter((line) => line.endsWith(key))).toEqual([]);
    }, 90_000);

    it('says in the recording when the audit status cannot be read, instead of staying silent', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'sl-status-'));
      const real = (await execa('sh', ['-c', 'command -v auditctl'])).stdout.trim();
      // auditctl as it is, except that -s prints something that is not a status.
      await writeFile(
        join(dir, 'auditctl'),
        `#!/bin/sh\nif [ "$1" = "-s" ]; then echo "garbled status"; exit 0; fi\nexec ${real} "$@"\n`,
      );
      await chmod(join(dir, 'auditctl'), 0o755);
      const prefix = join(dir, 'status');
      const result = await recordShortWorkload(prefix, { PATH: `${dir}:${process.env.PATH}` });
      expect(result.exitCode, result.stderr).toBe(0);
      const recording = JSON.parse(await readFile(`${prefix}.recording.json`, 'utf8'));
      const warning = recording.warnings.find((w: { code: string }) => w.code === 'audit-status-unknown');
      expect(warning?.message).toContain("the kernel's audit status could not be read before the run");
      expect(result.stderr).toContain("the kernel's audit status could not be read");
    }, 60_000);

    it('exits 3 when records cannot be placed in the container, or --loss-exit-code, and says which in --json', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'sl-loss-'));
      const sync = join(dir, 'sync');
      await mkdir(sync, { mode: 0o777 });
      // A private audit log: the real one relayed line by line, plus a record of a process no one can place.
      // Whole lines only, from this process: tail writes 4 KiB blocks that cut lines, and a record
      // appended between two of them would land inside another line.
      const log = join(dir, 'audit.log');
      await writeFile(log, '');
      const relay = execa('tail', ['-n0', '-F', AUDIT_LOG], { reject: false, buffer: false });
      relay.stdout?.pipe(split2()).on('data', (line: string) => appendFileSync(log, `${line}\n`));
      try {
        const ready = `sl-relay-ready-${process.pid}-${Date.now()}`;
        await waitUntil(
          async () => {
            await execa('auditctl', ['-m', ready]);
            return (await readFile(log, 'utf8')).includes(ready);
          },
          'the audit log relay',
          30_000,
        );
        const record = (what: string, exit: number, extra: string[]) =>
          cli([
            'record',
            '--backend',
            'audit',
            '-o',
            join(dir, what),
            '--audit-log',
            log,
            '--json',
            ...extra,
            '--',
            'docker',
            'run',
            '--rm',
            '--network',
            'none',
            '--name',
            name(what),
            '-v',
            `${sync}:/sync`,
            BUSYBOX_IMAGE,
            'sh',
            '-c',
            `touch /sync/${what}; while [ ! -e /sync/go ]; do sleep 0.05; done; exit ${exit}`,
          ]);
        const plain = record('plain', 0, []);
        const coded = record('coded', 3, ['--loss-exit-code', '97']);
        await waitUntil(
          async () =>
            (await stat(join(sync, 'plain')).catch(() => undefined)) !== undefined &&
            (await stat(join(sync, 'coded')).catch(() => undefined)) !== undefined,
          'both containers to run',
          30_000,
        );
        // pid 4194999 is above any pid_max: the process cannot be placed in any container.
        const now = (Date.now() / 1000).toFixed(3);
        appendFileSync(
          log,
          `type=SECCOMP msg=audit(${now}:1): auid=4294967295 uid=0 gid=0 ses=4294967295 subj=unconfined pid=4194999 comm="ghost" exe="/bin/ghost" sig=0 arch=c000003e syscall=165 compat=0 ip=0x7f0000000000 code=0x7ffc0000\n`,
        );
        await writeFile(join(sync, 'go'), '');
        const [plainResult, codedResult] = await Promise.all([plain, coded]);

        expect(plainResult.exitCode, plainResult.stderr).toBe(3);
        expect(plainResult.stderr).toContain('could not be placed in the container');
        const plainRecording = JSON.parse(await readFile(join(dir, 'plain.recording.json'), 'utf8'));
        expect(plainRecording.warnings.map((w: { code: string }) => w.code)).toContain('unresolved-process');
        expect(plainRecording.provenance[0].exitCode).toBe(0);

        // The container exited 3 itself; the loss is 97, and --json and the recording say both.
        expect(codedResult.exitCode, codedResult.stderr).toBe(97);
        const json = JSON.parse(codedResult.stdout.slice(codedResult.stdout.indexOf('{')));
        expect(json.incomplete).toBe(true);
        expect(json.warnings.map((w: { code: string }) => w.code)).toContain('unresolved-process');
        const codedRecording = JSON.parse(await readFile(join(dir, 'coded.recording.json'), 'utf8'));
        expect(codedRecording.provenance[0].exitCode).toBe(3);
      } finally {
        relay.kill('SIGTERM');
        await relay;
      }
    }, 90_000);

    it('refuses --loss-exit-code out of range or with --allow-incomplete', async () => {
      const bad = await cli([
        'record',
        '--backend',
        'audit',
        '--loss-exit-code',
        '0',
        '--',
        'docker',
        'run',
        BUSYBOX_IMAGE,
        'true',
      ]);
      expect(bad.exitCode).toBe(2);
      expect(bad.stderr).toContain('--loss-exit-code takes an exit code from 1 to 255, not "0"');
      const both = await cli([
        'record',
        '--backend',
        'audit',
        '--loss-exit-code',
        '9',
        '--allow-incomplete',
        '--',
        'docker',
        'run',
        BUSYBOX_IMAGE,
        'true',
      ]);
      expect(both.exitCode).toBe(2);
      expect(both.stderr).toContain('--loss-exit-code and --allow-incomplete exclude each other');
    });
  },
);
