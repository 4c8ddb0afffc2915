import { UserError } from '../../errors.js';
import { BACKEND_CHOICES, type BackendChoice, type RecordSubject, record } from '../../pipeline/record.js';
import { lossExitCodeFlag, positiveIntegerFlag } from '../flags.js';
import { generationChoices, type LearningFlags, printLearned } from '../learned.js';
import { warn } from '../output.js';

interface RecordFlags extends LearningFlags {
  auditLog?: string;
  allowIncomplete?: boolean;
  lossExitCode?: string;
  pid?: string;
  duration?: string;
  full?: boolean;
  backend?: string;
}

function subjectOf(command: string[], flags: RecordFlags): RecordSubject {
  const pid = flags.pid === undefined ? undefined : positiveIntegerFlag(flags.pid, '--pid');
  const durationSeconds =
    flags.duration === undefined ? undefined : positiveIntegerFlag(flags.duration, '--duration');
  if (pid === undefined && command.length === 0)
    throw new UserError('nothing to record: give a command after --, or --pid');
  if (pid !== undefined && command.length > 0)
    throw new UserError('give either a command or --pid, not both');
  if (durationSeconds !== undefined && pid === undefined) throw new UserError('--duration goes with --pid');
  if (pid === undefined) return { command };
  return durationSeconds === undefined ? { pid } : { pid, durationSeconds };
}

export async function runRecord(command: string[], flags: RecordFlags): Promise<number> {
  const subject = subjectOf(command, flags);
  const lossExitCode = flags.lossExitCode === undefined ? undefined : lossExitCodeFlag(flags.lossExitCode);
  if (lossExitCode !== undefined && flags.allowIncomplete)
    throw new UserError('--loss-exit-code and --allow-incomplete exclude each other: choose one');
  const backend = flags.backend ?? 'auto';
  if (!(BACKEND_CHOICES as readonly string[]).includes(backend))
    throw new UserError(
      `--backend must be one of ${BACKEND_CHOICES.join(', ')}, not ${JSON.stringify(backend)}`,
    );
  const result = await record(subject, {
    backend: backend as BackendChoice,
    ...generationChoices(flags),
    output: flags.output,
    full: flags.full === true,
    ...(flags.auditLog ? { auditLog: flags.auditLog } : {}),
    ...(flags.allowIncomplete ? { allowIncomplete: true } : {}),
    ...(lossExitCode === undefined ? {} : { lossExitCode }),
    stdoutToStderr: flags.json === true,
    onNote: warn,
  });
  return printLearned(result, flags);
}
