import type { ReferenceComparison } from '../diff/compare.js';
import { outcomeText } from '../diff/conditions.js';
import type { DiffEntry, ReferenceDiff, Usage } from '../diff/diff.js';
import type { RiskNote, RiskNotes } from '../diff/risk.js';
import { evaluateProfile, type Verdict } from '../profile/evaluate.js';
import type { GenerationNote } from '../profile/generate.js';
import type { SeccompProfile } from '../profile/model.js';
import type { JudgingHost } from '../profile/needs.js';
import { type CallReason, type HeldBack, heldBackOf, reasonsOf } from '../profile/reasons.js';
import { baselineFor, type RuntimeChoice } from '../profile/runtime-baselines.js';
import type { Recording, SourceKind, WarningCode } from '../recording/model.js';
import { recordingAbis, totalCalls } from '../recording/model.js';
import type { ReferenceSource } from '../reference/builtin.js';
import type { HostInfo } from '../sources/host.js';
import { type Abi, abiInfo } from '../syscalls/abi.js';
import { formatKernel, type KernelVersion } from '../syscalls/kernel.js';
import { VERSION } from '../version.js';
import { type ApplyStep, applySteps, profileName } from './apply.js';
import { againstReference } from './comparison.js';
import { groupOf, SYSCALL_GROUPS, type SyscallGroupId } from './groups.js';

/**
 * The security review of one profile, built once and rendered by every format: Markdown, text and
 * HTML show it, `--format json` is it. Plain data only, so it serialises as is.
 */

export const REPORT_FORMAT = 'seccomp-learn/report@1';

/** What ran: a command line, a container, or a process attached to by pid; else the input file. */
export interface Subject {
  kind: 'command' | 'container' | 'pid' | 'input';
  text: string;
  /** How many runs' provenance names it. */
  runs: number;
}

export interface RecordedSummary {
  runs: number;
  subjects: Subject[];
  startedAt?: string;
  endedAt?: string;
  hosts: HostInfo[];
  sources: SourceKind[];
  straceVersions: string[];
  /** The backends `record` used (strace, audit, bpf), where the recordings say. */
  backends: string[];
  bpftraceVersions: string[];
  seccompLearnVersions: string[];
  abis: Abi[];
  /** errors absent: some syscalls' errors are unknown (audit records). */
  totals: { calls: number; errors?: number; syscalls: number };
  /** The most-called syscalls over every ABI, most first. */
  mostCalled: { abi: Abi; name: string; calls: number; errors?: number }[];
}

/** A name in the profile although no run was seen calling it, with why it is there. */
export interface AssumedName {
  name: string;
  reason: CallReason;
  message: string;
}

export interface ProfileSection {
  origin: 'generated' | 'file';
  file?: string;
  /** The file name to give the profile when applying it. */
  name: string;
  /** For a generated profile: whose post-filter calls were added. */
  runtime?: RuntimeChoice;
  defaultAction: string;
  /** What the default action does to a call, in words ("fails with EPERM(1)"). */
  defaultOutcome: string;
  architectures: string[];
  /** Distinct names the profile lets through on the compared ABIs. */
  allowed: number;
  /** Allowed without being observed; empty when there is no recording to compare with. */
  assumed: AssumedName[];
  /** Dangerous calls --widen would have added and did not, as no run made them. */
  heldBack: HeldBack[];
  notes: GenerationNote[];
  document: SeccompProfile;
  /** For a default-allow profile (`--style remove-set`): how much weaker than an allowlist it is. */
  removeSet?: RemoveSetSummary;
}

/** What a default-allow profile lets through that an allowlist or the reference would refuse. */
export interface RemoveSetSummary {
  /** Names the profile refuses, for every argument or for some. */
  refused: number;
  /** Per compared ABI, the calls it allows that the reference refuses. */
  beyondReference: { abi: Abi; names: string[] }[];
  /** Allowed calls no recorded run made, which an allowlist of the same recordings would refuse. */
  unobserved?: number;
}

/** A diff entry the reference denies, with whether any run was seen calling it. */
export type DeniedByReference = Extract<DiffEntry, { status: 'denied' }> & {
  /** What the reference does to it, in words ("fails with ENOSYS(38)"). */
  outcomeText: string;
  observed: boolean;
};

