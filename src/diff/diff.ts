import type { Dialect } from '../profile/arch.js';
import {
  decisionFor,
  type EvaluatedProfile,
  type EvaluationTarget,
  evaluateProfile,
  outcomeOfCall,
  permits,
  permittedSyscalls,
  type RuleRef,
  type SyscallDecision,
  type Verdict,
  verdictOf,
} from '../profile/evaluate.js';
import type { Outcome, ScmpAction, SeccompArg, SeccompProfile, SeccompRule } from '../profile/model.js';
import type { CallReason } from '../profile/reasons.js';
import type { Abi } from '../syscalls/abi.js';
import { errnoName } from '../syscalls/errno.js';
import { formatKernel, type KernelVersion, kernelAtLeast, parseMinKernel } from '../syscalls/kernel.js';
import { describeConditions } from './conditions.js';

export type DiffStatus = 'allowed' | 'conditional' | 'denied' | 'unneeded';

/** How much the workload used a syscall, when the caller knows. */
export interface Usage {
  calls?: number;
  runs?: number;
}

/** What one ABI of the workload needs: names alone, or names with their usage. */
export interface WorkloadNeeds {
  abi: Abi;
  syscalls: ReadonlyMap<string, Usage> | ReadonlySet<string>;
  /** Why the workload's profile allows each name (src/profile/reasons.ts), when the caller knows. */
  reasonOf?: (name: string) => CallReason;
  /**
   * The workload's own profile evaluated for this ABI, when there is one (a profile input, or the
   * one generated from a recording): its argument rules are compared with the reference's.
   */
  profile?: EvaluatedProfile;
}

/** An argument filter as plain data. */
export interface AlternativeSummary {
  action: ScmpAction;
  errnoRet?: number;
  args: SeccompArg[];
  rule: RuleRef;
}

/** Adding these capabilities to the container would let the call through (fully or for some arguments). */
export interface CapabilityUnlock {
  capabilities: string[];
  verdict: Exclude<Verdict, 'denied'>;
}

interface NeededEntry {
  name: string;
  usage?: Usage;
  /** Why the workload's side allows it: observed, an equivalent, reachable, the exit path, a profile file's. */
  reason?: CallReason;
  /** The workload's profile filters it by argument: which calls it lets through, in words. */
  ours?: string;
  /**
   * Set when the workload's profile is known and both allow the call: true when it lets through
   * some argument the reference refuses (socket(AF_VSOCK) where Docker refuses it).
   */
  looser?: boolean;
}

export type DiffEntry =
  | (NeededEntry & { status: 'allowed'; rule?: RuleRef })
  | (NeededEntry & {
      status: 'conditional';
      /** e.g. "only when arg0 (domain) is neither AF_ALG(38) nor AF_VSOCK(40)". */
      condition: string;
      alternatives: AlternativeSummary[];
      otherwise: Outcome;
    })
  | (NeededEntry & {
      status: 'denied';
      outcome: Outcome;
      /** e.g. "ENOSYS" for clone3 without CAP_SYS_ADMIN. */
      errnoName?: string;
      rule?: RuleRef;
      unlockedBy: CapabilityUnlock[];
      /** The reference allows it on kernels at least this new ("4.8"). */
      minKernel?: string;
      /** False when the ABI has no such syscall, so no profile could allow it. */
      existsOnAbi: boolean;
    })
  | { name: string; status: 'unneeded'; referenceVerdict: Exclude<Verdict, 'denied'> };

export interface ReferenceDiff {
  abi: Abi;
  reference: {
    hostAbi: Abi;
    dialect: Dialect;
    capabilities: string[];
    kernel: string;
    /** False when the reference's filter does not cover this ABI (every call is killed). */
    abiInFilter: boolean;
    defaultOutcome: Outcome;
  };
  headline: {
    /** Syscalls the learned allowlist permits on this ABI. */
    workloadAllows: number;
    /** Syscalls the reference lets through on this ABI, fully or for some arguments. */
    referenceAllows: number;
    referenceUnconditional: number;
    fewer: number;
    /** How much smaller the learned allowlist is, in percent of the reference (one decimal). */
    percentFewer: number;
    /**
     * When the workload's profile is known: the calls both allow for which it lets through an
     * argument the reference refuses. Empty: at least as strict as the reference for every call both allow.
     */
    looser?: string[];
  };
  counts: Record<DiffStatus, number>;
  /** Sorted by name. */
  entries: DiffEntry[];
}

