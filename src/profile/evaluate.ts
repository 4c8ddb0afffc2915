import { UserError } from '../errors.js';
import { type Abi, abiFromScmpArch } from '../syscalls/abi.js';
import { errnoNumber } from '../syscalls/errno.js';
import { type KernelVersion, kernelAtLeast, parseMinKernel } from '../syscalls/kernel.js';
import { syscallExists, syscallNamesOf } from '../syscalls/table.js';
import { type Dialect, type RuntimeArch, runtimeArch } from './arch.js';
import {
  canonicalAction,
  ERRNO_EPERM,
  type Outcome,
  type RuleCondition,
  type ScmpAction,
  type SeccompArg,
  type SeccompProfile,
  type SeccompRule,
} from './model.js';

/**
 * What a runtime would load for one container: which host it runs on, which ABI's calls we look at,
 * the container's bounding capabilities and the host kernel.
 */
export interface EvaluationTarget {
  /** The ABI whose system calls are examined (x86 for 32-bit programs on an x86_64 host). */
  abi: Abi;
  /** The machine's native ABI: it picks the archMap entry and the name `arches` lists are matched with. */
  hostAbi?: Abi;
  /** Bounding capabilities, CAP_-prefixed as the profile spells them. */
  capabilities: ReadonlySet<string>;
  kernel: KernelVersion;
  /** Whose loader to imitate; by default guessed from the profile (see detectDialect). */
  dialect?: Dialect;
}

export interface ResolvedEvaluationTarget {
  abi: Abi;
  hostAbi: Abi;
  capabilities: ReadonlySet<string>;
  kernel: KernelVersion;
  dialect: Dialect;
}

/** The profile rule a decision came from (its index in `syscalls`), for explaining it. */
export interface RuleRef {
  index: number;
  comment?: string;
}

/** One argument filter: every comparison in `args` must hold (AND); alternatives are OR-ed. */
export interface ArgAlternative {
  outcome: Outcome;
  args: SeccompArg[];
  rule: RuleRef;
}

interface DecisionBase {
  name: string;
  /** Whether the examined ABI has this syscall at all; rules naming others are ignored by libseccomp. */
  existsOnAbi: boolean;
}

export type SyscallDecision =
  | (DecisionBase & { kind: 'unconditional'; outcome: Outcome; rule: RuleRef })
  | (DecisionBase & { kind: 'conditional'; alternatives: ArgAlternative[]; otherwise: Outcome })
  | (DecisionBase & { kind: 'default'; outcome: Outcome });

export type Verdict = 'allowed' | 'conditional' | 'denied';

export interface EvaluatedProfile {
  profile: SeccompProfile;
  target: ResolvedEvaluationTarget;
  arch: RuntimeArch;
  /** ABIs the installed filter covers: the host's native ABI plus the resolved `architectures`. */
  architectures: Abi[];
  /** False when target.abi is outside the filter: the kernel then kills every call (libseccomp's bad-arch action). */
  abiInFilter: boolean;
  defaultOutcome: Outcome;
  /** Every syscall some surviving rule names; the others get defaultOutcome. */
  decisions: ReadonlyMap<string, SyscallDecision>;
}

// libseccomp's default SCMP_FLTATR_ACT_BADARCH; runc does not change it.
const BAD_ARCH_OUTCOME: Outcome = { action: 'SCMP_ACT_KILL_THREAD' };

/**
 * Containers' profiles carry errno names (`errno`, `defaultErrno`) that Docker's loader does not know;
 * their presence is the only mark that tells the two formats apart.
 */
export function detectDialect(profile: SeccompProfile): Dialect {
  const named =
    profile.defaultErrno !== undefined || (profile.syscalls ?? []).some((rule) => rule.errno !== undefined);
  return named ? 'containers' : 'moby';
}

function resolveTarget(profile: SeccompProfile, target: EvaluationTarget): ResolvedEvaluationTarget {
  return {
    abi: target.abi,
    hostAbi: target.hostAbi ?? target.abi,
    capabilities: target.capabilities,
    kernel: target.kernel,
    dialect: target.dialect ?? detectDialect(profile),
  };
}

function carriesValue(action: ScmpAction): boolean {
  return action === 'SCMP_ACT_ERRNO' || action === 'SCMP_ACT_TRACE';
}

