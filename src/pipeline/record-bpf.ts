import { open, readlink, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type ExecaError, execa, type ResultPromise } from 'execa';
import {
  type BpftraceOutput,
  countSyscalls,
  executedFiles,
  parseBpftraceOutput,
  scopeSightings,
} from '../../parsers/bpftrace.js';
import { UserError } from '../errors.js';
import { allowProfile } from '../profile/log-profile.js';
import { profileJson } from '../profile/model.js';
import { RecordingBuilder } from '../recording/builder.js';
import type { Recording } from '../recording/model.js';
import {
  type BpfSupport,
  type BpftraceRun,
  commandProgram,
  containerProgram,
  pidProgram,
  startBpftrace,
} from '../sources/bpf.js';
import { prepareContainerRun } from '../sources/container-command.js';
import { findExecutable, hostInfo } from '../sources/host.js';
import { exitCodeOf, forwardStopSignals, workloadStdio } from '../sources/process.js';
import { checkCommand, EXIT_NOT_EXECUTABLE, EXIT_NOT_FOUND } from '../sources/strace-run.js';
import { makePrivateDirectory } from '../util/files.js';
import { VERSION } from '../version.js';
import { createdContainerId, imageBinaries, refuseUnstartedProgram } from './record-container.js';

export interface BpfRecordOptions {
  /** The workload's stdout goes to our stderr (record --json keeps stdout for the JSON). */
  stdoutToStderr?: boolean;
}

interface BpfRecorded {
  recording: Recording;
  exitCode: number;
}

/** Runs `work` while bpftrace counts, then stops bpftrace and reads what it printed; kills it if `work` fails. */
async function whileCounting<T>(
  support: BpfSupport,
  program: string,
  work: () => Promise<T>,
): Promise<{ result: T; output: BpftraceOutput }> {
  const bpftrace: BpftraceRun = await startBpftrace(support, program);
  let result: T;
  try {
    result = await work();
  } catch (error) {
    bpftrace.kill();
    throw error;
  }
  const output = parseBpftraceOutput(await bpftrace.stop(), 'bpftrace output');
  return { result, output };
}

/**
 * A host command, counted from its own execve on with every process and thread it starts. It is
 * spawned by seccomp-learn once bpftrace is ready; its path is resolved first so that the only
 * execve before the workload runs is the one that starts it.
 */
export async function recordCommandUnderBpf(
  support: BpfSupport,
  command: string[],
  options: BpfRecordOptions,
): Promise<BpfRecorded> {
  const [name, ...args] = command;
  if (name === undefined) throw new UserError('nothing to record');
  await checkCommand(name);
  const file = name.includes('/') ? resolve(name) : await findExecutable(name);
  if (file === undefined)
    throw new UserError(`${name}: command not found: nothing to record`, EXIT_NOT_FOUND);
  await refuseUnknownFormat(name, file);
  const host = hostInfo();
  const startedAt = new Date().toISOString();
  const { result, output } = await whileCounting(support, commandProgram(process.pid, support.task), () =>
    runForwardingSignals(() =>
      execa(file, args, { argv0: name, stdio: workloadStdio(options.stdoutToStderr), reject: false }),
    ),
  );
  const endedAt = new Date().toISOString();
  const spawnError = (result as ExecaError).code;
  if (spawnError === 'ENOENT' || spawnError === 'EACCES' || spawnError === 'ENOEXEC') {
    // Checked above, so the execve itself failed: a script's interpreter is missing, say.
    throw new UserError(
      `${name}: cannot be executed (execve failed with ${spawnError}): nothing was learned, no profile written`,
      spawnError === 'ENOENT' ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE,
    );
  }
  const exitCode = exitCodeOf(result);
  const builder = new RecordingBuilder();
  countSyscalls(output, builder, { host: host.arch });
  const recording = builder.build({
    source: 'bpf',
    backend: 'bpf',
    binaries: [file],
    command,
    inputs: [],
    startedAt,
    endedAt,
    host,
    bpftrace: support.version,
    seccompLearn: VERSION,
    exitCode,
  });
  if (Object.keys(recording.abis).length === 0) {
    throw new UserError(`bpftrace counted no call of ${name} (exit ${exitCode}): nothing was learned`);
  }
  return { recording, exitCode };
}

/**
 * A file the kernel cannot execute (ENOEXEC) would be handed to /bin/sh by the spawn, as execvp
 * does, and sh's calls recorded instead: refused as a shell refuses it, with 126. ELF files and
 * `#!` scripts are what a Linux kernel runs (binfmt_misc formats aside).
 */
async function refuseUnknownFormat(name: string, file: string): Promise<void> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (!handle) return;
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4), 0, 4, 0);
    const head = buffer.subarray(0, bytesRead);
    if (head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46])) || head.subarray(0, 2).toString() === '#!') return;
  } finally {
    await handle.close();
  }
  throw new UserError(
    `${name}: cannot be executed (execve failed with ENOEXEC: neither ELF nor a #! script): nothing was learned, no profile written`,
    EXIT_NOT_EXECUTABLE,
  );
}

/**
 * Spawns the workload with SIGINT, SIGTERM and SIGHUP forwarded to it. The handlers are in place
 * before the spawn, which takes a while: a signal that arrives before the workload exists is
 * delivered as soon as it does, rather than ending seccomp-learn and leaving the workload behind.
 */