export interface ReferenceDiffOptions {
  /** List the syscalls the reference allows and the workload never used (default true). */
  unneeded?: boolean;
}

function syscallUsage(needs: WorkloadNeeds, name: string): Usage | undefined {
  return needs.syscalls instanceof Map ? needs.syscalls.get(name) : undefined;
}

const byName = <T extends { name: string }>(a: T, b: T): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

function withCapabilities(reference: EvaluatedProfile, added: readonly string[]): EvaluatedProfile {
  return evaluateProfile(reference.profile, {
    ...reference.target,
    capabilities: new Set([...reference.target.capabilities, ...added]),
  });
}

const rulesByName = new WeakMap<SeccompProfile, Map<string, SeccompRule[]>>();

/**
 * The rules of `profile` that name `name`, in order. Indexed once per profile: scanning every rule's
 * names for every needed syscall costs the reference's size per name.
 */
function rulesNaming(profile: SeccompProfile, name: string): readonly SeccompRule[] {
  let index = rulesByName.get(profile);
  if (!index) {
    index = new Map();
    for (const rule of profile.syscalls ?? []) {
      for (const named of new Set(rule.names)) {
        const rules = index.get(named);
        if (rules) rules.push(rule);
        else index.set(named, [rule]);
      }
    }
    rulesByName.set(profile, index);
  }
  return index.get(name) ?? [];
}

/**
 * Which capability sets would lift the denial, found by re-evaluating the reference with them
 * added. Only rules naming the syscall can change its fate: the caps an `includes` asks for (all
 * together) and each cap of an `excludes` (any one removes that rule).
 */
function capabilityUnlocks(reference: EvaluatedProfile, name: string): CapabilityUnlock[] {
  const candidates = new Map<string, string[]>();
  for (const rule of rulesNaming(reference.profile, name)) {
    const sets = [rule.includes?.caps ?? [], ...(rule.excludes?.caps ?? []).map((cap) => [cap])];
    for (const set of sets) {
      const missing = [...new Set(set)].filter((cap) => !reference.target.capabilities.has(cap)).sort();
      if (missing.length > 0) candidates.set(missing.join('+'), missing);
    }
  }
  const unlocks: CapabilityUnlock[] = [];
  for (const capabilities of candidates.values()) {
    const verdict = verdictOf(decisionFor(withCapabilities(reference, capabilities), name));
    if (verdict !== 'denied') unlocks.push({ capabilities, verdict });
  }
  // A set that contains a smaller working set adds nothing to the advice.
  return unlocks
    .filter(
      (u) => !unlocks.some((o) => o !== u && o.capabilities.every((cap) => u.capabilities.includes(cap))),
    )
    .sort(
      (a, b) =>
        a.capabilities.length - b.capabilities.length ||
        a.capabilities.join().localeCompare(b.capabilities.join()),
    );
}

/** The oldest kernel on which the reference would let the call through, if a `minKernel` rule is what blocks it. */
function kernelUnlock(reference: EvaluatedProfile, name: string): string | undefined {
  if (reference.target.dialect !== 'moby') return undefined;
  const versions = rulesNaming(reference.profile, name)
    .map((rule) => (rule.includes?.minKernel ? parseMinKernel(rule.includes.minKernel) : undefined))
    .filter((version): version is KernelVersion => typeof version === 'object')
    .filter((version) => !kernelAtLeast(reference.target.kernel, version))
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return versions
    .filter((kernel) => {
      const newer = evaluateProfile(reference.profile, { ...reference.target, kernel });
      return verdictOf(decisionFor(newer, name)) !== 'denied';
    })
    .map(formatKernel)[0];
}

function alternativesOf(decision: Extract<SyscallDecision, { kind: 'conditional' }>): AlternativeSummary[] {
  return decision.alternatives.map(({ outcome, args, rule }) => ({ ...outcome, args, rule }));
}

/**
 * Argument registers worth trying to tell two filters of `name` apart: every comparison's value and
 * its neighbours, each bit of every mask, zero and the largest value, on each argument compared.
 * The filters compare one argument each (as Docker's and generated profiles do), so a call one lets
 * through and the other refuses is among them.
 */
