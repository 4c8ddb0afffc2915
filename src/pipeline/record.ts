import { createReadStream } from 'node:fs';
import { open, readlink, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { learnFromStrace } from '../../parsers/strace.js';
import { UserError } from '../errors.js';
import type { SeccompProfile } from '../profile/model.js';
import { RecordingBuilder } from '../recording/builder.js';
import type { Backend, Recording } from '../recording/model.js';
import { BpfStartError, type BpfSupport, bpfReadiness } from '../sources/bpf.js';
import { parseContainerRun } from '../sources/container-command.js';
import { findExecutable, hostInfo } from '../sources/host.js';
import { EXIT_NOT_EXECUTABLE, EXIT_NOT_FOUND, withStraceRun } from '../sources/strace-run.js';
import { VERSION } from '../version.js';
import {
  type GenerationChoices,
  type IncompletePolicy,
  type LearnResult,
  planLearned,
  saveLearned,
} from './learned.js';
import { recordCommandUnderBpf, recordContainerUnderBpf, recordPidUnderBpf } from './record-bpf.js';
import { recordContainer } from './record-container.js';

/** What to record: a command (a `docker run` / `podman run` is a container), or a running process. */
export type RecordSubject = { command: string[] } | { pid: number; durationSeconds?: number };

export interface RecordOptions extends GenerationChoices, IncompletePolicy {
  /** PREFIX of PREFIX.recording.json and PREFIX.profile.json. */
  output: string;
  /** strace: a full trace instead of -c counts. */
  full?: boolean;
  /** Containers: read this audit log instead of auditd's. */
  auditLog?: string;
  /** The workload's stdout goes to stderr, keeping stdout for a machine-readable summary. */
  stdoutToStderr?: boolean;
  /** Told at once what seccomp-learn did on the host besides recording (stale audit rules it removed). */
  onNote?: (message: string) => void;
  /** How to observe the run; `auto` (the default) is bpf when it can run here, else strace or audit. */
  backend?: BackendChoice;
}

export const BACKEND_CHOICES = ['auto', 'bpf', 'strace', 'audit'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/**
 * The command never ran when every execve of the trace failed: the first one is strace's child executing
 * it, and nothing runs without it (strace: "exec: Exec format error", exit 1). A profile of that would look
 * like learning succeeded, so it is an error with the shell's exit code: 127 when the errno of the first
 * execve (known in a full trace) is ENOENT, 126 otherwise.
 */
async function refuseFailedExec(
  recording: Recording,
  outputFile: string,
  kind: 'summary' | 'trace',
  name: string,
): Promise<void> {
  let calls = 0;
  let errors = 0;
  for (const table of Object.values(recording.abis)) {
    for (const syscall of ['execve', 'execveat']) {
      calls += table?.[syscall]?.calls ?? 0;
      errors += table?.[syscall]?.errors ?? 0;
    }
  }
  if (calls === 0 || errors < calls) return;
  let errno: string | undefined;
  if (kind === 'trace') {
    const file = await open(outputFile);
    try {
      const { buffer, bytesRead } = await file.read(Buffer.alloc(8192), 0, 8192, 0);
      errno = / = -1 (E[A-Z0-9]+) /.exec(buffer.toString('utf8', 0, bytesRead))?.[1];
    } finally {
      await file.close();
    }
  }
  const code = errno === 'ENOENT' ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE;
  throw new UserError(
    `${name}: cannot be executed (execve failed${errno ? ` with ${errno}` : ''}; see strace's message above): nothing was learned, no profile written`,
    code,
  );
}

/** The file the workload's process runs: the command found as a shell would, or the process's /proc/PID/exe. */
async function executableOf(subject: RecordSubject): Promise<string | undefined> {
  if ('pid' in subject) return readlink(`/proc/${subject.pid}/exe`).catch(() => undefined);
  const [name] = subject.command;
  if (name === undefined) return undefined;
  return name.includes('/') ? resolve(name) : findExecutable(name);
}

/** Runs the workload under strace (or attaches to it) and learns from what strace counted or traced. */
export async function recordUnderStrace(
  subject: RecordSubject,
  options: Pick<RecordOptions, 'full' | 'stdoutToStderr'>,
): Promise<{ recording: Recording; exitCode: number }> {
  const host = hostInfo();
  const pid = 'pid' in subject ? subject.pid : undefined;
  const command = 'command' in subject ? subject.command : [];
  // Known before the run: what the workload starts, for `--widen reachable`.
  const binary = await executableOf(subject);
  return withStraceRun(
    {
      command,
      pid,
      durationSeconds: 'pid' in subject ? subject.durationSeconds : undefined,
      full: options.full === true,
      stdoutToStderr: options.stdoutToStderr === true,
    },
    async (run) => {
      if ((await stat(run.outputFile)).size === 0) {
        throw new UserError(
          `strace recorded nothing (exit ${run.exitCode ?? 'unknown'}): see its message above`,
        );
      }
      const builder = new RecordingBuilder();
      const kind = await learnFromStrace(createReadStream(run.outputFile), 'strace output', builder, {
        host: host.arch,
        // Attached processes are detached at the end, with no `+++ exited` line.
        attached: pid !== undefined,
      });
      const recording = builder.build({
        ...(binary ? { binaries: [binary] } : {}),
        source: kind === 'trace' ? 'strace-trace' : 'strace-summary',
        ...(pid === undefined ? { command } : { pid }),
        inputs: [],
        startedAt: run.startedAt,
        endedAt: run.endedAt,
        host,
        strace: run.straceVersion,
        seccompLearn: VERSION,
        ...(run.exitCode === undefined ? {} : { exitCode: run.exitCode }),
      });
      if (pid === undefined) await refuseFailedExec(recording, run.outputFile, kind, command[0] ?? '');
      return { recording, exitCode: run.exitCode ?? 0 };
    },
  );
}

/**
 * Learns what a workload calls by running it: a container through the kernel's SECCOMP audit
 * records under a complain-mode profile, anything else under strace. Exit status: the workload's,
 * or the loss code when the recording is incomplete.
 */
export async function record(subject: RecordSubject, options: RecordOptions): Promise<LearnResult> {
  // Before the workload runs: an output that cannot be written is found now, not after the run.
  const outputs = await planLearned(options.output, options.format, []);
  const { recording, exitCode } = await recordWithBackend(subject, options);
  return saveLearned(recording, options, outputs, { ...options, workloadExit: exitCode });
}

/**
 * The backend a run is recorded with. `auto` takes bpf when it can run here and says why when it
 * cannot; a full trace (`--full`) is strace's and `--audit-log` is the audit backend's, so those
 * choose for `auto`.
 */
async function recordWithBackend(
  subject: RecordSubject,
  options: RecordOptions,
): Promise<{ recording: Recording; exitCode: number }> {
  const container = 'command' in subject ? parseContainerRun(subject.command) !== undefined : false;
  const requested = options.backend ?? 'auto';
  const classic: Backend = container ? 'audit' : 'strace';
  if (requested === 'strace' && container)
    throw new UserError(
      "--backend strace traces host commands: strace would trace the engine's client, not the container; use --backend bpf or audit",
    );
  if (requested === 'audit' && !container)
    throw new UserError(
      '--backend audit records containers (docker run / podman run): use --backend bpf or strace for a host command or --pid',
    );
  if (requested === 'bpf' && options.full)
    throw new UserError('--full is a full strace trace: it goes with --backend strace (or auto)');
  if (requested === 'bpf' && options.auditLog)
    throw new UserError('--audit-log goes with --backend audit (or auto)');
  const note = options.onNote ?? (() => undefined);
  let backend: Backend = requested === 'auto' ? 'bpf' : requested;
  let fallbackReason: string | undefined;
  if (requested === 'auto' && options.full) {
    backend = 'strace';
  } else if (requested === 'auto' && options.auditLog) {
    backend = 'audit';
  }
  if (backend === 'bpf') {
    const readiness = await bpfReadiness(note);
    if (!readiness.ok) {
      if (requested === 'bpf') throw new UserError(`the bpf backend cannot run here: ${readiness.missing}`);
      fallbackReason = readiness.missing;
    } else {
      try {
        return await recordUnderBpf(readiness.support, subject, options);
      } catch (error) {
        if (!(error instanceof BpfStartError) || requested === 'bpf') throw error;
        fallbackReason = error.message;
      }
    }
    backend = classic;
    note(`backend ${backend}: the bpf backend cannot run here (${fallbackReason})`);
  }
  const recorded = await runAndRecord(subject, options);
  for (const run of recorded.recording.provenance) run.backend = backend;
  return recorded;
}

async function recordUnderBpf(
  support: BpfSupport,
  subject: RecordSubject,
  options: RecordOptions,
): Promise<{ recording: Recording; exitCode: number }> {
  const stdoutToStderr = options.stdoutToStderr === true;
  if ('pid' in subject) return recordPidUnderBpf(support, subject.pid, subject.durationSeconds);
  if (parseContainerRun(subject.command)) {
    return recordContainerUnderBpf(support, subject.command, { stdoutToStderr });
  }
  return recordCommandUnderBpf(support, subject.command, { stdoutToStderr });
}

/** Runs the workload and records it: a container through audit records, anything else under strace. */
export async function runAndRecord(
  subject: RecordSubject,
  options: Pick<RecordOptions, 'full' | 'stdoutToStderr' | 'auditLog' | 'onNote'> & {
    /** Containers: the profile to run under instead of the complain-mode one (verify). */
    profile?: SeccompProfile;
  },
): Promise<{ recording: Recording; exitCode: number }> {
  const container = 'command' in subject ? parseContainerRun(subject.command) : undefined;
  if (!container || !('command' in subject)) return recordUnderStrace(subject, options);
  return recordContainer(subject.command, {
    ...(options.auditLog ? { auditLog: options.auditLog } : {}),
    stdoutToStderr: options.stdoutToStderr === true,
    ...(options.onNote ? { onNote: options.onNote } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
  });
}