async function runForwardingSignals<T extends ResultPromise>(spawn: () => T): Promise<Awaited<T>> {
  let child: T | undefined;
  const pending: NodeJS.Signals[] = [];
  const detach = forwardStopSignals((signal) => {
    // A terminal already delivered Ctrl-C to the whole process group.
    if (signal === 'SIGINT' && process.stdin.isTTY) return;
    if (child) child.kill(signal);
    else pending.push(signal);
  });
  try {
    child = spawn();
    for (const signal of pending) child.kill(signal);
    return (await child) as Awaited<T>;
  } finally {
    detach();
  }
}

/** How often a process recorded with --pid is checked for its end. */
const PID_POLL_MS = 100;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A running process and what it starts from now on, until it ends, `durationSeconds` pass or seccomp-learn is told to stop. */
export async function recordPidUnderBpf(
  support: BpfSupport,
  pid: number,
  durationSeconds: number | undefined,
): Promise<BpfRecorded> {
  if (!alive(pid)) throw new UserError(`no process ${pid}: nothing to record`);
  const host = hostInfo();
  const binary = await readlink(`/proc/${pid}/exe`).catch(() => undefined);
  const startedAt = new Date().toISOString();
  const { output } = await whileCounting(support, pidProgram(pid, support.task), async () => {
    await new Promise<void>((done) => {
      const timers: NodeJS.Timeout[] = [];
      let detach = (): void => undefined;
      const finish = (): void => {
        for (const timer of timers) clearTimeout(timer);
        clearInterval(poll);
        detach();
        done();
      };
      const poll = setInterval(() => {
        if (!alive(pid)) finish();
      }, PID_POLL_MS);
      if (durationSeconds !== undefined) timers.push(setTimeout(finish, durationSeconds * 1000));
      detach = forwardStopSignals(finish);
    });
  });
  const builder = new RecordingBuilder();
  countSyscalls(output, builder, { host: host.arch });
  return {
    recording: builder.build({
      source: 'bpf',
      backend: 'bpf',
      ...(binary ? { binaries: [binary] } : {}),
      pid,
      inputs: [],
      startedAt,
      endedAt: new Date().toISOString(),
      host,
      bpftrace: support.version,
      seccompLearn: VERSION,
    }),
    exitCode: 0,
  };
}

const CONTAINER_ID = /([0-9a-f]{64})/;

/**
 * The scopes of container `id`: those first seen in its cgroup, or (a cgroup not named after the
 * container, e.g. cgroup v1 alone) with its hostname, the id's first 12 characters, as the engines set it.
 */
function scopesOf(output: BpftraceOutput, id: string): Set<string> {
  const mine = new Set<string>();
  for (const sighting of scopeSightings(output)) {
    const cgroupId = CONTAINER_ID.exec(sighting.cgroup)?.[1];
    if (cgroupId === id || (cgroupId === undefined && sighting.hostname === id.slice(0, 12)))
      mine.add(sighting.scope);
  }
  return mine;
}

/**
 * A `docker run` / `podman run` under an allow-everything profile: the kernel program counts the
 * calls of tasks under a seccomp filter per mount namespace, and the container's namespace is
 * found by its cgroup. No audit rule, no log: nothing is lost, and other containers recorded at
 * the same time stay in their own namespaces.
 */
export async function recordContainerUnderBpf(
  support: BpfSupport,
  argv: string[],
  options: BpfRecordOptions,
): Promise<BpfRecorded> {
  const host = hostInfo();
  const directory = await makePrivateDirectory();
  try {
    const profilePath = join(directory, 'allow-profile.json');
    await writeFile(profilePath, profileJson(allowProfile(host.arch)), { mode: 0o600 });
    const cidFile = join(directory, 'container.cid');
    const run = prepareContainerRun(argv, profilePath, cidFile);
    const startedAt = new Date().toISOString();
    // The client proxies signals to the container (docker run --sig-proxy, the default).
    const { result, output } = await whileCounting(support, containerProgram(support.task), () =>
      runForwardingSignals(() =>
        execa(run.argv[0] as string, run.argv.slice(1), {
          stdio: workloadStdio(options.stdoutToStderr),
          reject: false,
        }),
      ),
    );
    const endedAt = new Date().toISOString();
    if ((result as ExecaError).code === 'ENOENT')
      throw new UserError(`${run.engine} is not installed or not on PATH`);
    const exitCode = exitCodeOf(result);
    const containerId = await createdContainerId(run, cidFile, exitCode);
    const scopes = scopesOf(output, containerId);
    const builder = new RecordingBuilder();
    if (scopes.size === 0) {
      const lost = output.lostEvents > 0 ? ` (bpftrace lost ${output.lostEvents} event(s))` : '';
      throw new UserError(
        `no call of the container ${containerId.slice(0, 12)} was counted${lost}: did ${run.engine} apply the seccomp profile? record again, or with --backend audit`,
        output.lostEvents > 0 ? 3 : 2,
      );
    }
    countSyscalls(output, builder, { host: host.arch, scopes });
    const executables = executedFiles(output, scopes).filter(
      (file) => file.startsWith('/') && !file.startsWith('/proc/'),
    );
    refuseUnstartedProgram(run.engine, exitCode, executables.length > 0);
    const { binaries, libraries } = await imageBinaries(run, executables, (message) =>
      builder.notice({ code: 'incomplete-binaries', message }),
    );
    const recording = builder.build({
      ...(binaries.length > 0 ? { binaries, libraries } : {}),
      source: 'bpf',
      backend: 'bpf',
      command: argv,
      container: { engine: run.engine, id: containerId, ...(run.image ? { image: run.image } : {}) },
      inputs: [],
      startedAt,
      endedAt,
      host,
      bpftrace: support.version,
      seccompLearn: VERSION,
      exitCode,
    });
    return { recording, exitCode };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