function probes(decisions: readonly SyscallDecision[]): bigint[][] {
  const values = new Map<number, Set<bigint>>();
  const add = (index: number, value: bigint) => {
    if (value < 0n || value >= 2n ** 64n) return;
    let set = values.get(index);
    if (!set) {
      set = new Set([0n, 2n ** 64n - 1n]);
      values.set(index, set);
    }
    set.add(value);
  };
  for (const decision of decisions) {
    if (decision.kind !== 'conditional') continue;
    for (const { args } of decision.alternatives) {
      for (const arg of args) {
        if (arg.op === 'SCMP_CMP_MASKED_EQ') {
          const datum = arg.valueTwo ?? 0n;
          add(arg.index, datum);
          for (let bit = 1n; bit <= arg.value; bit <<= 1n)
            if ((arg.value & bit) !== 0n) add(arg.index, datum | bit);
        } else {
          for (const value of [arg.value - 1n, arg.value, arg.value + 1n]) add(arg.index, value);
        }
      }
    }
  }
  const registers: bigint[][] = [[]];
  for (const [index, set] of values) {
    for (const value of set) {
      const call: bigint[] = [0n, 0n, 0n, 0n, 0n, 0n];
      call[index] = value;
      registers.push(call);
    }
  }
  return registers;
}

/** Whether `ours` lets through a call of `name` that `reference` refuses. */
export function admitsMore(ours: EvaluatedProfile, reference: EvaluatedProfile, name: string): boolean {
  const decisions = [decisionFor(ours, name), decisionFor(reference, name)];
  return probes(decisions).some(
    (registers) =>
      permits(outcomeOfCall(ours, name, registers)) && !permits(outcomeOfCall(reference, name, registers)),
  );
}

/** The workload profile's filter of `name`, in words, when it filters by argument. */
function ourCondition(ours: EvaluatedProfile | undefined, name: string): string | undefined {
  if (!ours) return undefined;
  const decision = decisionFor(ours, name);
  if (decision.kind !== 'conditional' || verdictOf(decision) !== 'conditional') return undefined;
  return describeConditions(name, ours.target.abi, decision.alternatives, decision.otherwise);
}

function neededEntry(
  reference: EvaluatedProfile,
  name: string,
  usage: Usage | undefined,
  reason: CallReason | undefined,
  ours?: EvaluatedProfile,
): DiffEntry {
  const decision = decisionFor(reference, name);
  const condition = ourCondition(ours, name);
  // Built field by field, not by spreading: a diff of 100,000 names makes one per name.
  const entry: NeededEntry = { name };
  if (usage) entry.usage = usage;
  if (reason) entry.reason = reason;
  if (condition) entry.ours = condition;
  const { existsOnAbi } = decision;
  // A number the ABI does not have matches no rule: the filter answers with its default.
  const verdict = existsOnAbi ? verdictOf(decision) : 'denied';
  const rule = existsOnAbi && decision.kind === 'unconditional' ? decision.rule : undefined;
  if (verdict !== 'denied' && ours) entry.looser = admitsMore(ours, reference, name);
  if (verdict === 'allowed') {
    const allowed: Extract<DiffEntry, { status: 'allowed' }> = Object.assign(entry, {
      status: 'allowed' as const,
    });
    if (rule) allowed.rule = rule;
    return allowed;
  }
  if (verdict === 'conditional' && decision.kind === 'conditional') {
    return Object.assign(entry, {
      status: 'conditional' as const,
      condition: describeConditions(name, reference.target.abi, decision.alternatives, decision.otherwise),
      alternatives: alternativesOf(decision),
      otherwise: decision.otherwise,
    });
  }
  let outcome = reference.defaultOutcome;
  if (existsOnAbi) outcome = decision.kind === 'conditional' ? decision.otherwise : decision.outcome;
  const named = outcome.errnoRet === undefined ? undefined : errnoName(outcome.errnoRet);
  const minKernel = existsOnAbi ? kernelUnlock(reference, name) : undefined;
  // Filled in the order the JSON output has always had.
  const denied: NeededEntry & Partial<Extract<DiffEntry, { status: 'denied' }>> = entry;
  denied.status = 'denied';
  denied.outcome = outcome;
  if (named) denied.errnoName = named;
  if (rule) denied.rule = rule;
  denied.unlockedBy = existsOnAbi ? capabilityUnlocks(reference, name) : [];
  if (minKernel) denied.minKernel = minKernel;
  denied.existsOnAbi = existsOnAbi;
  return denied as Extract<DiffEntry, { status: 'denied' }>;
}