/** runc's getAction: ERRNO and TRACE carry errnoRet, EPERM when none is given. */
function outcomeOf(
  action: ScmpAction,
  errnoRet: number | undefined,
  errnoName: string | undefined,
  dialect: Dialect,
): Outcome {
  if (!carriesValue(action)) return { action };
  let value = errnoRet;
  if (dialect === 'containers' && errnoName !== undefined && errnoName !== '') {
    value = errnoNumber(errnoName);
    if (value === undefined) throw new UserError(`unknown errno ${errnoName}`);
  }
  return { action, errnoRet: value ?? ERRNO_EPERM };
}

export function sameOutcome(a: Outcome, b: Outcome): boolean {
  return canonicalAction(a.action) === canonicalAction(b.action) && a.errnoRet === b.errnoRet;
}

/** Whether the call goes through. LOG lets it run; TRACE and NOTIFY hand the decision to another process. */
export function permits(outcome: Outcome): boolean {
  return outcome.action === 'SCMP_ACT_ALLOW' || outcome.action === 'SCMP_ACT_LOG';
}

function minKernelOf(condition: RuleCondition, index: number): KernelVersion | undefined {
  if (condition.minKernel === undefined) return undefined;
  const parsed = parseMinKernel(condition.minKernel);
  if (typeof parsed === 'string') throw new UserError(`syscalls[${index}]: ${parsed}`);
  return parsed;
}

/** moby/profiles setupSeccomp (and containers/common's copy of it): excludes first, then includes. */
function ruleApplies(
  rule: SeccompRule,
  index: number,
  target: ResolvedEvaluationTarget,
  arch: string,
): boolean {
  const useKernel = target.dialect === 'moby';
  const { excludes, includes } = rule;
  if (excludes) {
    if (excludes.arches?.includes(arch)) return false;
    if (excludes.caps?.some((cap) => target.capabilities.has(cap))) return false;
    const min = useKernel ? minKernelOf(excludes, index) : undefined;
    if (min && kernelAtLeast(target.kernel, min)) return false;
  }
  if (includes) {
    if (includes.arches && includes.arches.length > 0 && !includes.arches.includes(arch)) return false;
    if (includes.caps && !includes.caps.every((cap) => target.capabilities.has(cap))) return false;
    const min = useKernel ? minKernelOf(includes, index) : undefined;
    if (min && !kernelAtLeast(target.kernel, min)) return false;
  }
  return true;
}

/**
 * runc's matchCall: comparisons on distinct arguments form one AND-ed filter; if two comparisons
 * share an argument index, each becomes its own rule, i.e. they are OR-ed.
 */
function argumentFilters(args: readonly SeccompArg[]): SeccompArg[][] {
  const indexes = args.map((arg) => arg.index);
  if (new Set(indexes).size === indexes.length) return [[...args]];
  return args.map((arg) => [arg]);
}

function filterArchitectures(
  profile: SeccompProfile,
  target: ResolvedEvaluationTarget,
  arch: RuntimeArch,
): Abi[] {
  const names = [...(profile.architectures ?? [])];
  const entry = profile.archMap?.find((candidate) => candidate.architecture === arch.archMapKey);
  if (arch.archMapKey && entry) names.push(entry.architecture, ...(entry.subArchitectures ?? []));
  const abis = names.map((name) => abiFromScmpArch(name)).filter((abi): abi is Abi => abi !== undefined);
  // seccomp_init always includes the native ABI.
  return [...new Set([target.hostAbi, ...abis])];
}

/**
 * Evaluates a Docker-format profile as the runtime loading it would for `target`, then folds the
 * surviving rules per syscall the way runc hands them to libseccomp:
 * - a rule whose outcome equals the default action is skipped (runc: redundant, libseccomp rejects it);
 * - the first surviving rule without arguments decides the syscall for every call; it wipes argument
 *   filters added before it and later rules for the same syscall are dropped (libseccomp db_rule_add);
 * - otherwise the argument filters are alternatives, tried in profile order, and a call matching none
 *   gets the default action. libseccomp builds a decision tree rather than trying rules in order,
 *   which only differs when filters with different actions overlap (Podman's socket rules do not).
 */
