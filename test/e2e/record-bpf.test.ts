import { mkdtemp, readFile, readlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { baselineFor } from '../../src/profile/runtime-baselines.js';
import { bpfReadiness, TASK_FIELDS_BY_NAME } from '../../src/sources/bpf.js';
import { cli } from '../helpers/cli.js';
import {
  available,
  BUSYBOX_IMAGE,
  DEBIAN_IMAGE,
  dockerReady,
  dockerRunArgv,
  dockerRunScript,
  e2eSkipReason,
  PODMAN_IMAGE,
  PODMAN_RUN,
} from '../helpers/e2e.js';

/**
 * The bpf backend end to end: a host command, --pid, containers (alone, two at once, short-lived)
 * and a 32-bit binary are recorded with --backend bpf, and each profile then runs its workload
 * under enforcement in Docker while a call the workload never made is refused.
 */
const skip = await e2eSkipReason(
  'the bpf backend (root, bpftrace, BTF, tracefs), /bin/busybox and a Docker engine with the sl-busybox:test image',
  async () =>
    (await bpfReadiness()).ok && (await available('/bin/busybox', ['true'])) && (await dockerReady()),
);

interface Learned {
  prefix: string;
  recording: {
    abis: Record<string, Record<string, { calls: number; errors?: number }>>;
    provenance: Array<Record<string, unknown>>;
    warnings: unknown[];
  };
  names: (abi?: string) => string[];
}

async function learn(name: string, argv: string[], extra: string[] = []): Promise<Learned> {
  const work = await mkdtemp(join(tmpdir(), 'sl-e2e-bpf-'));
  const prefix = join(work, name);
  const result = await cli([
    'record',
    '--backend',
    'bpf',
    '--widen',
    'none',
    '-o',
    prefix,
    ...extra,
    '--',
    ...argv,
  ]);
  expect(result.exitCode, result.stderr).toBe(0);
  const recording = JSON.parse(await readFile(`${prefix}.recording.json`, 'utf8'));
  expect(recording.provenance[0]).toMatchObject({ source: 'bpf', backend: 'bpf' });
  expect(recording.provenance[0].bpftrace).toMatch(/^\d+\.\d+/);
  return {
    prefix,
    recording,
    names: (abi = 'x86_64') => Object.keys(recording.abis[abi] ?? {}).sort(),
  };
}

/** The runtime's set-up before the filter: never in a container recording. */
const SETUP_CALLS = ['mount', 'pivot_root', 'umount2', 'unshare', 'sethostname', 'setns'];

const WORKLOAD = 'd=/tmp/sl.$$; mkdir $d; echo hello > $d/f; cat $d/f; seq 1 3 | wc -l; rm -r $d';

async function expectEnforced(profile: string, script: string, stdout: string): Promise<void> {
  const allowed = await dockerRunScript(script, { profile });
  expect(allowed.stderr).toBe('');
  expect(allowed.stdout).toBe(stdout);
  expect(allowed.exitCode).toBe(0);
  // chmod (fchmodat) is a call none of these workloads makes. The script runs as it was recorded:
  // a redirection the recording never saw would need dup2, and ash retries a refused dup2 forever.
  const refused = await dockerRunScript(`${script}; chmod 600 /tmp`, { profile });
  expect(refused.timedOut).toBe(false);
  expect(refused.stdout).toBe(stdout);
  expect(refused.exitCode).not.toBe(0);
  expect(refused.stderr).toContain('Operation not permitted');
}

describe.skipIf(skip)(`record --backend bpf${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it("reads the task fields at the offsets found in the kernel's BTF: what /proc says of a container", async () => {
    const readiness = await bpfReadiness();
    if (!readiness.ok) throw new Error(readiness.missing);
    expect(readiness.support.task).not.toEqual(TASK_FIELDS_BY_NAME);
    // A container (seccomp filter, its own mount and UTS namespaces, its own cgroup) making calls all the time.
    const name = `sl-e2e-btf-${process.pid}`;
    const argv = ['run', '-d', '--rm', '--name', name, '--hostname', 'sl-btf', '--network', 'none'];
    await execa('docker', [...argv, BUSYBOX_IMAGE, 'yes']);
    try {
      const pid = (await execa('docker', ['inspect', '-f', '{{.State.Pid}}', name])).stdout.trim();
      const { task } = readiness.support;
      const program = `tracepoint:raw_syscalls:sys_enter /pid == ${pid}/ {
  printf("%d %d %u %s %s\\n", ${task.status} & 0x2, ${task.seccompMode}, ${task.mountNamespace}, ${task.cgroupName}, ${task.hostname});
  exit();
}`;
      const { stdout } = await execa(readiness.support.bpftrace, ['-e', program], {
        timeout: 60_000,
        env: { BPFTRACE_STRLEN: '128' },
      });
      const [abi, seccompMode, mountNamespace, cgroup, hostname] =
        stdout.trim().split('\n').at(-1)?.split(' ') ?? [];
      const proc = (file: string) => readFile(`/proc/${pid}/${file}`, 'utf8');
      expect(abi).toBe('0');
      expect(seccompMode).toBe(/^Seccomp:\s*(\d+)/m.exec(await proc('status'))?.[1]);
      expect(`mnt:[${mountNamespace}]`).toBe(await readlink(`/proc/${pid}/ns/mnt`));
      expect(cgroup).toBe(/^0::.*\/([^/\n]+)$/m.exec(await proc('cgroup'))?.[1]);
      expect(hostname).toBe('sl-btf');
    } finally {
      await execa('docker', ['rm', '-f', name], { reject: false });
    }
  }, 120_000);

  it('a host command: its own tree from its execve on, enforced in Docker', async () => {
    const learned = await learn('host', ['/bin/busybox', 'sh', '-c', WORKLOAD]);
    // One execve of sh, and one per forked applet the shell executes (seq, wc run in a pipe): nothing of seccomp-learn's spawn.
    expect(learned.recording.abis.x86_64?.execve?.calls).toBeGreaterThanOrEqual(1);
    expect(learned.names()).toEqual(expect.arrayContaining(['mkdir', 'openat', 'write', 'exit_group']));
    expect(learned.names()).not.toContain('fchmodat');
    await expectEnforced(`${learned.prefix}.profile.json`, WORKLOAD, 'hello\n3');
  }, 120_000);

  it('counts a host command call for call as strace -f -c does, errors included', async () => {
    // Forks (the child's return from clone is no call), execs, pipes, a subshell, failed calls
    // (mkdir -p of an existing folder, ioctl on files), signals (SIGCHLD handlers: rt_sigreturn).
    const script =
      'd=/tmp/sl-exact.$$; mkdir -p $d; mkdir -p $d; echo hi > $d/f; seq 1 50 > $d/g; cat $d/f $d/g > $d/h; wc -l < $d/h; (ls $d > /dev/null); rm -r $d; kill -0 $$';
    const counted = await learn('exact-bpf', ['/bin/busybox', 'sh', '-c', script]);
    const tracedPrefix = `${counted.prefix}-strace`;
    const strace = await cli([
      'record',
      '--backend',
      'strace',
      '--widen',
      'none',
      '-o',
      tracedPrefix,
      '--',
      '/bin/busybox',
      'sh',
      '-c',
      script,
    ]);
    expect(strace.exitCode, strace.stderr).toBe(0);
    const traced: Pick<Learned['recording'], 'abis'> = JSON.parse(
      await readFile(`${tracedPrefix}.recording.json`, 'utf8'),
    );
    const table = (recording: Pick<Learned['recording'], 'abis'>) =>
      Object.fromEntries(
        Object.entries(recording.abis.x86_64 ?? {}).map(([name, stats]) => [
          name,
          [stats.calls, stats.errors],
        ]),
      );
    // strace -c lists the calls that return: exit_group, one per process, never does.
    const { exit_group: exits, ...returning } = table(counted.recording);
    expect(returning).toEqual(table(traced));
    // Every process exits with exit_group: sh and each child it forked.
    expect(exits).toEqual([(returning.clone?.[0] ?? 0) + 1, 0]);
    expect(returning.clone?.[0]).toBeGreaterThanOrEqual(3);
    expect(returning.rt_sigreturn?.[0]).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it('--pid: a running process and the processes it forks, enforced in Docker', async () => {
    const loop =
      'i=0; while [ $i -lt 5 ]; do cat /proc/self/stat > /dev/null; sleep 0.1; i=$((i+1)); done; echo done';
    const target = execa('/bin/busybox', ['sh', '-c', `echo ready; while :; do ${loop} >/dev/null; done`], {
      reject: false,
    });
    try {
      await new Promise<void>((resolve) => {
        target.stdout?.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('ready')) resolve();
        });
      });
      const learned = await learn('pid', [], ['--pid', String(target.pid), '--duration', '3']);
      expect(learned.recording.provenance[0]?.pid).toBe(target.pid);
      expect(learned.names()).toEqual(expect.arrayContaining(['execve', 'openat', 'read', 'wait4']));
      await expectEnforced(`${learned.prefix}.profile.json`, loop, 'done');
    } finally {
      target.kill('SIGKILL');
    }
  }, 120_000);

  it('a dd container: read and write counted exactly, nothing of the runtime before its filter', async () => {
    const blocks = 20_000;
    const script = `dd if=/dev/zero of=/dev/null bs=1 count=${blocks} 2>/dev/null; echo ok`;
    const learned = await learn('dd', dockerRunArgv(script));
    const { read, write } = learned.recording.abis.x86_64 ?? {};
    // dd's blocks, and the few calls of start-up (busybox reads nothing else; echo writes once).
    expect(read?.calls).toBeGreaterThanOrEqual(blocks);
    expect(read?.calls).toBeLessThanOrEqual(blocks + 10);
    expect(write?.calls).toBeGreaterThanOrEqual(blocks + 1);
    expect(write?.calls).toBeLessThanOrEqual(blocks + 10);
    for (const call of SETUP_CALLS) expect(learned.names()).not.toContain(call);
    expect(learned.recording.provenance[0]?.container).toMatchObject({
      engine: 'docker',
      image: BUSYBOX_IMAGE,
    });
    // runc's own calls after the filter are kept (its capability drops).
    expect(learned.names()).toEqual(expect.arrayContaining(['capset', 'prctl', 'execve']));
    await expectEnforced(`${learned.prefix}.profile.json`, script, 'ok');
  }, 120_000);

  it('a short-lived container and two containers at the same time are attributed exactly', async () => {
    const short = await learn('short', ['docker', 'run', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'true']);
    expect(short.names()).toEqual(expect.arrayContaining(['execve', 'exit_group']));
    for (const call of SETUP_CALLS) expect(short.names()).not.toContain(call);
    const shortRun = await dockerRunScript('true', { profile: `${short.prefix}.profile.json` });
    expect(shortRun.exitCode).toBe(0);

    // No sleep between the calls: whether a shell's wait sleeps in rt_sigsuspend depends on timing,
    // and a profile learned without it spins under enforcement. Two container starts overlap anyway.
    const makesDirectories = 'for i in 1 2 3; do mkdir /tmp/d$i; done; echo made';
    const syncs = 'for i in 1 2 3; do sync; done; echo synced';
    const [maker, syncer] = await Promise.all([
      learn('maker', dockerRunArgv(makesDirectories)),
      learn('syncer', dockerRunArgv(syncs)),
    ]);
    expect(maker.names()).toContain('mkdir');
    expect(maker.names()).not.toContain('sync');
    expect(syncer.names()).toContain('sync');
    expect(syncer.names()).not.toContain('mkdir');
    await expectEnforced(`${maker.prefix}.profile.json`, makesDirectories, 'made');
    await expectEnforced(`${syncer.prefix}.profile.json`, syncs, 'synced');
  }, 180_000);
});

const podmanSkip =
  skip ??
  (await e2eSkipReason('podman with the localhost/sl-busybox:test image', () =>
    available('podman', ['image', 'exists', PODMAN_IMAGE]),
  ));

/** Runs `script` in the busybox image under podman (runc), without a network, under `profile` if given. */
function podmanRunArgv(script: string, profile?: string): string[] {
  return [
    ...PODMAN_RUN,
    ...(profile ? ['--security-opt', `seccomp=${profile}`] : []),
    PODMAN_IMAGE,
    'sh',
    '-c',
    script,
  ];
}

describe.skipIf(podmanSkip)(
  `record --backend bpf -- podman run${podmanSkip ? ` (skipped: ${podmanSkip})` : ''}`,
  () => {
    it('counts the podman container only from its filter on, and the profile holds under podman', async () => {
      const learned = await learn('podman', podmanRunArgv(WORKLOAD));
      expect(learned.recording.provenance[0]?.container).toMatchObject({
        engine: 'podman',
        image: PODMAN_IMAGE,
      });
      expect(learned.names()).toEqual(expect.arrayContaining(['mkdir', 'openat', 'write', 'execve']));
      for (const call of SETUP_CALLS) expect(learned.names()).not.toContain(call);
      const profile = `${learned.prefix}.profile.json`;
      const run = (script: string) =>
        execa(podmanRunArgv(script, profile)[0] as string, podmanRunArgv(script, profile).slice(1), {
          reject: false,
          timeout: 60_000,
        });
      const allowed = await run(WORKLOAD);
      expect(allowed.stdout, allowed.stderr).toBe('hello\n3');
      expect(allowed.exitCode).toBe(0);
      // chmod (fchmodat) is a call the workload never made.
      const refused = await run(`${WORKLOAD}; chmod 600 /tmp`);
      expect(refused.timedOut).toBe(false);
      expect(refused.stdout).toBe('hello\n3');
      expect(refused.exitCode).not.toBe(0);
      expect(refused.stderr).toContain('Operation not permitted');
    }, 120_000);
  },
);

const auditSkip =
  skip ??
  (await e2eSkipReason(
    `auditd (to compare with the audit backend) and the ${DEBIAN_IMAGE} image`,
    async () =>
      (await available('pgrep', ['-x', 'auditd'])) &&
      (await available('docker', ['image', 'inspect', DEBIAN_IMAGE])),
  ));

const runc = baselineFor('runc').syscalls;

/** Real programs of the Debian image, with threads, a subprocess and a database file. */
const DEBIAN_WORKLOADS = [
  'python3 -c "import json, subprocess, threading; t = threading.Thread(target=print); t.start(); t.join(); print(subprocess.run([\'true\']).returncode, json.dumps([1]))"',
  'cd /tmp && sqlite3 t.db "create table t(a); insert into t values (1), (2); select sum(a) from t;"',
];

/**
 * Records `argv` with both backends and expects the same names, in the recordings (but for what
 * runc's Go runtime does differently from run to run) and in the profiles.
 */
async function expectSameNames(argv: string[], label: string): Promise<void> {
  const bpf = await learn('bpf', argv);
  const work = await mkdtemp(join(tmpdir(), 'sl-e2e-audit-'));
  const audited = await cli([
    'record',
    '--backend',
    'audit',
    '--widen',
    'none',
    '-o',
    join(work, 'a'),
    '--',
    ...argv,
  ]);
  expect(audited.exitCode, audited.stderr).toBe(0);
  const recording = JSON.parse(await readFile(join(work, 'a.recording.json'), 'utf8'));
  expect(recording.provenance[0].backend).toBe('audit');
  // runc's Go runtime calls differently from run to run (a preemption signal's rt_sigreturn, a
  // futex, a thread parked): two runs may differ there, in names the runc baseline adds anyway.
  const audit = Object.keys(recording.abis.x86_64).sort();
  const differ = [
    ...bpf.names().filter((name) => !audit.includes(name)),
    ...audit.filter((name) => !bpf.names().includes(name)),
  ];
  expect(
    differ.filter((name) => !runc.has(name)),
    label,
  ).toEqual([]);
  const profileNames = async (file: string) =>
    JSON.parse(await readFile(file, 'utf8')).syscalls[0].names as string[];
  expect(await profileNames(`${bpf.prefix}.profile.json`), label).toEqual(
    await profileNames(join(work, 'a.profile.json')),
  );
}

describe.skipIf(auditSkip)(
  `bpf and audit backends agree${auditSkip ? ` (skipped: ${auditSkip})` : ''}`,
  () => {
    it('learn the same names from the same busybox containers', async () => {
      for (const script of [WORKLOAD, 'true', 'ls -l / >/dev/null; cat /etc/passwd | wc -l'])
        await expectSameNames(dockerRunArgv(script), script);
    }, 240_000);

    it('learn the same names from the same Debian containers (python3, sqlite3)', async () => {
      for (const script of DEBIAN_WORKLOADS)
        await expectSameNames(dockerRunArgv(script, DEBIAN_IMAGE), script);
    }, 240_000);
  },
);

const HELLO32 = `#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
int main(int argc, char **argv) {
  printf("pid %d\\n", getpid() > 0);
  if (argc > 1 && mkdir(argv[1], 0700) != 0) { printf("mkdir: %s\\n", strerror(errno)); return 1; }
  return 0;
}
`;

async function compile32(): Promise<string | undefined> {
  const work = await mkdtemp(join(tmpdir(), 'sl-e2e-m32-'));
  await writeFile(join(work, 'hello32.c'), HELLO32);
  const built = await execa(
    'gcc',
    ['-m32', '-static', '-O1', '-o', join(work, 'hello32'), join(work, 'hello32.c')],
    {
      reject: false,
    },
  );
  return built.exitCode === 0 ? work : undefined;
}

const built = skip ? undefined : await compile32();
const m32Skip =
  skip ?? (await e2eSkipReason('gcc -m32 -static (gcc-multilib)', async () => built !== undefined));

describe.skipIf(m32Skip)(`a 32-bit binary${m32Skip ? ` (skipped: ${m32Skip})` : ''}`, () => {
  it('is recorded as x86 calls, and its profile runs it in Docker and refuses mkdir', async () => {
    const work = built as string;
    const learned = await learn('hello32', [join(work, 'hello32')]);
    // The execve that starts it is a 64-bit call; everything after runs as i386.
    expect(learned.names('x86_64')).toEqual(['execve']);
    expect(learned.names('x86')).toEqual(
      expect.arrayContaining(['brk', 'set_thread_area', 'write', 'exit_group']),
    );
    expect(learned.names('x86')).not.toContain('mkdir');
    const profile = JSON.parse(await readFile(`${learned.prefix}.profile.json`, 'utf8'));
    expect(profile.architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86']);
    const run = (args: string[]) =>
      execa(
        'docker',
        [
          'run',
          '--rm',
          '--network',
          'none',
          '--security-opt',
          `seccomp=${learned.prefix}.profile.json`,
          '-v',
          `${work}:/w:ro`,
          BUSYBOX_IMAGE,
          '/w/hello32',
          ...args,
        ],
        { reject: false, timeout: 60_000 },
      );
    const allowed = await run([]);
    expect(allowed.stdout).toBe('pid 1');
    expect(allowed.exitCode).toBe(0);
    const refused = await run(['/tmp/x']);
    expect(refused.stdout).toContain('mkdir: Operation not permitted');
    expect(refused.exitCode).toBe(1);
  }, 120_000);
});