const round1 = (value: number): number => Math.round(value * 10) / 10;

/**
 * Compares what a workload needs on one ABI with what a reference profile, evaluated for the same
 * container, lets through. Every syscall on either side gets one status.
 */
export function diffAgainstReference(
  needs: WorkloadNeeds,
  reference: EvaluatedProfile,
  options: ReferenceDiffOptions = {},
): ReferenceDiff {
  if (needs.abi !== reference.target.abi) {
    throw new Error(`needs are for ${needs.abi} but the reference was evaluated for ${reference.target.abi}`);
  }
  const needed = [...needs.syscalls.keys()];
  const entries = needed.map((name) =>
    neededEntry(reference, name, syscallUsage(needs, name), needs.reasonOf?.(name), needs.profile),
  );
  const permitted = permittedSyscalls(reference);
  if (options.unneeded ?? true) {
    for (const [name, verdict] of permitted) {
      if (!needs.syscalls.has(name)) {
        entries.push({ name, status: 'unneeded', referenceVerdict: verdict as Exclude<Verdict, 'denied'> });
      }
    }
  }
  entries.sort(byName);
  const counts: Record<DiffStatus, number> = { allowed: 0, conditional: 0, denied: 0, unneeded: 0 };
  for (const entry of entries) counts[entry.status]++;
  const referenceAllows = permitted.size;
  const fewer = referenceAllows - needed.length;
  const { target } = reference;
  return {
    abi: needs.abi,
    reference: {
      hostAbi: target.hostAbi,
      dialect: target.dialect,
      capabilities: [...target.capabilities].sort(),
      kernel: formatKernel(target.kernel),
      abiInFilter: reference.abiInFilter,
      defaultOutcome: reference.defaultOutcome,
    },
    headline: {
      workloadAllows: needed.length,
      referenceAllows,
      referenceUnconditional: [...permitted.values()].filter((verdict) => verdict === 'allowed').length,
      fewer,
      percentFewer: referenceAllows > 0 ? round1((fewer / referenceAllows) * 100) : 0,
      ...(needs.profile
        ? {
            looser: entries.flatMap((entry) =>
              (entry.status === 'allowed' || entry.status === 'conditional') && entry.looser
                ? [entry.name]
                : [],
            ),
          }
        : {}),
    },
    counts,
    entries,
  };
}

// --- comparing two allowlists ---

/** An allowlist as bare names per ABI (everything listed is allowed, everything else is not). */
export type AllowlistSets = Partial<Record<Abi, Iterable<string>>>;

/** How a profile treats one syscall, as plain data. */
export interface SyscallTreatment {
  verdict: Verdict;
  /** For an argument-filtered syscall: what calls matching no filter get. */
  action: ScmpAction;
  errnoRet?: number;
  /** For an argument-filtered syscall: what happens to which arguments. */
  condition?: string;
}

export interface SyscallChange {
  name: string;
  from: SyscallTreatment;
  to: SyscallTreatment;
}

export interface AbiAllowlistDiff {
  abi: Abi;
  /** Allowed (fully or conditionally) by b, not by a. Sorted. */
  added: string[];
  /** Allowed by a, not by b. Sorted. */
  removed: string[];
  /** Named on both sides but treated differently: another action, errno, or argument filter. */
  changed: SyscallChange[];
  allowedBefore: number;
  allowedAfter: number;
}

export interface AllowlistDiff {
  abis: AbiAllowlistDiff[];
  /** Set when both sides are profiles and their default action differs (on the host ABI). */
  defaultChanged?: { from: Outcome; to: Outcome };
}

/**
 * How to evaluate profile sides. Capabilities default to none and the kernel to the newest: they only
 * matter to profiles with includes/excludes, which learned allowlists do not use.
 */
export type AllowlistDiffOptions = Partial<Omit<EvaluationTarget, 'abi'>> & { hostAbi: Abi };

interface Treatments {
  /** Names the side decides explicitly (or, for a denylist profile, lets through). */
  named: Map<string, SyscallTreatment>;
  /** What a profile does with every other name; bare name sets have none. */
  otherwise?: SyscallTreatment;
}