export function evaluateProfile(profile: SeccompProfile, target: EvaluationTarget): EvaluatedProfile {
  const resolved = resolveTarget(profile, target);
  const arch = runtimeArch(resolved.dialect, resolved.hostAbi);
  const architectures = filterArchitectures(profile, resolved, arch);
  const abiInFilter = architectures.includes(resolved.abi);
  const configuredDefault = outcomeOf(
    profile.defaultAction,
    profile.defaultErrnoRet,
    profile.defaultErrno,
    resolved.dialect,
  );
  const decisions = new Map<string, SyscallDecision>();
  const evaluated = {
    profile,
    target: resolved,
    arch,
    architectures,
    abiInFilter,
    defaultOutcome: abiInFilter ? configuredDefault : BAD_ARCH_OUTCOME,
    decisions,
  };
  if (!abiInFilter) return evaluated;

  (profile.syscalls ?? []).forEach((rule, index) => {
    if (!ruleApplies(rule, index, resolved, arch.name)) return;
    const outcome = outcomeOf(rule.action, rule.errnoRet, rule.errno, resolved.dialect);
    if (sameOutcome(outcome, configuredDefault)) return;
    const ref: RuleRef = rule.comment ? { index, comment: rule.comment } : { index };
    const args = rule.args ?? [];
    for (const name of rule.names) {
      const existing = decisions.get(name);
      if (existing?.kind === 'unconditional') continue;
      const base = { name, existsOnAbi: syscallExists(resolved.abi, name) };
      if (args.length === 0) {
        decisions.set(name, { ...base, kind: 'unconditional', outcome, rule: ref });
        continue;
      }
      const alternatives = argumentFilters(args).map((filter) => ({ outcome, args: filter, rule: ref }));
      if (existing?.kind === 'conditional') existing.alternatives.push(...alternatives);
      else decisions.set(name, { ...base, kind: 'conditional', alternatives, otherwise: configuredDefault });
    }
  });
  return evaluated;
}

/** The decision for any syscall name, including those no rule mentions. */
export function decisionFor(evaluated: EvaluatedProfile, name: string): SyscallDecision {
  return (
    evaluated.decisions.get(name) ?? {
      name,
      existsOnAbi: syscallExists(evaluated.target.abi, name),
      kind: 'default',
      outcome: evaluated.defaultOutcome,
    }
  );
}

export function verdictOf(decision: SyscallDecision): Verdict {
  if (decision.kind !== 'conditional') return permits(decision.outcome) ? 'allowed' : 'denied';
  const outcomes = [...decision.alternatives.map((alternative) => alternative.outcome), decision.otherwise];
  const permitted = outcomes.filter(permits).length;
  if (permitted === 0) return 'denied';
  return permitted === outcomes.length ? 'allowed' : 'conditional';
}

/**
 * Names the profile lets through on the examined ABI, with their verdict. A default action that
 * permits (a denylist profile) makes every syscall of the ABI a candidate, so those are listed too.
 */
export function permittedSyscalls(evaluated: EvaluatedProfile): Map<string, Verdict> {
  const result = new Map<string, Verdict>();
  const names = new Set(evaluated.decisions.keys());
  if (permits(evaluated.defaultOutcome))
    for (const name of syscallNamesOf(evaluated.target.abi)) names.add(name);
  for (const name of names) {
    const decision = decisionFor(evaluated, name);
    if (!decision.existsOnAbi) continue;
    const verdict = verdictOf(decision);
    if (verdict !== 'denied') result.set(name, verdict);
  }
  return result;
}

/** Whether one comparison holds for a call's argument registers (uint64, as the kernel hands them to seccomp). */
export function argumentMatches(arg: SeccompArg, registers: readonly bigint[]): boolean {
  const value = registers[arg.index] ?? 0n;
  switch (arg.op) {
    case 'SCMP_CMP_EQ':
      return value === arg.value;
    case 'SCMP_CMP_NE':
      return value !== arg.value;
    case 'SCMP_CMP_LT':
      return value < arg.value;
    case 'SCMP_CMP_LE':
      return value <= arg.value;
    case 'SCMP_CMP_GT':
      return value > arg.value;
    case 'SCMP_CMP_GE':
      return value >= arg.value;
    default:
      return (value & arg.value) === (arg.valueTwo ?? 0n);
  }
}

/**
 * What the filter does with one call of `name` whose argument registers are `registers`: the first
 * argument filter every comparison of which holds decides, else what a call matching none gets.
 */
export function outcomeOfCall(
  evaluated: EvaluatedProfile,
  name: string,
  registers: readonly bigint[],
): Outcome {
  const decision = decisionFor(evaluated, name);
  if (!decision.existsOnAbi) return evaluated.defaultOutcome;
  if (decision.kind !== 'conditional') return decision.outcome;
  const match = decision.alternatives.find((alternative) =>
    alternative.args.every((arg) => argumentMatches(arg, registers)),
  );
  return match ? match.outcome : decision.otherwise;
}
