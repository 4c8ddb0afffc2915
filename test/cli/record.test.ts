import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { BIN, cli } from '../helpers/cli.js';
import { straceSkipReason } from '../helpers/e2e.js';
import { waitForOutput } from '../helpers/wait.js';

const skip = await straceSkipReason();

async function workDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'sl-record-'));
}

/** A private TMPDIR for one run, so what seccomp-learn leaves behind (it must leave nothing) is its own. */
async function privateTmp(): Promise<{ env: Record<string, string>; leftovers: () => Promise<string[]> }> {
  const dir = await mkdtemp(join(tmpdir(), 'sl-tmp-'));
  return { env: { NO_COLOR: '1', TMPDIR: dir }, leftovers: () => readdir(dir) };
}

describe.skipIf(skip)(`record${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('passes stdin, stdout and stderr through, returns the exit code and writes recording and profile', async () => {
    const dir = await workDir();
    const tmp = await privateTmp();
    const result = await cli(
      [
        'record',
        '--backend',
        'strace',
        '-o',
        join(dir, 'cat'),
        '--',
        '/bin/busybox',
        'sh',
        '-c',
        'cat; echo oops >&2; exit 7',
      ],
      { input: 'from stdin\n', env: tmp.env },
    );
    expect(result.exitCode).toBe(7);
    expect(result.stdout).toBe('from stdin');
    expect(result.stderr).toContain('oops\n');
    expect(result.stderr).toMatch(/│ read\s+│ x86_64 │/);
    const recording = JSON.parse(await readFile(join(dir, 'cat.recording.json'), 'utf8'));
    expect(recording.format).toBe('seccomp-learn/recording@1');
    expect(recording.abis.x86_64.read.calls).toBeGreaterThanOrEqual(2);
    expect(recording.provenance[0]).toMatchObject({
      source: 'strace-summary',
      command: ['/bin/busybox', 'sh', '-c', 'cat; echo oops >&2; exit 7'],
      exitCode: 7,
      host: { arch: 'x86_64' },
    });
    expect(recording.provenance[0].strace).toMatch(/^\d+\.\d+/);
    const profile = JSON.parse(await readFile(join(dir, 'cat.profile.json'), 'utf8'));
    expect(profile.syscalls[0].names).toContain('read');
    expect((await stat(join(dir, 'cat.profile.json'))).mode & 0o777).toBe(0o644);
    expect(await tmp.leftovers()).toEqual([]);
  });

  it('--json: stdout is the JSON alone, the workload prints to stderr', async () => {
    const dir = await workDir();
    const result = await cli([
      'record',
      '--json',
      '-o',
      join(dir, 'j'),
      '--',
      '/bin/busybox',
      'sh',
      '-c',
      'echo from-workload; echo to-stderr >&2',
    ]);
    expect(result.exitCode, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.profile).toBe(join(dir, 'j.profile.json'));
    expect(result.stderr).toContain('from-workload\n');
    expect(result.stderr).toContain('to-stderr\n');
  });

  it('--full records a full trace with the same syscall set as -c', async () => {
    const dir = await workDir();
    const script = 'echo a > /dev/null; ls / > /dev/null';
    await cli(['record', '-o', join(dir, 'c'), '--', '/bin/busybox', 'sh', '-c', script]);
    const full = await cli([
      'record',
      '--full',
      '-o',
      join(dir, 'f'),
      '--',
      '/bin/busybox',
      'sh',
      '-c',
      script,
    ]);
    expect(full.exitCode, full.stderr).toBe(0);
    const counted = JSON.parse(await readFile(join(dir, 'c.recording.json'), 'utf8'));
    const traced = JSON.parse(await readFile(join(dir, 'f.recording.json'), 'utf8'));
    expect(traced.provenance[0].source).toBe('strace-trace');
    // strace -c leaves out calls that never return (exit_group); a full trace shows them.
    const names = (recording: { abis: { x86_64: object } }) =>
      Object.keys(recording.abis.x86_64).filter((n) => n !== 'exit_group');
    expect(names(traced)).toEqual(names(counted));
  });

  it('forwards SIGTERM to the workload and reports the exit it chose', async () => {
    const dir = await workDir();
    const tmp = await privateTmp();
    const child = execa(
      process.execPath,
      [
        BIN,
        'record',
        '-o',
        join(dir, 'term'),
        '--',
        '/bin/busybox',
        'sh',
        '-c',
        'trap "echo got-term; exit 5" TERM; echo ready; while :; do sleep 0.05; done',
      ],
      { reject: false, env: tmp.env },
    );
    await waitForOutput(child.stdout, 'ready');
    child.kill('SIGTERM');
    const result = await child;
    expect(result.stdout).toContain('got-term');
    expect(result.exitCode).toBe(5);
    const recording = JSON.parse(await readFile(join(dir, 'term.recording.json'), 'utf8'));
    expect(recording.abis.x86_64.rt_sigreturn).toBeDefined();
    expect(await tmp.leftovers()).toEqual([]);
  });

  it('attaches to a running process with --pid and stops after --duration', async () => {
    const dir = await workDir();
    const target = execa(
      '/bin/busybox',
      ['sh', '-c', 'echo ready; while :; do cat /proc/self/stat > /dev/null; sleep 0.1; done'],
      { reject: false },
    );
    try {
      await waitForOutput(target.stdout, 'ready');
      const result = await cli([
        'record',
        '--pid',
        String(target.pid),
        '--duration',
        '1',
        '-o',
        join(dir, 'pid'),
      ]);
      expect(result.exitCode, result.stderr).toBe(0);
      const recording = JSON.parse(await readFile(join(dir, 'pid.recording.json'), 'utf8'));
      expect(recording.provenance[0].pid).toBe(target.pid);
      expect(Object.keys(recording.abis.x86_64)).toEqual(expect.arrayContaining(['openat', 'read', 'wait4']));
      // --full: the attached shell is detached at the end, with no +++ exited line; that is no cut trace.
      const full = await cli([
        'record',
        '--full',
        '--pid',
        String(target.pid),
        '--duration',
        '1',
        '-o',
        join(dir, 'pidfull'),
      ]);
      expect(full.exitCode, full.stderr).toBe(0);
      const traced = JSON.parse(await readFile(join(dir, 'pidfull.recording.json'), 'utf8'));
      expect(traced.provenance[0].source).toBe('strace-trace');
      expect(Object.keys(traced.abis.x86_64)).toEqual(expect.arrayContaining(['openat', 'read', 'wait4']));
      expect(traced.warnings).toEqual([]);
    } finally {
      target.kill('SIGKILL');
    }
  });

  it('reports a missing strace clearly', async () => {
    const result = await cli(['record', '--backend', 'strace', '--', 'true'], {
      env: { NO_COLOR: '1', PATH: '/nonexistent' },
    });
    expect(result.exitCode).toBe(127);
    expect(result.stderr).toBe(
      'seccomp-learn: error: strace is not installed or not on PATH: install it (Debian/Ubuntu: apt-get install strace; Fedora/RHEL: dnf install strace; Alpine: apk add strace)',
    );
    // auto: bpftrace is not on that PATH either; it says so, then strace is missing too.
    const auto = await cli(['record', '--', 'true'], { env: { NO_COLOR: '1', PATH: '/nonexistent' } });
    expect(auto.exitCode).toBe(127);
    expect(auto.stderr).toContain('strace is not installed or not on PATH');
  });

  it('refuses a command line it cannot record', async () => {
    expect((await cli(['record'])).stderr).toContain('nothing to record: give a command after --, or --pid');
    expect((await cli(['record', '--pid', 'x'])).stderr).toContain('--pid takes a positive whole number');
    expect((await cli(['record', '--duration', '3', '--', 'true'])).stderr).toContain(
      '--duration goes with --pid',
    );
  });

  it('a command that is missing or cannot be executed exits 127/126 as a shell does and writes no profile', async () => {
    const dir = await workDir();
    const script = join(dir, 'script');
    await writeFile(script, 'echo hi\n', { mode: 0o644 });
    const binary = join(dir, 'garbage');
    // Executable bit, but no format the kernel knows: only the failed execve shows it (ENOEXEC).
    await writeFile(binary, 'not a program\n', { mode: 0o755 });
    const badInterpreter = join(dir, 'bad-interpreter');
    await writeFile(badInterpreter, '#!/nonexistent/interpreter\n', { mode: 0o755 });
    const cases: Array<[string[], string, number, string]> = [
      [[], '/nonexistent/program', 127, '/nonexistent/program: no such file'],
      [[], 'no-such-command-seccomp-learn', 127, 'no-such-command-seccomp-learn: command not found'],
      [[], script, 126, `${script}: not executable`],
      [[], dir, 126, `${dir}: not executable`],
      [[], binary, 126, `${binary}: cannot be executed (execve failed`],
      [['--full'], binary, 126, `${binary}: cannot be executed (execve failed with ENOEXEC`],
      [['--full'], badInterpreter, 127, 'execve failed with ENOENT'],
    ];
    for (const [flags, command, code, message] of cases) {
      const prefix = join(dir, 'out');
      const result = await cli(['record', ...flags, '-o', prefix, '--', command]);
      expect(result.exitCode, `${command}: ${result.stderr}`).toBe(code);
      expect(result.stderr).toContain(message);
      await expect(stat(`${prefix}.profile.json`)).rejects.toThrow();
      await expect(stat(`${prefix}.recording.json`)).rejects.toThrow();
    }
    // A command that ran and exited 127 itself is recorded as usual.
    const ran = await cli(['record', '-o', join(dir, 'ran'), '--', '/bin/busybox', 'sh', '-c', 'exit 127']);
    expect(ran.exitCode).toBe(127);
    expect((await stat(join(dir, 'ran.profile.json'))).isFile()).toBe(true);
  }, 90_000);
});

describe('record -- docker run / podman run: the command is read before anything runs', () => {
  it('finds -d, --privileged and seccomp options after any option with a value, and names an unknown option', async () => {
    const cases: [string[], string][] = [];
    for (const [engine, before] of [
      ['docker', ['--oom-score-adj', '0']],
      ['podman', ['--detach-keys', 'x']],
    ] as const) {
      const run = [engine, 'run', ...before];
      cases.push(
        [[...run, '-d', 'img', 'true'], 'a detached container (-d) cannot be recorded'],
        [[...run, '--privileged', 'img'], '--privileged containers get no seccomp filter'],
        [[...run, '--security-opt', 'seccomp=unconfined', 'img'], 'already sets seccomp=unconfined'],
      );
    }
    cases.push([['docker', 'run', '--frobnicate', 'img'], 'docker run: unknown option --frobnicate']);
    const results = await Promise.all(cases.map(([command]) => cli(['record', '--', ...command])));
    results.forEach((result, index) => {
      const [command, message] = cases[index] as [string[], string];
      expect(result.exitCode, command.join(' ')).toBe(2);
      expect(result.stderr).toContain(message);
    });
  });
});
