import { describeWitness } from '../binaries/witness.js';
import type { ReferenceDiff } from '../diff/diff.js';
import type { Verdict } from '../profile/evaluate.js';
import { profileJson } from '../profile/model.js';
import {
  CALL_REASON_KINDS,
  type CallReason,
  type CallReasonKind,
  type HeldBack,
} from '../profile/reasons.js';
import { inertJson } from '../util/visible.js';
import type {
  AbiAgainstReference,
  AbiSyscalls,
  DeniedByReference,
  RecordedSummary,
  RemoveSetSummary,
  ReportWarning,
  ReviewReport,
  SyscallRow,
} from './model.js';

/**
 * The sentences every renderer shares, so Markdown, text and HTML say the same thing in the same
 * words; each renderer only escapes and lays them out.
 */

export const plural = (count: number, one: string, many = `${one}s`): string =>
  `${count} ${count === 1 ? one : many}`;

type Headline = ReferenceDiff['headline'];

/** "240 fewer (77.7%)", or "12 more" when the profile is wider than the reference. */
export function fewerText(headline: Headline): string {
  return headline.fewer >= 0
    ? `${headline.fewer} fewer (${headline.percentFewer}%)`
    : `${-headline.fewer} more`;
}

/**
 * "69 allowed vs 309 in Docker's default, 240 fewer (77.7%); at least as strict as Docker's default
 * for every call both allow": the one headline every output uses. The second half is there when
 * the profile itself is known (not for a recording compared by its names alone).
 */
export function headlineSentence(headline: Headline, label: string): string {
  const counts = `${headline.workloadAllows} allowed vs ${headline.referenceAllows} in ${label}, ${fewerText(headline)}`;
  return headline.looser === undefined ? counts : `${counts}; ${strictnessText(headline.looser, label)}`;
}

/**
 * "Remove-set profile (default allow): it refuses only 58 calls; 19 that Docker's default refuses
 * are allowed on x86_64 (io_uring_setup, …), and 262 that no recorded run made": how much weaker
 * than an allowlist a default-allow profile is.
 */
export function removeSetText(summary: RemoveSetSummary, label: string): string {
  const beyond = summary.beyondReference
    .map(
      ({ abi, names }) =>
        `${plural(names.length, 'call')} ${label} refuses on ${abi}${names.length > 0 ? ` (${names.slice(0, 8).join(', ')}${names.length > 8 ? ', …' : ''})` : ''}`,
    )
    .join('; ');
  const unobserved =
    summary.unobserved === undefined
      ? ''
      : `, and ${plural(summary.unobserved, 'call')} no recorded run made (an allowlist of the same recordings refuses them)`;
  return `Remove-set profile (default allow), much weaker than an allowlist: it refuses only ${plural(summary.refused, 'call')} and allows ${beyond}${unobserved}.`;
}

/** Whether the profile is at least as strict as the reference for every call both allow, by argument. */
export function strictnessText(looser: readonly string[], label: string): string {
  return looser.length === 0
    ? `at least as strict as ${label} for every call both allow`
    : `looser than ${label} by argument for ${looser.join(', ')}`;
}

/** The verdict cell of an argument-rule row. */
export const argumentVerdict = (looser: boolean): string =>
  looser ? 'looser: lets through arguments it refuses' : 'as strict or stricter';

/** A side of an argument-rule row that filters nothing. */
export const EVERY_ARGUMENT = 'every argument';

/** The headline of one ABI of a report. */
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

// --- why each allowed call is allowed (src/profile/reasons.ts), in diff and report alike ---

/** Each reason kind in a few words: a count's label, and the cell of a row whose counts are beside it. */
const REASON_KIND_TEXT: Readonly<Record<CallReasonKind, string>> = {
  observed: 'observed',
  equivalent: 'equivalent of an observed call',
  reachable: 'reachable from the binaries',
  baseline: 'runtime baseline',
  always: 'always allowed (exit path)',
  allow: 'added by --allow',
  'profile-file': 'in the profile, reason unknown',
};

/** "12 calls, 1 error, in 2 of 3 runs": what observation counted (errors left out when none or unknown). */
function observedText(reason: Extract<CallReason, { kind: 'observed' }>): string {
  const errors = reason.errors ? `, ${plural(reason.errors, 'error')}` : '';
  return `${plural(reason.calls, 'call')}${errors}, in ${reason.runs} of ${plural(reason.ofRuns, 'run')}`;
}

/**
 * Why one call is allowed, with its data: "observed: 12 calls, in 2 of 3 runs", "equivalent of
 * mkdir", "reachable through fsync of /usr/bin/redis-server", "runc runtime baseline (runc 1.4.2)".
 * `brief` says only "observed" and leaves the baseline's versions and the profile's file out, for a
 * table whose columns hold the counts and whose warnings and inputs name the rest.
 */
