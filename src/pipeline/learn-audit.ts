import { readFileSync } from 'node:fs';
import { createAuditParser, feedAuditLines, readAuditFile } from '../../parsers/audit.js';
import { UserError } from '../errors.js';
import {
  type ActionChoice,
  type AuditFilter,
  countIfMatched,
  needsProcessNames,
  recordMatcher,
} from '../recording/audit-filter.js';
import { RecordingBuilder } from '../recording/builder.js';
import { type AuditOrigin, openAuditInput } from '../sources/audit-input.js';
import { hostInfo } from '../sources/host.js';
import { VERSION } from '../version.js';
import { readAuditFileInRanges } from './audit-ranges.js';
import {
  type GenerationChoices,
  type IncompletePolicy,
  type LearnResult,
  planLearned,
  saveLearned,
} from './learned.js';

export interface LearnFromAuditOptions extends GenerationChoices, IncompletePolicy {
  output: string;
  filter: AuditFilter;
  /** The filters as the user wrote them, for the message when nothing matches. */
  filterText: string;
  /** A log file at least this large is read in ranges, one per core (default PARALLEL_FROM_BYTES). */
  parallelFromBytes?: number;
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

/** Learns from the kernel's SECCOMP records in a log made elsewhere, or in dmesg or the journal. */
export async function learnFromAudit(
  origin: AuditOrigin,
  options: LearnFromAuditOptions,
): Promise<LearnResult> {
  const { filter } = options;
  const matcher = recordMatcher(filter);
  // Before a large log is read: the outputs can be written and are not the log itself.
  const read = 'file' in origin && origin.file !== '-' ? [origin.file] : [];
  const outputs = await planLearned(options.output, options.format, read);
  const host = hostInfo();
  const input = await openAuditInput(origin);
  const builder = new RecordingBuilder();
  let matched = 0;
  const parser = createAuditParser({
    file: input.name,
    host: host.arch,
    processNames: needsProcessNames(filter),
    onRecord(record) {
      if (countIfMatched(record, matcher, builder)) matched++;
    },
    onNotice(notice) {
      // A loss the kernel reported before the window began cost records outside it.
      if (
        notice.code === 'lost-records' &&
        filter.since !== undefined &&
        notice.timestamp !== undefined &&
        notice.timestamp < filter.since
      )
        return;
      builder.notice(notice);
    },
  });
  let undated = 0;
  if (input.kind === 'file') {
    const ranged = await readAuditFileInRanges(
      { path: input.path, name: input.name, host: host.arch, filter },
      parser,
      builder,
      options.parallelFromBytes,
    );
    if (ranged) {
      parser.finish();
      matched += ranged.matched;
      undated += ranged.undated;
    } else await readAuditFile(input.path, parser, input.name);
  } else await Promise.all([feedAuditLines(input.stream, input.name, parser), input.done]);
  undated += matcher.undated;
  if (undated > 0) {
    builder.notice({
      code: 'truncated-input',
      file: input.name,
      count: undated,
      message: `${undated} record(s) carry no timestamp, so --since/--until could not place them: left out`,
    });
  }
  if (matched === 0) {
    throw new UserError(
      `${input.name}: no SECCOMP record matches the filters (${options.filterText})${unloggedActionHint(filter.action)}`,
    );
  }
  const recording = builder.build({
    source: 'audit',
    inputs: [input.name],
    host,
    seccompLearn: VERSION,
    ...(filter.pid === undefined ? {} : { pid: filter.pid }),
  });
  return saveLearned(recording, options, outputs, options);
}
