import { headlineSentence } from '../diff/headline.js';
import type { Verdict } from '../profile/evaluate.js';
import { profileJson } from '../profile/model.js';
import { inertJson } from '../util/visible.js';
import type {
  AbiAgainstReference,
  AbiSyscalls,
  AssumedName,
  RecordedSummary,
  ReportWarning,
  ReviewReport,
  RowOrigin,
  SyscallRow,
} from './model.js';

/**
 * The sentences every renderer shares, so Markdown, text and HTML say the same thing in the same
 * words; each renderer only escapes and lays them out.
 */

export const plural = (count: number, one: string, many = `${one}s`): string =>
  `${count} ${count === 1 ? one : many}`;

/** "69 allowed vs 309 in Docker's default, 240 fewer (77.7%)". */
export function headlineText(report: ReviewReport, comparison: AbiAgainstReference): string {
  return headlineSentence(comparison.headline, report.comparison.reference.label);
}

export function referenceTarget(report: ReviewReport): string {
  const { comparison } = report;
  const changes = [
    ...comparison.capAdd.map((cap) => `+${cap}`),
    ...comparison.capDrop.map((cap) => `-${cap}`),
  ];
  const caps =
    changes.length > 0 ? `the default capabilities ${changes.join(' ')}` : 'the default capabilities';
  const kernel = `kernel ${comparison.kernel}${comparison.kernelFrom === 'host' ? ' (this host)' : ''}`;
  return `as the runtime loads it on ${comparison.hostAbi} with ${kernel} and ${caps}`;
}

export function referenceOrigin(report: ReviewReport): string {
  const { reference } = report.comparison;
  if (!reference.repository) return reference.file;
  const commit = reference.commit ? ` @ ${reference.commit.slice(0, 12)}` : '';
  const version = reference.version ? ` (${reference.version})` : '';
  return `${reference.repository} ${reference.upstreamPath ?? ''}${commit}${version}`;
}

export function runsText(row: SyscallRow, recorded: RecordedSummary | undefined): string {
  return row.runs === undefined || !recorded ? '' : `${row.runs}/${recorded.runs}`;
}

const ORIGIN_TEXT: Readonly<Record<RowOrigin, string>> = {
  observed: 'observed',
  baseline: 'runtime baseline',
  always: 'always allowed',
  allow: '--allow',
  'not-observed': 'not observed',
  profile: 'in the profile',
};

/** The names allowed without being observed, one line per reason, each saying where they come from. */
export function assumedByReason(report: ReviewReport): [string, string[]][] {
  const lines: [string, string[]][] = [];
  const runtime = report.profile.runtime;
  const reasons: [AssumedName['reason'], string][] = [
    [
      'baseline',
      `Added by the ${runtime && runtime !== 'none' ? `${runtime} ` : ''}runtime baseline, not observed`,
    ],
    ['always', 'Always allowed so that a refused process can still exit, not observed'],
    ['allow', 'Added by --allow, not observed'],
    ['not-observed', 'Allowed by the given profile, not observed'],
  ];
  for (const [reason, why] of reasons) {
    const names = report.profile.assumed.filter((name) => name.reason === reason).map((name) => name.name);
    if (names.length > 0) lines.push([why, names]);
  }
  return lines;
}

export function originText(row: SyscallRow): string {
  const origin = ORIGIN_TEXT[row.origin];
  return row.allowed ? origin : `${origin}, refused by the profile`;
}

const VERDICT_TEXT: Readonly<Record<Verdict, string>> = {
  allowed: 'allowed',
  conditional: 'some arguments',
  denied: 'denied',
};

export function verdictText(verdict: Verdict | undefined): string {
  return verdict ? VERDICT_TEXT[verdict] : 'not compared';
}

export function whenText(recorded: RecordedSummary): string {
  const { startedAt, endedAt } = recorded;
  if (!startedAt && !endedAt) return 'not recorded by the source';
  if (startedAt && endedAt && startedAt !== endedAt) return `${startedAt} to ${endedAt}`;
  return startedAt ?? endedAt ?? '';
}

export function subjectsText(recorded: RecordedSummary): string[] {
  return recorded.subjects.map((subject) => {
    const runs = recorded.runs > 1 ? ` (${plural(subject.runs, 'run')})` : '';
    const kind = subject.kind === 'input' ? 'from ' : subject.kind === 'container' ? 'container ' : '';
    return `${kind}${subject.text}${runs}`;
  });
}

export function hostsText(recorded: RecordedSummary): string {
  return recorded.hosts.map((host) => `Linux ${host.kernel} ${host.arch}`).join('; ');
}

export function sourcesText(recorded: RecordedSummary): string {
  const strace = recorded.straceVersions.length > 0 ? ` (strace ${recorded.straceVersions.join(', ')})` : '';
  return `${recorded.sources.join(', ')}${strace}`;
}

/** Whether a syscall table shows unknown errors (UNKNOWN_ERRORS), so needs UNKNOWN_ERRORS_NOTE under it. */
export function hasUnknownErrors(abi: AbiSyscalls): boolean {
  return abi.groups.some((group) =>
    group.syscalls.some((row) => row.calls !== undefined && row.errors === undefined),
  );
}

export function totalsText(recorded: RecordedSummary): string {
  const { calls, errors, syscalls } = recorded.totals;
  const failed = errors === undefined ? 'errors unknown (audit records)' : plural(errors, 'error');
  return `${plural(calls, 'call')}, ${failed}, ${plural(syscalls, 'distinct syscall')} on ${recorded.abis.join(', ')}`;
}

export function warningLocation(warning: ReportWarning): string {
  if (!warning.file) return '';
  return `${warning.file}${warning.line ? `:${warning.line}` : ''}`;
}

export function profileText(report: ReviewReport): string {
  const { profile } = report;
  const origin =
    profile.origin === 'file'
      ? `read from ${profile.file}`
      : `generated from the recording${profile.runtime && profile.runtime !== 'none' ? ` with the ${profile.runtime} runtime baseline` : ''}`;
  return `${profile.defaultAction} (every other call ${profile.defaultOutcome}) on ${profile.architectures.join(', ')}; ${origin}`;
}

/**
 * The profile as it is saved and loaded: the text `seccomp-learn generate` writes, with the control
 * characters JSON.stringify leaves raw (DEL, C1) written as \u escapes, which mean the same.
 */
export function profileDocumentText(report: ReviewReport): string {
  return inertJson(profileJson(report.profile.document));
}

/** Splits our own sentences into plain text and `backticked` code spans, for each renderer to mark up. */
export function codeSpans(sentence: string): { code: boolean; text: string }[] {
  return sentence
    .split(/(`[^`]*`)/)
    .filter((part) => part !== '')
    .map((part) =>
      part.startsWith('`') ? { code: true, text: part.slice(1, -1) } : { code: false, text: part },
    );
}