/** The profile against the reference on one ABI. */
export interface AbiAgainstReference {
  abi: Abi;
  headline: ReferenceDiff['headline'];
  counts: ReferenceDiff['counts'];
  /** False when the reference's filter does not cover this ABI (it kills every call). */
  referenceCoversAbi: boolean;
  /** Allowed here, refused by the reference. */
  denied: DeniedByReference[];
  /** Allowed here, allowed by the reference only for some arguments; usage when a recording counted it. */
  conditional: { name: string; condition: string; usage?: Usage }[];
  /** Allowed by the reference, not by this profile. */
  removed: string[];
  /**
   * Calls both allow that either side filters by argument, with both sides' conditions (absent:
   * every argument) and whether this profile lets through an argument the reference refuses.
   * Empty when the profile is not known (a recording compared by its names).
   */
  argumentRules: ArgumentRuleRow[];
}

export interface ArgumentRuleRow {
  name: string;
  ours?: string;
  theirs?: string;
  looser: boolean;
}

export interface ComparisonSection {
  reference: ReferenceSource & { label: string };
  hostAbi: Abi;
  capabilities: string[];
  capAdd: string[];
  capDrop: string[];
  kernel: string;
  kernelFrom: 'host' | 'option';
  abis: AbiAgainstReference[];
}

export interface SyscallRow {
  name: string;
  calls?: number;
  errors?: number;
  /** Runs that saw it, out of RecordedSummary.runs. */
  runs?: number;
  /** Why it is in the profile (or, refused by a given profile, that it was observed). */
  reason: CallReason;
  /** Whether the profile lets it through (an observed call can be refused by a given profile). */
  allowed: boolean;
  /** What the reference does with it; absent for an ABI that was not compared. */
  reference?: Verdict;
  dangerous: boolean;
}

export interface SyscallGroupRows {
  id: SyscallGroupId;
  title: string;
  description: string;
  syscalls: SyscallRow[];
}

export interface AbiSyscalls {
  abi: Abi;
  native: boolean;
  count: number;
  groups: SyscallGroupRows[];
}

export interface ReportRisk extends RiskNote {
  observed: boolean;
}

export type DerivedWarningCode = 'assumed-baseline' | 'profile-denies-observed' | 'no-recording';

export interface ReportWarning {
  code: WarningCode | DerivedWarningCode;
  message: string;
  file?: string;
  line?: number;
  abi?: Abi;
  count?: number;
  /** True when the report concluded it; false when a recording carried it. */
  derived: boolean;
}

export interface ReviewReport {
  format: typeof REPORT_FORMAT;
  title: string;
  seccompLearn: string;
  inputs: { recordings: string[]; profile?: string };
  recorded?: RecordedSummary;
  profile: ProfileSection;
  comparison: ComparisonSection;
  syscalls: AbiSyscalls[];
  risks: { needed: ReportRisk[]; removed: ReportRisk[] };
  warnings: ReportWarning[];
  apply: ApplyStep[];
}

/**
 * What a review is built from, each made by its own stage: the merged recording, the profile
 * (given or generated), and its comparison with the reference on the host's ABIs.
 */
export interface ReportParts {
  recordingFiles: string[];
  recording?: Recording;
  profile: ReportedProfile;
  compared: ReferenceComparison;
  host: Abi;
  kernel: KernelVersion;
  kernelFrom: ComparisonSection['kernelFrom'];
  capAdd: string[];
  capDrop: string[];
}

/** The profile a review is about: read from a file, or generated from the recordings. */
export interface ReportedProfile {
  profile: SeccompProfile;
  notes: GenerationNote[];
  /** For a generated profile: whose post-filter calls were added. */
  runtime?: RuntimeChoice;
  /** For a profile read from a file. */
  file?: string;
}

const MOST_CALLED = 15;

const distinct = <T>(values: Iterable<T>): T[] => [...new Set(values)];
const sorted = (values: Iterable<string>): string[] => [...values].sort();

