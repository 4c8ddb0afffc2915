import { UserError } from '../../errors.js';
import { learnFromAudit } from '../../pipeline/learn-audit.js';
import { type ActionChoice, parseTimeBound } from '../../recording/audit-filter.js';
import type { AuditOrigin } from '../../sources/audit-input.js';
import { DEFAULT_AUDIT_LOG } from '../../sources/audit-log.js';
import { positiveIntegerFlag } from '../flags.js';
import { generationChoices, type LearningFlags, printLearned } from '../learned.js';

interface FromAuditFlags extends LearningFlags {
  dmesg?: boolean;
  journal?: boolean;
  action: ActionChoice;
  since?: string;
  until?: string;
  pid?: string;
  comm?: string;
  exe?: string;
  allowIncomplete?: boolean;
}

function originOf(file: string | undefined, flags: FromAuditFlags): AuditOrigin {
  if (flags.dmesg && flags.journal)
    throw new UserError('--dmesg and --journal are two different sources: give one');
  if ((flags.dmesg || flags.journal) && file)
    throw new UserError(`give a FILE or --${flags.dmesg ? 'dmesg' : 'journal'}, not both`);
  if (flags.dmesg) return { dmesg: true };
  if (flags.journal) return { journal: true };
  return { file: file ?? DEFAULT_AUDIT_LOG };
}

export async function runFromAudit(file: string | undefined, flags: FromAuditFlags): Promise<number> {
  const since = flags.since === undefined ? undefined : parseTimeBound(flags.since, '--since');
  const until = flags.until === undefined ? undefined : parseTimeBound(flags.until, '--until');
  const pid = flags.pid === undefined ? undefined : positiveIntegerFlag(flags.pid, '--pid');
  const origin = originOf(file, flags);
  const filterText = [
    `--action ${flags.action}`,
    ...(flags.since ? [`--since ${flags.since}`] : []),
    ...(flags.pid ? [`--pid ${flags.pid}`] : []),
    ...(flags.comm ? [`--comm ${flags.comm}`] : []),
    ...(flags.exe ? [`--exe ${flags.exe}`] : []),
  ].join(', ');
  const result = await learnFromAudit(origin, {
    ...generationChoices(flags),
    output: flags.output,
    filter: { action: flags.action, since, until, pid, comm: flags.comm, exe: flags.exe },
    filterText,
    ...(flags.allowIncomplete ? { allowIncomplete: true } : {}),
  });
  return printLearned(result, flags);
}