interface Side {
  abis: Abi[];
  treatments(abi: Abi): Treatments;
  defaultOutcome?: Outcome;
}

function treatmentOf(decision: SyscallDecision, abi: Abi): SyscallTreatment {
  const verdict = verdictOf(decision);
  if (decision.kind !== 'conditional') return { verdict, ...decision.outcome };
  const condition = describeConditions(decision.name, abi, decision.alternatives, decision.otherwise);
  return { verdict, ...decision.otherwise, condition };
}

function profileSide(profile: SeccompProfile, options: AllowlistDiffOptions): Side {
  const target = (abi: Abi): EvaluationTarget => ({
    capabilities: new Set(),
    kernel: [255, 255],
    ...options,
    abi,
  });
  const native = evaluateProfile(profile, target(options.hostAbi));
  return {
    abis: native.architectures,
    defaultOutcome: native.defaultOutcome,
    treatments(abi) {
      const evaluated = evaluateProfile(profile, target(abi));
      const names = new Set([...evaluated.decisions.keys(), ...permittedSyscalls(evaluated).keys()]);
      const named = new Map<string, SyscallTreatment>();
      for (const name of names) {
        const decision = decisionFor(evaluated, name);
        if (decision.existsOnAbi) named.set(name, treatmentOf(decision, abi));
      }
      const fallback = evaluated.defaultOutcome;
      return { named, otherwise: { verdict: permits(fallback) ? 'allowed' : 'denied', ...fallback } };
    },
  };
}

function setsSide(sets: AllowlistSets): Side {
  const allowed: SyscallTreatment = { verdict: 'allowed', action: 'SCMP_ACT_ALLOW' };
  return {
    abis: Object.keys(sets) as Abi[],
    treatments: (abi) => ({ named: new Map([...(sets[abi] ?? [])].map((name) => [name, allowed])) }),
  };
}

const isProfile = (side: SeccompProfile | AllowlistSets): side is SeccompProfile => 'defaultAction' in side;

const sameTreatment = (a: SyscallTreatment, b: SyscallTreatment): boolean =>
  a.verdict === b.verdict &&
  a.action === b.action &&
  a.errnoRet === b.errnoRet &&
  a.condition === b.condition;

/**
 * Compares two allowlists (profiles, or bare names per ABI) ABI by ABI. Profiles are evaluated for
 * the same host, capabilities and kernel; a name missing from one side counts as not allowed there.
 */
export function diffProfiles(
  a: SeccompProfile | AllowlistSets,
  b: SeccompProfile | AllowlistSets,
  options: AllowlistDiffOptions,
): AllowlistDiff {
  const [before, after] = [a, b].map((side) =>
    isProfile(side) ? profileSide(side, options) : setsSide(side),
  ) as [Side, Side];
  const abis = [...new Set([...before.abis, ...after.abis])].sort();
  const diff: AllowlistDiff = {
    abis: abis.map((abi) => {
      const from = before.treatments(abi);
      const to = after.treatments(abi);
      const names = [...new Set([...from.named.keys(), ...to.named.keys()])].sort();
      const treatment = (side: Treatments, name: string) => side.named.get(name) ?? side.otherwise;
      const allowedIn = (side: Treatments, name: string): boolean => {
        const verdict = treatment(side, name)?.verdict;
        return verdict !== undefined && verdict !== 'denied';
      };
      const changed: SyscallChange[] = [];
      for (const name of names) {
        const x = treatment(from, name);
        const y = treatment(to, name);
        if (x && y && allowedIn(from, name) === allowedIn(to, name) && !sameTreatment(x, y)) {
          changed.push({ name, from: x, to: y });
        }
      }
      return {
        abi,
        added: names.filter((name) => allowedIn(to, name) && !allowedIn(from, name)),
        removed: names.filter((name) => allowedIn(from, name) && !allowedIn(to, name)),
        changed,
        allowedBefore: names.filter((name) => allowedIn(from, name)).length,
        allowedAfter: names.filter((name) => allowedIn(to, name)).length,
      };
    }),
  };
  const [x, y] = [before.defaultOutcome, after.defaultOutcome];
  if (x && y && (x.action !== y.action || x.errnoRet !== y.errnoRet))
    diff.defaultChanged = { from: x, to: y };
  return diff;
}
