import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { learnFromStrace } from '../../../parsers/strace.js';
import { UserError } from '../../errors.js';
import { RecordingBuilder } from '../../recording/builder.js';
import { parseContainerRun } from '../../sources/container-command.js';
import { recordContainer } from '../../sources/container-record.js';
import { hostInfo } from '../../sources/host.js';
import { withStraceRun } from '../../sources/strace-run.js';
import { VERSION } from '../../version.js';
import { incompleteExitCode, type LearningFlags, writeLearned } from '../learned.js';
import { warn } from '../output.js';

interface RecordFlags extends LearningFlags {
  auditLog?: string;
  allowIncomplete?: boolean;
  lossExitCode?: string;
  pid?: string;
  duration?: string;
  full?: boolean;
}

function positiveInteger(value: string, flag: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0)
    throw new UserError(`${flag} takes a positive whole number, not ${JSON.stringify(value)}`);
  return number;
}

/** An exit code a script can tell apart from the workload's own: 1 to 255. */
function exitCodeFlag(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < 1 || number > 255)
    throw new UserError(`--loss-exit-code takes an exit code from 1 to 255, not ${JSON.stringify(value)}`);
  return number;
}

export async function runRecord(command: string[], flags: RecordFlags): Promise<void> {
  const pid = flags.pid === undefined ? undefined : positiveInteger(flags.pid, '--pid');
  const durationSeconds =
    flags.duration === undefined ? undefined : positiveInteger(flags.duration, '--duration');
  if (pid === undefined && command.length === 0)
    throw new UserError('nothing to record: give a command after --, or --pid');
  if (pid !== undefined && command.length > 0)
    throw new UserError('give either a command or --pid, not both');
  if (durationSeconds !== undefined && pid === undefined) throw new UserError('--duration goes with --pid');

  const lossExitCode = flags.lossExitCode === undefined ? undefined : exitCodeFlag(flags.lossExitCode);
  if (lossExitCode !== undefined && flags.allowIncomplete)
    throw new UserError('--loss-exit-code and --allow-incomplete exclude each other: choose one');

  const container = pid === undefined ? parseContainerRun(command) : undefined;
  if (container) {
    const { recording, exitCode } = await recordContainer(command, {
      ...(flags.auditLog ? { auditLog: flags.auditLog } : {}),
      onNote: (message) => warn(message),
    });
    await writeLearned(recording, flags, []);
    process.exitCode = incompleteExitCode(recording, flags.allowIncomplete, lossExitCode) ?? exitCode;
    return;
  }
  const host = hostInfo();
  const exitCode = await withStraceRun(
    { command, pid, durationSeconds, full: flags.full === true },
    async (run) => {
      if ((await stat(run.outputFile)).size === 0) {
        throw new UserError(
          `strace recorded nothing (exit ${run.exitCode ?? 'unknown'}): see its message above`,
        );
      }
      const builder = new RecordingBuilder();
      const kind = await learnFromStrace(createReadStream(run.outputFile), 'strace output', builder, {
        host: host.arch,
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
      await writeLearned(recording, flags, []);
      return run.exitCode;
    },
  );
  process.exitCode = exitCode ?? 0;
}