function subjectsOf(recording: Recording): Subject[] {
  const counts = new Map<string, Subject>();
  for (const run of recording.provenance) {
    let subject: Omit<Subject, 'runs'>;
    if (run.container) {
      const { engine, image, id } = run.container;
      subject = { kind: 'container', text: `${engine} ${image ?? id?.slice(0, 12) ?? 'container'}` };
    } else if (run.command) subject = { kind: 'command', text: run.command.join(' ') };
    else if (run.pid !== undefined) subject = { kind: 'pid', text: `pid ${run.pid}` };
    else subject = { kind: 'input', text: run.inputs.join(', ') || 'standard input' };
    const key = `${subject.kind}\0${subject.text}`;
    const current = counts.get(key);
    if (current) current.runs++;
    else counts.set(key, { ...subject, runs: 1 });
  }
  return [...counts.values()];
}

function summarise(recording: Recording): RecordedSummary {
  const { provenance } = recording;
  const starts = provenance.flatMap((run) => (run.startedAt ? [run.startedAt] : [])).sort();
  const ends = provenance.flatMap((run) => (run.endedAt ? [run.endedAt] : [])).sort();
  const hosts = new Map(provenance.map((run) => [`${run.host.kernel}\0${run.host.arch}`, run.host]));
  const mostCalled = recordingAbis(recording)
    .flatMap((abi) =>
      Object.entries(recording.abis[abi] ?? {}).map(([name, stats]) => ({
        abi,
        name,
        calls: stats.calls,
        ...(stats.errors === undefined ? {} : { errors: stats.errors }),
      })),
    )
    .sort((a, b) => b.calls - a.calls || a.name.localeCompare(b.name))
    .slice(0, MOST_CALLED);
  return {
    runs: recording.runs,
    subjects: subjectsOf(recording),
    ...(starts[0] ? { startedAt: starts[0] } : {}),
    ...(ends.at(-1) ? { endedAt: ends.at(-1) } : {}),
    hosts: [...hosts.values()],
    sources: distinct(provenance.map((run) => run.source)),
    straceVersions: distinct(provenance.flatMap((run) => (run.strace ? [run.strace] : []))),
    backends: distinct(provenance.flatMap((run) => (run.backend ? [run.backend] : []))),
    bpftraceVersions: distinct(provenance.flatMap((run) => (run.bpftrace ? [run.bpftrace] : []))),
    seccompLearnVersions: distinct(provenance.map((run) => run.seccompLearn)),
    abis: recordingAbis(recording),
    totals: totalCalls(recording),
    mostCalled,
  };
}

/** The reference's verdict on every name, read off a diff that lists every name either side allows. */
function referenceVerdicts(diff: ReferenceDiff | undefined): (name: string) => Verdict | undefined {
  if (!diff) return () => undefined;
  const verdicts = new Map(
    diff.entries.map((entry): [string, Verdict] => [
      entry.name,
      entry.status === 'unneeded' ? entry.referenceVerdict : entry.status,
    ]),
  );
  return (name) => verdicts.get(name) ?? 'denied';
}

function syscallRows(
  abi: Abi,
  native: boolean,
  recording: Recording | undefined,
  allowed: ReadonlySet<string>,
  diff: ReferenceDiff | undefined,
  reasonOf: (name: string, abi: Abi) => CallReason,
  dangerous: ReadonlySet<string>,
): AbiSyscalls {
  const observed = recording?.abis[abi] ?? {};
  const names = sorted(new Set([...Object.keys(observed), ...allowed]));
  const groups = new Map<SyscallGroupId, SyscallRow[]>();
  const verdictOf = referenceVerdicts(diff);
  for (const name of names) {
    const stats = observed[name];
    const reference = verdictOf(name);
    const row: SyscallRow = {
      name,
      ...(stats
        ? {
            calls: stats.calls,
            ...(stats.errors === undefined ? {} : { errors: stats.errors }),
            runs: stats.runs,
          }
        : {}),
      reason: reasonOf(name, abi),
      allowed: allowed.has(name),
      ...(reference ? { reference } : {}),
      dangerous: dangerous.has(name),
    };
    const group = groupOf(name);
    // Not [...rows, row]: copying the group for every name is quadratic in the names.
    const rows = groups.get(group);
    if (rows) rows.push(row);
    else groups.set(group, [row]);
  }
  return {
    abi,
    native,
    count: names.length,
    groups: SYSCALL_GROUPS.flatMap((group) => {
      const rows = groups.get(group.id);
      return rows ? [{ ...group, syscalls: rows }] : [];
    }),
  };
}

