import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { cli, ROOT } from '../helpers/cli.js';
import { available, e2eSkipReason } from '../helpers/e2e.js';

/**
 * `generate --format firejail` proven by firejail itself (Debian's firejail 0.9.72): the recorded
 * workload runs under the generated seccomp.keep list, given on the command line
 * (`firejail --noprofile --seccomp.keep=…`) and as the profile file (`firejail --profile=FILE`),
 * while a call it never made is refused; the namespace rule becomes restrict-namespaces, which
 * refuses a clone into a new user namespace, and clone3 fails with ENOSYS.
 */
const BUSYBOX = '/bin/busybox';
const NAMESPACES_C = join(ROOT, 'test/fixtures/formats/namespaces.c');

const skip = await e2eSkipReason(
  `firejail, strace, gcc and ${BUSYBOX}`,
  async () =>
    (await available('firejail', ['--version'])) &&
    (await available('strace', ['-V'])) &&
    (await available('gcc', ['--version'])) &&
    (await available(BUSYBOX, ['true'])),
);

/** Records with strace (`full`: the arguments too) and writes the firejail profile beside the recording. */
async function learnFirejail(work: string, name: string, argv: string[], full: boolean): Promise<string> {
  const prefix = join(work, name);
  const recorded = await cli([
    'record',
    '--backend',
    'strace',
    ...(full ? ['--full'] : []),
    '--runtime',
    'none',
    '--widen',
    'none',
    '--format',
    'firejail',
    '-o',
    prefix,
    '--',
    ...argv,
  ]);
  expect(recorded.exitCode, recorded.stderr).toBe(0);
  return `${prefix}.profile.firejail`;
}

const firejail = (args: string[]) =>
  execa('firejail', ['--quiet', ...args], { reject: false, timeout: 60_000 });

describe.skipIf(skip)(`--format firejail loaded by firejail${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('runs the recorded workload under its seccomp.keep list and refuses a call it never made', async () => {
    const work = await mkdtemp(join(tmpdir(), 'sl-e2e-firejail-'));
    const target = join(work, 'target');
    await writeFile(target, 'x\n');
    const script = `d=${work}/d; mkdir $d; echo hello > $d/f; cat $d/f; seq 1 3 | wc -l; rm -r $d`;
    const workload = [BUSYBOX, 'sh', '-c', script];
    // Counts only (strace -c): busybox's prctl options are not learned, so that firejail can carry
    // the profile; clone keeps Docker's namespace rule, which firejail carries.
    const profile = await learnFirejail(work, 'bb', workload, false);
    const text = await readFile(profile, 'utf8');
    const keep = /^seccomp\.keep (\S+)$/m.exec(text)?.[1];
    expect(keep?.split(',')).toEqual(expect.arrayContaining(['execve', 'mkdir', 'wait4', 'clone3:ENOSYS']));
    expect(keep).not.toMatch(/\bchmod\b/);
    const unconfined = await execa(workload[0] ?? '', workload.slice(1));

    // As the issue asks: the list on firejail's command line, no other profile.
    const listed = await firejail(['--noprofile', `--seccomp.keep=${keep}`, ...workload]);
    expect(listed.exitCode, listed.stderr).toBe(0);
    expect(listed.stdout).toBe(unconfined.stdout);
    const chmod = [BUSYBOX, 'sh', '-c', `${script} >/dev/null; exec ${BUSYBOX} chmod 600 ${target}`];
    const refused = await firejail(['--noprofile', `--seccomp.keep=${keep}`, ...chmod]);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toContain('Operation not permitted');

    // As a user loads the file: every line of it, the same result.
    const loaded = await firejail([`--profile=${profile}`, ...workload]);
    expect(loaded.exitCode, loaded.stderr).toBe(0);
    expect(loaded.stdout).toBe(unconfined.stdout);
    const refusedByFile = await firejail([`--profile=${profile}`, ...chmod]);
    expect(refusedByFile.exitCode).not.toBe(0);
    expect(refusedByFile.stderr).toContain('Operation not permitted');
    expect((await stat(target)).mode & 0o777).not.toBe(0o600);
  });

  it('carries the learned namespace rule as restrict-namespaces: a user namespace is refused, clone3 gets ENOSYS', async () => {
    const work = await mkdtemp(join(tmpdir(), 'sl-e2e-firejail-ns-'));
    const program = join(work, 'namespaces');
    const built = await execa('gcc', ['-Wall', '-O2', '-o', program, NAMESPACES_C], { reject: false });
    expect(built.exitCode, built.stderr).toBe(0);
    const profile = await learnFirejail(work, 'ns', [program], true);
    const text = await readFile(profile, 'utf8');
    expect(text).toContain('restrict-namespaces cgroup,ipc,mnt,net,pid,user,uts\n');

    const unconfined = await execa(program, ['probe']);
    expect(unconfined.stdout).toContain('clone_newuser=ok');
    const probed = await firejail([`--profile=${profile}`, program, 'probe']);
    expect(probed.exitCode, probed.stderr).toBe(0);
    expect(probed.stdout).toBe('clone=ok\nclone_newuser=EPERM\nclone3=ENOSYS');
  });
});