export function reasonText(reason: CallReason, brief = false): string {
  switch (reason.kind) {
    case 'observed':
      return brief ? 'observed' : `observed: ${observedText(reason)}`;
    case 'equivalent':
      return `equivalent of ${reason.of}`;
    case 'reachable':
      return `reachable ${describeWitness(reason)}`;
    case 'baseline':
      return `${reason.runtime} runtime baseline${brief ? '' : ` (${reason.versions.join(', ')})`}`;
    case 'always':
      return REASON_KIND_TEXT.always;
    case 'allow':
      return REASON_KIND_TEXT.allow;
    case 'profile-file':
      return brief ? REASON_KIND_TEXT['profile-file'] : `in ${reason.file}, reason unknown`;
  }
}

/** "40 observed, 12 equivalent of an observed call, 2 always allowed (exit path)": allowed calls per reason. */
export function reasonCountsText(reasons: readonly CallReason[]): string {
  const counts = new Map<CallReasonKind, number>();
  for (const reason of reasons) counts.set(reason.kind, (counts.get(reason.kind) ?? 0) + 1);
  return CALL_REASON_KINDS.flatMap((kind) => {
    const count = counts.get(kind);
    return count ? [`${count} ${REASON_KIND_TEXT[kind]}`] : [];
  }).join(', ');
}

/** The words around reasons and held-back calls. */
export const REASONS = {
  /** The title of the per-call list, and of its count line. */
  why: 'Why each call is allowed',
  /** After the counts in `diff`'s text, when the per-call list is not shown. */
  whyHint: '--why lists each call with its reason',
  heldBack: (count: number) => `Held back: ${plural(count, 'syscall')} --widen did not add`,
} as const;

/**
 * "(dangerous; reachable through mount of libc.so.6), not observed", "(network sockets, a kind of
 * work no run showed; reachable through bind of /usr/bin/python3.11), not observed", or "(no binary
 * of the workload can make it; equivalent of fstat), not observed": what follows a held-back call's
 * name.
 */
export function heldBackDetail(held: HeldBack): string {
  const why =
    held.heldFor === 'dangerous'
      ? 'dangerous'
      : held.heldFor === 'unreachable'
        ? 'no binary of the workload can make it'
        : `${held.heldFor}, a kind of work no run showed`;
  return `(${why}; ${reasonText(held.reason)}), not observed`;
}

/** "mount (dangerous; reachable through mount of libc.so.6), not observed", under REASONS.heldBack. */
export function heldBackText(held: HeldBack): string {
  return `${held.name} ${heldBackDetail(held)}`;
}

/** The names allowed without being observed, one line per reason, each saying where they come from. */
export function assumedByReason(report: ReviewReport): [string, string[]][] {
  const lines: [string, string[]][] = [];
  const runtime = report.profile.runtime;
  const reasons: [CallReasonKind, string][] = [
    [
      'baseline',
      `Added by the ${runtime && runtime !== 'none' ? `${runtime} ` : ''}runtime baseline, not observed`,
    ],
    ['always', 'Always allowed so that a refused process can still exit, not observed'],
    ['allow', 'Added by --allow, not observed'],
    ['equivalent', 'Added by --widen: does what an observed call does, not observed'],
    ['reachable', "Added by --widen: the workload's binaries can call it, not observed"],
    ['profile-file', 'Allowed by the given profile, not observed'],
  ];
  for (const [reason, why] of reasons) {
    const names = report.profile.assumed
      .filter((name) => name.reason.kind === reason)
      .map((name) => name.name);
    if (names.length > 0) lines.push([why, names]);
  }
  return lines;
}

