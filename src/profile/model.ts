import { stringifyJson } from '../util/json-exact.js';

/**
 * The seccomp profile as Docker, Podman, runc (config.json `linux.seccomp`) and the kubelet load
 * it: the OCI runtime-spec fields plus Docker's and Podman's extensions (docs/upstream-facts.md §1, §2, §4).
 */

export const SCMP_ACTIONS = [
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_LOG',
  'SCMP_ACT_NOTIFY',
] as const;
export type ScmpAction = (typeof SCMP_ACTIONS)[number];

/** What a filter does with a call: the action, and for ERRNO/TRACE the value it carries. */
export interface Outcome {
  action: ScmpAction;
  errnoRet?: number;
}

/**
 * SCMP_ACT_KILL is the old name of SCMP_ACT_KILL_THREAD: libseccomp and runc load both as one action,
 * so comparing, ranking and merging actions go through this.
 */
export function canonicalAction(action: ScmpAction): ScmpAction {
  return action === 'SCMP_ACT_KILL' ? 'SCMP_ACT_KILL_THREAD' : action;
}

/** runc's getAction: ERRNO and TRACE carry errnoRet, EPERM when none is given; the action canonical. */
export function ruleOutcome(action: ScmpAction, errnoRet: number | undefined): Outcome {
  return action === 'SCMP_ACT_ERRNO' || action === 'SCMP_ACT_TRACE'
    ? { action, errnoRet: errnoRet ?? ERRNO_EPERM }
    : { action: canonicalAction(action) };
}

export const SCMP_OPERATORS = [
  'SCMP_CMP_NE',
  'SCMP_CMP_LT',
  'SCMP_CMP_LE',
  'SCMP_CMP_EQ',
  'SCMP_CMP_GE',
  'SCMP_CMP_GT',
  'SCMP_CMP_MASKED_EQ',
] as const;
export type ScmpOperator = (typeof SCMP_OPERATORS)[number];

/** Argument values are uint64: carried as bigint so that values above 2^53 stay exact. */
export interface SeccompArg {
  index: number;
  value: bigint;
  valueTwo?: bigint;
  op: ScmpOperator;
}

/** Docker's `includes` / `excludes`: a rule applies only under these conditions. */
export interface RuleCondition {
  caps?: string[];
  arches?: string[];
  minKernel?: string;
}

export interface SeccompRule {
  names: string[];
  action: ScmpAction;
  errnoRet?: number;
  /** Podman's errno name beside errnoRet. */
  errno?: string;
  args?: SeccompArg[] | null;
  comment?: string;
  includes?: RuleCondition;
  excludes?: RuleCondition;
}

export interface ArchMapEntry {
  architecture: string;
  subArchitectures: string[] | null;
}

export interface SeccompProfile {
  defaultAction: ScmpAction;
  defaultErrnoRet?: number;
  /** Podman's errno name beside defaultErrnoRet. */
  defaultErrno?: string;
  architectures?: string[];
  archMap?: ArchMapEntry[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: SeccompRule[];
}

export const ERRNO_EPERM = 1;
export const ERRNO_ENOSYS = 38;

/**
 * The profile as Docker, Podman and the kubelet read it, exact for 64-bit argument values: the one
 * text of the native format (generate's docker format, merged profiles, the report's copy).
 */
export function profileJson(profile: SeccompProfile): string {
  return `${stringifyJson(profile)}\n`;
}

/** How many names a profile's ALLOW rules admit, and how many of those only for some arguments. */
export function allowedCounts(profile: SeccompProfile): { allowed: number; filtered: number } {
  const unconditional = new Set<string>();
  const filtered = new Set<string>();
  for (const rule of profile.syscalls ?? []) {
    if (rule.action !== 'SCMP_ACT_ALLOW') continue;
    for (const name of rule.names) (rule.args?.length ? filtered : unconditional).add(name);
  }
  for (const name of unconditional) filtered.delete(name);
  return { allowed: unconditional.size + filtered.size, filtered: filtered.size };
}

/**
 * "195 syscalls allowed (3 for some arguments only)"; for a default-allow profile (`--style
 * remove-set`) what it refuses: "every syscall allowed but 59 (2 refused for some arguments only)".
 */
export function allowedText(profile: SeccompProfile): string {
  if (profile.defaultAction === 'SCMP_ACT_ALLOW') {
    const always = new Set<string>();
    const some = new Set<string>();
    for (const rule of profile.syscalls ?? []) {
      if (rule.action === 'SCMP_ACT_ALLOW') continue;
      for (const name of rule.names) (rule.args?.length ? some : always).add(name);
    }
    for (const name of always) some.delete(name);
    const refused = always.size + some.size;
    return `every syscall allowed but ${refused}${some.size > 0 ? ` (${some.size} refused for some arguments only)` : ''}`;
  }
  const { allowed, filtered } = allowedCounts(profile);
  return `${allowed} syscalls allowed${filtered > 0 ? ` (${filtered} for some arguments only)` : ''}`;
}
