import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { learnFromStrace } from '../../../parsers/strace.js';
import { UserError } from '../../errors.js';
import { recordContainer } from '../../pipeline/record-container.js';
import { RecordingBuilder } from '../../recording/builder.js';
import type { Recording } from '../../recording/model.js';
import { parseContainerRun } from '../../sources/container-command.js';
import { hostInfo } from '../../sources/host.js';
import { EXIT_NOT_EXECUTABLE, EXIT_NOT_FOUND, withStraceRun } from '../../sources/strace-run.js';
import { VERSION } from '../../version.js';
import { lossExitCodeFlag, positiveIntegerFlag } from '../flags.js';
import { incompleteExitCode, type LearningFlags, planLearned, writeLearned } from '../learned.js';
import { warn } from '../output.js';

interface RecordFlags extends LearningFlags {
  auditLog?: string;
  allowIncomplete?: boolean;
  lossExitCode?: string;
  pid?: string;
  duration?: string;
  full?: boolean;
}

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

export async function runRecord(command: string[], flags: RecordFlags): Promise<void> {
  const pid = flags.pid === undefined ? undefined : positiveIntegerFlag(flags.pid, '--pid');
  const durationSeconds =
    flags.duration === undefined ? undefined : positiveIntegerFlag(flags.duration, '--duration');
  if (pid === undefined && command.length === 0)
    throw new UserError('nothing to record: give a command after --, or --pid');
  if (pid !== undefined && command.length > 0)
    throw new UserError('give either a command or --pid, not both');
  if (durationSeconds !== undefined && pid === undefined) throw new UserError('--duration goes with --pid');
  const lossExitCode = flags.lossExitCode === undefined ? undefined : lossExitCodeFlag(flags.lossExitCode);
  if (lossExitCode !== undefined && flags.allowIncomplete)
    throw new UserError('--loss-exit-code and --allow-incomplete exclude each other: choose one');
  // Before the workload runs: an output that cannot be written is found now, not after the run.
  const outputs = await planLearned(flags, []);

  const container = pid === undefined ? parseContainerRun(command) : undefined;
  if (container) {
    const { recording, exitCode } = await recordContainer(command, {
      ...(flags.auditLog ? { auditLog: flags.auditLog } : {}),
      stdoutToStderr: flags.json === true,
      onNote: (message) => warn(message),
    });
    await writeLearned(recording, flags, outputs);
    process.exitCode = incompleteExitCode(recording, flags.allowIncomplete, lossExitCode) ?? exitCode;
    return;
  }
  const host = hostInfo();
  const exitCode = await withStraceRun(
    { command, pid, durationSeconds, full: flags.full === true, stdoutToStderr: flags.json === true },
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
      await writeLearned(recording, flags, outputs);
      return run.exitCode;
    },
  );
  process.exitCode = exitCode ?? 0;
}