/** Dangerous calls over every compared ABI: one entry per name, needed wins over removed. */
function mergeRisks(perAbi: readonly RiskNotes[], observed: ReadonlySet<string>): ReviewReport['risks'] {
  const needed = new Map<string, RiskNote>();
  const removed = new Map<string, RiskNote>();
  for (const notes of perAbi) {
    for (const note of notes.needed) needed.set(note.name, note);
    for (const note of notes.removed) removed.set(note.name, note);
  }
  for (const name of needed.keys()) removed.delete(name);
  const withObserved = (notes: Map<string, RiskNote>): ReportRisk[] =>
    [...notes.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((note) => ({ ...note, observed: observed.has(note.name) }));
  return { needed: withObserved(needed), removed: withObserved(removed) };
}

function recordingWarnings(recording: Recording | undefined): ReportWarning[] {
  return (recording?.warnings ?? []).map((warning) => ({ ...warning, derived: false }));
}

function derivedWarnings(
  recording: Recording | undefined,
  host: Abi,
  assumed: readonly AssumedName[],
  refused: ReadonlyMap<Abi, string[]>,
  runtime: RuntimeChoice | undefined,
): ReportWarning[] {
  const warnings: ReportWarning[] = [];
  if (!recording) {
    warnings.push({
      code: 'no-recording',
      message:
        'no recording was given: the report describes the profile alone, without calls, runs or what the workload really used',
      derived: true,
    });
  }
  for (const abi of recording ? recordingAbis(recording) : []) {
    if (abi === host) continue;
    if (recording?.warnings.some((warning) => warning.code === 'compat-abi' && warning.abi === abi)) continue;
    const calls = Object.values(recording?.abis[abi] ?? {}).reduce((sum, stats) => sum + stats.calls, 0);
    warnings.push({
      code: 'compat-abi',
      message: `the workload made ${calls} call(s) through the ${abi} ABI, not the host's native ${host}: the profile must list ${abiInfo(abi).scmpArch}, and those entry points are a separate attack surface to review`,
      abi,
      count: calls,
      derived: true,
    });
  }
  const baseline = assumed.filter((name) => name.reason.kind === 'baseline');
  if (baseline.length > 0 && runtime) {
    const versions = baselineFor(runtime).sources.map((source) => `${source.runtime} ${source.version}`);
    warnings.push({
      code: 'assumed-baseline',
      message: `${baseline.length} syscall(s) are allowed by assumption, not observation: what ${runtime} itself calls between installing the filter and starting the workload (${versions.join(', ')}). If the workload will not run in a container, generate with --runtime none`,
      count: baseline.length,
      derived: true,
    });
  }
  for (const [abi, names] of refused) {
    warnings.push({
      code: 'profile-denies-observed',
      message: `the profile refuses ${names.length} syscall(s) the workload was seen calling on ${abi}: ${names.join(', ')}. The workload may fail where it calls them`,
      abi,
      count: names.length,
      derived: true,
    });
  }
  return warnings;
}

function titleOf(recorded: RecordedSummary | undefined, name: string): string {
  const subjects = recorded?.subjects.filter((subject) => subject.kind !== 'input') ?? [];
  if (subjects.length === 0) return name.replace(/\.json$/, '');
  const [first] = subjects;
  return subjects.length === 1 && first ? first.text : `${first?.text} and ${subjects.length - 1} more`;
}

/** Builds the review from its parts: what the workload did, what the profile allows, what the reference allows. */
export function buildReport(parts: ReportParts): ReviewReport {
  const { recording, compared, host, kernel } = parts;
  const chosen = parts.profile;
  // Only the ABIs this host runs: compareWithReference leaves the others out.
  const perAbi = compared.abis;
  const diffs = perAbi.map((abi) => abi.diff);
  const target: JudgingHost = { hostAbi: host, capabilities: new Set(compared.capabilities), kernel };
  const evaluatedHost = evaluateProfile(chosen.profile, { ...target, abi: host });
  const allowedOn = new Map(
    diffs.map((diff): [Abi, Set<string>] => [
      diff.abi,
      new Set(diff.entries.flatMap((entry) => (entry.status === 'unneeded' ? [] : [entry.name]))),
    ]),
  );

  const notes = new Map(chosen.notes.map((note) => [note.name, note]));
  const reasonOf = reasonsOf({
    ...(recording ? { recording } : {}),
    notes: chosen.notes,
    ...(chosen.file === undefined ? {} : { file: chosen.file }),
  });
  const observed = new Set(
    recording ? recordingAbis(recording).flatMap((abi) => Object.keys(recording.abis[abi] ?? {})) : [],
  );
  const allowedAnywhere = new Set([...allowedOn.values()].flatMap((names) => [...names]));
  /** The first compared ABI that allows `name`: a name's reason is the same on every ABI but observation. */
  const allowedAbi = (name: string): Abi => [...allowedOn].find(([, names]) => names.has(name))?.[0] ?? host;
  const assumed: AssumedName[] = recording
    ? sorted(allowedAnywhere)
        .filter((name) => !observed.has(name))
        .map((name) => {
          const note = notes.get(name);
          const message = note?.message ?? 'allowed by the given profile, not observed';
          return { name, reason: reasonOf(name, allowedAbi(name)), message };
        })
    : [];
  const refused = new Map<Abi, string[]>();
  for (const abi of recording ? recordingAbis(recording) : []) {
    const allowed = allowedOn.get(abi) ?? new Set<string>();
    const missing = Object.keys(recording?.abis[abi] ?? {}).filter((name) => !allowed.has(name));
    if (missing.length > 0 && chosen.file !== undefined) refused.set(abi, missing);
  }

  const risks = mergeRisks(
    perAbi.map((abi) => abi.risks),
    observed,
  );
  const dangerous = new Set([...risks.needed, ...risks.removed].map((risk) => risk.name));
  const abis = distinct([...(recording ? recordingAbis(recording) : []), ...allowedOn.keys()]);
  const syscalls = abis.map((abi) =>
    syscallRows(
      abi,
      abi === host,
      recording,
      allowedOn.get(abi) ?? new Set(),
      diffs.find((diff) => diff.abi === abi),
      reasonOf,
      dangerous,
    ),
  );

  const recorded = recording ? summarise(recording) : undefined;
  const { recordingFiles } = parts;
  const name = profileName(chosen.file, recordingFiles);
  const document = chosen.profile;
  const profile: ProfileSection = {
    origin: chosen.file ? 'file' : 'generated',
    ...(chosen.file ? { file: chosen.file } : {}),
    name,
    ...(chosen.runtime ? { runtime: chosen.runtime } : {}),
    defaultAction: document.defaultAction,
    defaultOutcome: outcomeText(evaluatedHost.defaultOutcome),
    architectures: evaluatedHost.architectures.map((abi) => abiInfo(abi).scmpArch),
    allowed: allowedAnywhere.size,
    assumed,
    heldBack: heldBackOf(chosen.notes),
    notes: chosen.notes,
    document,
    ...(document.defaultAction === 'SCMP_ACT_ALLOW'
      ? {
          removeSet: {
            refused: new Set(
              (document.syscalls ?? []).flatMap((rule) =>
                rule.action === 'SCMP_ACT_ALLOW' ? [] : rule.names,
              ),
            ).size,
            beyondReference: diffs.map((diff) => ({
              abi: diff.abi,
              names: diff.entries.flatMap((entry) => (entry.status === 'denied' ? [entry.name] : [])),
            })),
            ...(recording ? { unobserved: assumed.length } : {}),
          },
        }
      : {}),
  };
  return {
    format: REPORT_FORMAT,
    title: titleOf(recorded, name),
    seccompLearn: VERSION,
    inputs: { recordings: recordingFiles, ...(chosen.file ? { profile: chosen.file } : {}) },
    ...(recorded ? { recorded } : {}),
    profile,
    comparison: {
      reference: compared.reference,
      hostAbi: host,
      capabilities: compared.capabilities,
      capAdd: parts.capAdd,
      capDrop: parts.capDrop,
      kernel: formatKernel(kernel),
      kernelFrom: parts.kernelFrom,
      abis: diffs.map((diff) =>
        againstReference(diff, (name) => recording?.abis[diff.abi]?.[name] !== undefined),
      ),
    },
    syscalls,
    risks,
    warnings: [
      ...recordingWarnings(recording),
      ...derivedWarnings(recording, host, assumed, refused, chosen.runtime),
    ],
    apply: applySteps({
      name,
      recordings: recordingFiles,
      runtime: chosen.runtime,
      profileFile: chosen.file,
    }),
  };
}
