import { chmod, copyFile, mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { readLxcPolicy } from '../../src/profile/read-lxc.js';
import { cli } from '../helpers/cli.js';
import { available, e2eSkipReason } from '../helpers/e2e.js';

/**
 * LXC (Debian's lxc, installed by scripts/setup-e2e.sh) loads the policies `generate --format lxc`
 * and `--format lxc-v1` write: a busybox container without a network runs the recorded workload
 * under each, and a call the workload never made is refused.
 */
const skip = await e2eSkipReason(
  'lxc-execute (Debian lxc), strace and /bin/busybox',
  async () =>
    (await available('lxc-execute', ['--version'])) &&
    (await available('strace', ['-V'])) &&
    (await available('/bin/busybox', ['true'])),
);

const WORKLOAD = 'echo hello > /tmp/f; cat /tmp/f; ls /';
// ionice makes ioprio_set, which neither the workload nor LXC's own start-up makes.
const UNLISTED = 'ionice -c 3 true; echo "ionice exit $?"';

let dir: string;
let containers = 0;

/** A rootfs of the static busybox, as setup-e2e.sh builds the Docker test image. */
async function busyboxRootfs(root: string): Promise<void> {
  for (const sub of ['bin', 'tmp', 'etc', 'proc', 'sys', 'dev'])
    await mkdir(join(root, sub), { recursive: true });
  await chmod(join(root, 'tmp'), 0o1777);
  await copyFile('/bin/busybox', join(root, 'bin', 'busybox'));
  await chmod(join(root, 'bin', 'busybox'), 0o755);
  const applets = (await execa('/bin/busybox', ['--list'])).stdout
    .split('\n')
    .filter((name) => name && name !== 'busybox');
  await Promise.all(applets.map((name) => symlink('busybox', join(root, 'bin', name))));
}

/** The container's configuration: no network; the policy file when one is given. */
async function config(policy?: string): Promise<string> {
  const file = join(dir, `config-${++containers}`);
  const lines = [
    `lxc.uts.name = sl-lxc`,
    `lxc.rootfs.path = dir:${join(dir, 'rootfs')}`,
    'lxc.net.0.type = empty',
    ...(policy ? [`lxc.seccomp.profile = ${policy}`] : []),
  ];
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

/** lxc-execute's argument vector for a shell script in the container, under `policy`. */
async function lxcExecute(script: string, policy?: string): Promise<string[]> {
  return [
    'lxc-execute',
    '-n',
    `sl-lxc-${process.pid}-${containers + 1}`,
    '-P',
    dir,
    '-f',
    await config(policy),
    '--',
    '/bin/sh',
    '-c',
    script,
  ];
}

async function run(script: string, policy?: string) {
  const [command = '', ...args] = await lxcExecute(script, policy);
  return execa(command, args, { reject: false, timeout: 60_000, all: true });
}

describe.skipIf(skip)(
  `generate --format lxc, lxc-v1 loaded by LXC${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    let recording: string;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'sl-lxc-'));
      await chmod(dir, 0o755);
      await busyboxRootfs(join(dir, 'rootfs'));
      // strace follows lxc-execute into the container: the recording holds what LXC does after
      // loading the filter (and, harmlessly, what it does before), then the workload's calls.
      const prefix = join(dir, 'work');
      const recorded = await cli([
        'record',
        '-o',
        prefix,
        '--runtime',
        'none',
        '--',
        ...(await lxcExecute(WORKLOAD)),
      ]);
      expect(recorded.exitCode, recorded.stderr).toBe(0);
      recording = `${prefix}.recording.json`;
      // Without a policy the unlisted call succeeds: its refusal below is the policy's doing.
      const free = await run(UNLISTED);
      expect(free.all).toContain('ionice exit 0');
    }, 120_000);

    it('version 2: the workload runs, an unlisted call gets EPERM', async () => {
      const policy = join(dir, 'work.seccomp');
      const generated = await cli(['generate', recording, '--format', 'lxc', '-o', policy]);
      expect(generated.exitCode, generated.stderr).toBe(0);
      const text = await readFile(policy, 'utf8');
      expect(text.startsWith('2\nallowlist errno 1\n')).toBe(true);
      // The learned clone rule, in LXC's order (expected bits, then the mask): a wrong order would
      // refuse every fork of the shell.
      expect(text).toContain('clone allow [0,0,SCMP_CMP_MASKED_EQ,0x7e020000]');
      const allowed = new Set((readLxcPolicy(text, policy).syscalls ?? []).flatMap((rule) => rule.names));
      expect(allowed.has('ioprio_set')).toBe(false);

      const workload = await run(WORKLOAD, policy);
      expect(workload.exitCode, workload.all).toBe(0);
      expect(workload.stdout).toContain('hello');
      expect(workload.stdout).toContain('tmp');

      const refused = await run(UNLISTED, policy);
      expect(refused.all).toContain('ioprio_set: Operation not permitted');
      expect(refused.all).toContain('ionice exit 1');
    }, 120_000);

    it('version 1: the workload runs, an unlisted call is killed', async () => {
      const policy = join(dir, 'work-v1.seccomp');
      // Version 1 has a kill default and no argument comparisons: personality keeps Docker's
      // restricted form even with --args none, so it is allowed outright.
      const flags = ['--default-action', 'kill', '--args', 'none', '--allow', 'personality'];
      const generated = await cli(['generate', recording, '--format', 'lxc-v1', ...flags, '-o', policy]);
      expect(generated.exitCode, generated.stderr).toBe(0);
      const text = await readFile(policy, 'utf8');
      expect(text).toMatch(/^1\nallowlist\n(\d+\n)+$/);

      const workload = await run(WORKLOAD, policy);
      expect(workload.exitCode, workload.all).toBe(0);
      expect(workload.stdout).toContain('hello');

      const refused = await run(UNLISTED, policy);
      // SIGSYS: the shell reports 128 + 31.
      expect(refused.all).toContain('ionice exit 159');
    }, 120_000);

    it('LXC refuses what the reader refuses: a rule with the default action', async () => {
      const policy = join(dir, 'default-rule.seccomp');
      await writeFile(policy, '2\nallowlist errno 1\nread errno 1\n');
      expect(() => readLxcPolicy('2\nallowlist errno 1\nread errno 1\n', policy)).toThrow(
        /libseccomp refuses/,
      );
      const started = await run('true', policy);
      expect(started.exitCode).not.toBe(0);
      expect(started.all).toContain('Failed to add rule for syscall[0:read]');
    }, 60_000);
  },
);
