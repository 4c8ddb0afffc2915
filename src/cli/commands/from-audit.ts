import { fstatSync, readFileSync } from 'node:fs';
import { execa } from 'execa';
import {
  type AuditLineParser,
  createAuditParser,
  feedAuditLines,
  readAuditFile,
} from '../../../parsers/audit.js';
import { UserError } from '../../errors.js';
import { RecordingBuilder } from '../../recording/builder.js';
import { type ActionChoice, parseTimeBound, recordMatcher, refused } from '../../sources/audit-filter.js';
import { hostInfo } from '../../sources/host.js';
import { VERSION } from '../../version.js';
import { positiveIntegerFlag } from '../flags.js';
import { incompleteExitCode, type LearningFlags, planLearned, writeLearned } from '../learned.js';

export const DEFAULT_AUDIT_LOG = '/var/log/audit/audit.log';

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

/**
 * Why --action errno or trap usually finds nothing. The kernel (kernel/seccomp.c, seccomp_log)
 * writes a record for an ERRNO, TRAP, TRACE or USER_NOTIF result only when the filter was loaded
 * with SECCOMP_FILTER_FLAG_LOG and the action is in /proc/sys/kernel/seccomp/actions_logged.
 * Docker and Podman profiles do not set that flag (Docker 20.10 ignores a profile's "flags", and
 * runc 1.1 refuses them), so what such a profile refused leaves no record. KILL and LOG are logged.
 */
export function unloggedActionHint(action: ActionChoice): string {
  if (action !== 'errno' && action !== 'trap') return '';
  let logged = '';
  try {
    logged = readFileSync('/proc/sys/kernel/seccomp/actions_logged', 'utf8').trim();
  } catch {
    // Not Linux, or no seccomp: the general explanation stands.
  }
  const sysctl =
    logged === '' || logged.split(/\s+/).includes(action)
      ? ''
      : ` (and this kernel does not log ${action} at all: /proc/sys/kernel/seccomp/actions_logged is "${logged}")`;
  return `. The kernel logs SCMP_ACT_${action.toUpperCase()} results only for a filter loaded with SECCOMP_FILTER_FLAG_LOG${sysctl}; Docker and Podman profiles normally do not set it (their "flags" field, where engine and runtime support it), so what they refuse with ${action} leaves no record. To see what a profile refuses, record the workload under the complain-mode profile (seccomp-learn record -- docker run …, or log-profile then from-audit --action log) and check the recording against the profile: seccomp-learn merge --check PROFILE RECORDING lists what it would refuse. Or run under a copy of the profile whose defaultAction is SCMP_ACT_LOG, then from-audit --action log`;
}

interface AuditInput {
  name: string;
  /** Reads the whole input into `parser` and finishes it. */
  read(parser: AuditLineParser): Promise<unknown>;
}

function commandInput(name: string, command: string, args: string[]): AuditInput {
  const child = execa(command, args, { stdout: 'pipe', stderr: 'pipe', buffer: { stdout: false } });
  const done = child.catch((error: { shortMessage?: string; stderr?: string }) => {
    throw new UserError(`${name} failed: ${error.stderr?.trim() || error.shortMessage || 'unknown error'}`);
  });
  return { name, read: (parser) => Promise.all([feedAuditLines(child.stdout, name, parser), done]) };
}

function openInput(file: string | undefined, flags: FromAuditFlags): AuditInput {
  if (flags.dmesg && flags.journal)
    throw new UserError('--dmesg and --journal are two different sources: give one');
  if ((flags.dmesg || flags.journal) && file)
    throw new UserError(`give a FILE or --${flags.dmesg ? 'dmesg' : 'journal'}, not both`);
  if (flags.dmesg) return commandInput('dmesg', 'dmesg', []);
  // The kernel transport carries the rate-limit notices; the audit transport the records when auditd is absent.
  if (flags.journal)
    return commandInput('journalctl', 'journalctl', [
      '--no-pager',
      '-o',
      'json',
      '_TRANSPORT=audit',
      '+',
      '_TRANSPORT=kernel',
    ]);
  const path = file ?? DEFAULT_AUDIT_LOG;
  if (path === '-') {
    const name = '<stdin>';
    // A file on stdin is read like any file; a pipe is a stream.
    if (fstatSync(0).isFile()) return { name, read: (parser) => readAuditFile('/dev/stdin', parser, name) };
    return { name, read: (parser) => feedAuditLines(process.stdin, name, parser) };
  }
  return { name: path, read: (parser) => readAuditFile(path, parser) };
}

export async function runFromAudit(file: string | undefined, flags: FromAuditFlags): Promise<void> {
  const since = flags.since === undefined ? undefined : parseTimeBound(flags.since, '--since');
  const matcher = recordMatcher({
    action: flags.action,
    since,
    until: flags.until === undefined ? undefined : parseTimeBound(flags.until, '--until'),
    pid: flags.pid === undefined ? undefined : positiveIntegerFlag(flags.pid, '--pid'),
    comm: flags.comm,
    exe: flags.exe,
  });
  const read = flags.dmesg || flags.journal ? undefined : (file ?? DEFAULT_AUDIT_LOG);
  // Before a large log is read: the outputs can be written and are not the log itself.
  const outputs = await planLearned(flags, read && read !== '-' ? [read] : []);
  const host = hostInfo();
  const input = openInput(file, flags);
  const builder = new RecordingBuilder();
  let matched = 0;
  const parser = createAuditParser({
    file: input.name,
    host: host.arch,
    onRecord(record) {
      if (!matcher.matches(record)) return;
      matched++;
      // A refused call failed; one seccomp let through (logged) may have failed or not: unknown.
      builder.count(record.abi, record.syscall, 1, refused(record) ? 1 : undefined);
    },
    onNotice(notice) {
      // A loss the kernel reported before the window began cost records outside it.
      if (
        notice.code === 'lost-records' &&
        since !== undefined &&
        notice.timestamp !== undefined &&
        notice.timestamp < since
      )
        return;
      builder.notice(notice);
    },
  });
  await input.read(parser);
  if (matcher.undated > 0) {
    builder.notice({
      code: 'truncated-input',
      file: input.name,
      count: matcher.undated,
      message: `${matcher.undated} record(s) carry no timestamp, so --since/--until could not place them: left out`,
    });
  }
  if (matched === 0) {
    throw new UserError(
      `${input.name}: no SECCOMP record matches the filters (--action ${flags.action}${flags.since ? `, --since ${flags.since}` : ''}${flags.pid ? `, --pid ${flags.pid}` : ''}${flags.comm ? `, --comm ${flags.comm}` : ''}${flags.exe ? `, --exe ${flags.exe}` : ''})${unloggedActionHint(flags.action)}`,
    );
  }
  const recording = builder.build({
    source: 'audit',
    inputs: [input.name],
    host,
    seccompLearn: VERSION,
    ...(flags.pid ? { pid: Number(flags.pid) } : {}),
  });
  await writeLearned(recording, flags, outputs);
  const incomplete = incompleteExitCode(recording, flags.allowIncomplete);
  if (incomplete !== undefined) process.exitCode = incomplete;
}
