import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { ARGUMENT_FIXTURES, PROBED_UNIX_AND_INET } from '../helpers/arguments-probe.js';
import { cli } from '../helpers/cli.js';
import { available, e2eSkipReason } from '../helpers/e2e.js';

/**
 * `generate --format c` proven by the program that loads it: the C source is compiled with gcc
 * against Debian's libseccomp-dev, and `./filter COMMAND…` runs the recorded workload, while a call
 * the workload never made fails with EPERM (or kills it with SIGSYS under --default-action kill),
 * and the argument rules refuse AF_PACKET sockets and user namespaces but allow what was observed.
 */
const BUSYBOX = '/bin/busybox';
const PYTHON = '/usr/bin/python3';

async function libseccompBuilds(): Promise<boolean> {
  const work = await mkdtemp(join(tmpdir(), 'sl-e2e-c-probe-'));
  const source = join(work, 'probe.c');
  await writeFile(
    source,
    '#include <seccomp.h>\nint main(void) { return seccomp_init(SCMP_ACT_ALLOW) == 0; }\n',
  );
  return available('gcc', ['-o', join(work, 'probe'), source, '-lseccomp']);
}

const skip = await e2eSkipReason(
  `gcc with libseccomp-dev, strace, ${BUSYBOX} and ${PYTHON}`,
  async () =>
    (await libseccompBuilds()) &&
    (await available('strace', ['-V'])) &&
    (await available(BUSYBOX, ['true'])) &&
    (await available(PYTHON, ['-c', 'import ctypes'])),
);

/** Compiles a generated filter as its header says, warnings as errors: the source must be clean. */
async function compile(source: string): Promise<string> {
  const program = source.replace(/\.c$/, '');
  const built = await execa(
    'gcc',
    ['-Wall', '-Wextra', '-Werror', '-O2', '-o', program, source, '-lseccomp'],
    {
      reject: false,
    },
  );
  expect(built.exitCode, built.stderr).toBe(0);
  return program;
}

async function record(prefix: string, argv: string[], extra: string[] = []): Promise<void> {
  const recorded = await cli([
    'record',
    '--backend',
    'strace',
    ...extra,
    '--runtime',
    'none',
    '-o',
    prefix,
    '--',
    ...argv,
  ]);
  expect(recorded.exitCode, recorded.stderr).toBe(0);
}

async function generateC(recording: string, output: string, extra: string[] = []): Promise<string> {
  const generated = await cli([
    'generate',
    recording,
    '--format',
    'c',
    '--runtime',
    'none',
    '--widen',
    'none',
    '-o',
    output,
    ...extra,
  ]);
  expect(generated.exitCode, generated.stderr).toBe(0);
  return compile(output);
}

const run = (argv: string[]) => execa(argv[0] ?? '', argv.slice(1), { reject: false, timeout: 60_000 });

describe.skipIf(skip)(`--format c compiled with libseccomp${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('runs the recorded workload; an unrecorded call gets EPERM, or SIGSYS with the kill action', async () => {
    const work = await mkdtemp(join(tmpdir(), 'sl-e2e-c-'));
    const target = join(work, 'target');
    await writeFile(target, 'x\n');
    const script = `d=${work}/d; mkdir $d; echo hello > $d/f; cat $d/f; seq 1 3 | wc -l; rm -r $d`;
    const workload = [BUSYBOX, 'sh', '-c', script];
    await record(join(work, 'bb'), workload);
    const unconfined = await run(workload);
    expect(unconfined.exitCode).toBe(0);

    const filter = await generateC(join(work, 'bb.recording.json'), join(work, 'filter.c'));
    const confined = await run([filter, ...workload]);
    expect(confined.stderr).toBe('');
    expect(confined.exitCode).toBe(0);
    expect(confined.stdout).toBe(unconfined.stdout);

    // chmod (fchmodat) is a call the workload never made.
    const refused = await run([
      filter,
      BUSYBOX,
      'sh',
      '-c',
      `${script} >/dev/null; exec ${BUSYBOX} chmod 600 ${target}`,
    ]);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toContain('Operation not permitted');
    expect((await stat(target)).mode & 0o777).not.toBe(0o600);

    const killing = await generateC(join(work, 'bb.recording.json'), join(work, 'kill.c'), [
      '--default-action',
      'kill',
    ]);
    expect(await readFile(join(work, 'kill.c'), 'utf8')).toContain('seccomp_init(SCMP_ACT_KILL_PROCESS)');
    const killed = await run([
      killing,
      BUSYBOX,
      'sh',
      '-c',
      `${script} >/dev/null; exec ${BUSYBOX} chmod 600 ${target}`,
    ]);
    expect(killed.signal).toBe('SIGSYS');
    expect((await stat(target)).mode & 0o777).not.toBe(0o600);

    // The complain-mode profile as a program: every call runs (and is logged by the kernel).
    const logSource = join(work, 'log.c');
    const logged = await cli(['log-profile', '--format', 'c', '-o', logSource]);
    expect(logged.exitCode, logged.stderr).toBe(0);
    expect(await readFile(logSource, 'utf8')).toContain('seccomp_init(SCMP_ACT_LOG)');
    const complain = await run([await compile(logSource), ...workload]);
    expect(complain.exitCode, complain.stderr).toBe(0);
    expect(complain.stdout).toBe(unconfined.stdout);
  });

  it('carries argument rules: AF_UNIX and AF_INET sockets run, AF_PACKET, AF_NETLINK and CLONE_NEWUSER are refused', async () => {
    const work = await mkdtemp(join(tmpdir(), 'sl-e2e-c-args-'));
    const script = join(ARGUMENT_FIXTURES, 'work.py');
    await record(join(work, 'py'), [PYTHON, script, 'unix', 'inet'], ['--full']);
    const source = join(work, 'py.c');
    const filter = await generateC(join(work, 'py.recording.json'), source);
    const text = await readFile(source, 'utf8');
    expect(text).toContain('rule(ctx, SCMP_ACT_ALLOW, "socket", 1, SCMP_A0(SCMP_CMP_EQ, 0x1ULL));');
    expect(text).toContain('rule(ctx, SCMP_ACT_ALLOW, "socket", 1, SCMP_A0(SCMP_CMP_EQ, 0x2ULL));');
    expect(text).toContain(
      'rule(ctx, SCMP_ACT_ALLOW, "clone", 1, SCMP_A0(SCMP_CMP_MASKED_EQ, 0x7e020000ULL, 0x0ULL));',
    );

    const probed = await run([filter, PYTHON, script, 'unix', 'inet', 'probe']);
    expect(probed.exitCode, probed.stderr).toBe(0);
    expect(JSON.parse(probed.stdout)).toEqual(PROBED_UNIX_AND_INET);
  });
});