/** A syscall row's reason: its counts are in the row's own columns. */
export function originText(row: SyscallRow): string {
  const reason = reasonText(row.reason, true);
  return row.allowed ? reason : `${reason}, refused by the profile`;
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
  const tools = [
    ...recorded.straceVersions.map((version) => `strace ${version}`),
    ...recorded.bpftraceVersions.map((version) => `bpftrace ${version}`),
  ];
  const backends = recorded.backends.length > 0 ? `, backend ${recorded.backends.join(', ')}` : '';
  const versions = tools.length > 0 ? ` (${tools.join(', ')})` : '';
  return `${recorded.sources.join(', ')}${versions}${backends}`;
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

// --- the comparison with a reference and between two allowlists, in diff and report alike ---

const BOTH = 'Allowed by both';

/** A title that opens with a word the renderer sets in bold ("Removed:"), then the sentence. */
export interface LeadTitle {
  lead: string;
  rest: string;
}

/**
 * Section titles of a comparison. Like every template below, they take their arguments already
 * escaped for the format (visible, mdText or mdCode, escapeHtml): the words are ours, the
 * arguments may come from an input. A renderer adds the ABI (abiSuffix) when several are compared.
 */
export const COMPARISON = {
  title: (input: string, label: string) => `seccomp: ${input} against ${label}`,
  denied: (label: string) => `Needed, denied by ${label}`,
  conditional: (label: string) => `Allowed by ${label} only for some arguments`,
  argumentRules: (label: string) => `Argument rules: this profile and ${label}`,
  both: BOTH,
  allowed: (count: number) => `${BOTH}: ${plural(count, 'syscall')}`,
  /** In a chart's legend, beside `both` and `denied`. */
  removedHere: 'Removed by this profile',
  removed: (count: number, label: string): LeadTitle => ({
    lead: 'Removed:',
    rest: `${plural(count, 'syscall')} ${label} allows and this profile does not`,
  }),
  dangerous: 'Dangerous syscalls',
  riskKept: (count: number) => `Still allowed: review each (${count})`,
  noRiskKept: 'The profile allows none of the syscalls on the review list.',
  riskRemoved: (count: number, label: string): LeadTitle => ({
    lead: 'Removed:',
    rest: `${plural(count, 'dangerous syscall')} ${label} allows and this profile does not`,
  }),
  compared: (label: string) => `Compared with ${label}`,
  /** Where the reference came from and how it was evaluated, under the summary table. */
  evaluated: (label: string, origin: string, target: string) =>
    `${label} from ${origin}, evaluated ${target}.`,
} as const;

/** Column heads of the comparison tables. */
export const COLUMNS = {
  abi: 'ABI',
  thisProfile: 'This profile',
  difference: 'Difference',
  deniedThere: 'Needed, denied there',
  conditionalThere: 'Argument-filtered there',
  syscall: 'Syscall',
  calls: 'Calls',
  unlock: 'Would be allowed by',
  seen: 'Seen',
  condition: 'Condition',
  verdict: 'Verdict',
  kind: 'Kind',
  why: 'Why it is dangerous',
  check: 'What to check',
  reason: 'Reason',
} as const;

/** " (x86)" when a comparison covers several ABIs, so each section says which it is about. */
export function abiSuffix(abi: string, several: boolean): string {
  return several ? ` (${abi})` : '';
}

/** What would let a denied call through: capabilities, a newer kernel, or nothing. */
export function unlockText(entry: DeniedByReference): string {
  if (!entry.existsOnAbi) return 'no such syscall on this ABI';
  const caps = entry.unlockedBy.map(
    (unlock) =>
      unlock.capabilities.join(' + ') + (unlock.verdict === 'conditional' ? ' (some arguments)' : ''),
  );
  const kernel = entry.minKernel ? `kernel ≥ ${entry.minKernel}` : undefined;
  return [...caps, ...(kernel ? [kernel] : [])].join(' or ') || 'nothing: the reference never allows it';
}

/** Whether a run was seen calling a syscall, in a table cell. */
export const seenText = (observed: boolean): string => (observed ? 'yes' : 'no');

/**
 * What the reference does to a denied call. `diff`'s tables are for people who write profiles and
 * keep it to the errno or action ("EPERM") beside the call counts; the report is read by reviewers
 * who may not know seccomp's vocabulary, so it says it as a sentence ("fails with EPERM(1)").
 */
export function refusalText(entry: DeniedByReference, detail: 'calls' | 'seen'): string {
  return detail === 'calls' ? (entry.errnoName ?? entry.outcome.action) : entry.outcomeText;
}

/** The changes between two allowlists, one ABI at a time. */
export const ALLOWLIST_DIFF = {
  title: (before: string, after: string) => `seccomp: ${before} → ${after}`,
  allowed: (before: number, after: number) => `${before} → ${after} allowed`,
  added: (count: number) => `added (${count})`,
  removed: (count: number) => `removed (${count})`,
  changed: 'changed',
  /** "SCMP_ACT_ERRNO → SCMP_ACT_KILL_PROCESS". */
  change: (from: string, to: string) => `${from} → ${to}`,
  /**
   * One side of a change: its argument condition when it has one ("only when arg0 (domain) is
   * AF_UNIX(1)"), so that two argument rules are shown side by side; else its action and errno.
   */
  treatment: (side: { action: string; errnoRet?: number; condition?: string }) =>
    side.condition ?? (side.errnoRet === undefined ? side.action : `${side.action} (errno ${side.errnoRet})`),
  none: 'no change',
  defaultAction: 'Default action',
} as const;
