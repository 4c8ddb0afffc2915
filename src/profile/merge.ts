import { UserError } from '../errors.js';
import { ABIS, abiFromScmpArch, abiInfo } from '../syscalls/abi.js';
import { stringifyJson } from '../util/json-exact.js';
import {
  canonicalAction,
  type Outcome,
  type RuleCondition,
  type ScmpAction,
  type SeccompProfile,
  type SeccompRule,
} from './model.js';

/** From most to least restrictive: in a union the later one wins. */
const ACTION_ORDER: readonly ScmpAction[] = [
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_NOTIFY',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_LOG',
  'SCMP_ACT_ALLOW',
];

function rank(action: ScmpAction): number {
  return ACTION_ORDER.indexOf(canonicalAction(action));
}

export interface ProfileMerge {
  profile: SeccompProfile;
  /** Same syscall, same action, different errno: the lower errno is kept, and the clash is reported. */
  conflicts: string[];
}

function unconditional(rule: SeccompRule): boolean {
  return (rule.args ?? []).length === 0 && !hasCondition(rule.includes) && !hasCondition(rule.excludes);
}

function hasCondition(condition: RuleCondition | undefined): boolean {
  return condition !== undefined && Object.keys(condition).length > 0;
}

/** The less restrictive outcome; for equal actions with different errno values, the lower errno, reported. */
function looser(a: Outcome, b: Outcome, what: string, conflicts: string[]): Outcome {
  if (rank(a.action) !== rank(b.action)) return rank(a.action) > rank(b.action) ? a : b;
  // KILL and KILL_THREAD are one action: the current name is kept, whichever input came first.
  if (a.action !== b.action) return a.action === 'SCMP_ACT_KILL' ? b : a;
  if (a.errnoRet === b.errnoRet) return a;
  conflicts.push(
    `${what}: ${a.action} with errnoRet ${a.errnoRet ?? 'default'} and ${b.errnoRet ?? 'default'}`,
  );
  if (a.errnoRet === undefined) return a;
  if (b.errnoRet === undefined) return b;
  return a.errnoRet < b.errnoRet ? a : b;
}

const canonical = (rule: SeccompRule): string => stringifyJson(rule, 0);

/**
 * The union of allowlists: whatever any input lets through, the result lets through. For the same
 * syscall the less restrictive action wins (KILL_PROCESS < KILL_THREAD < TRAP < ERRNO < NOTIFY <
 * TRACE < LOG < ALLOW); rules with argument filters or conditions are kept as they are, unless an
 * unconditional ALLOW for the same syscall makes them moot. The result does not depend on input order.
 */
export function mergeProfiles(profiles: readonly SeccompProfile[]): ProfileMerge {
  const [first, ...rest] = profiles;
  if (!first) throw new UserError('nothing to merge');
  const conflicts: string[] = [];
  if (profiles.some((p) => p.archMap) && profiles.some((p) => p.architectures)) {
    throw new UserError(
      'cannot merge a profile with archMap and one with architectures: convert one of them first',
    );
  }

  let defaultOutcome: Outcome = { action: first.defaultAction, errnoRet: first.defaultErrnoRet };
  for (const profile of rest) {
    defaultOutcome = looser(
      defaultOutcome,
      { action: profile.defaultAction, errnoRet: profile.defaultErrnoRet },
      'defaultAction',
      conflicts,
    );
  }

  const byName = new Map<string, Outcome>();
  const conditional = new Map<string, SeccompRule>();
  for (const profile of profiles) {
    for (const rule of profile.syscalls ?? []) {
      if (!unconditional(rule)) {
        conditional.set(canonical(rule), rule);
        continue;
      }
      for (const name of rule.names) {
        const outcome: Outcome = {
          action: rule.action,
          ...(rule.errnoRet === undefined ? {} : { errnoRet: rule.errnoRet }),
        };
        const seen = byName.get(name);
        byName.set(name, seen ? looser(seen, outcome, name, conflicts) : outcome);
      }
    }
  }

  const groups = new Map<string, { outcome: Outcome; names: string[] }>();
  for (const [name, outcome] of byName) {
    const key = `${outcome.action}/${outcome.errnoRet ?? ''}`;
    const group = groups.get(key) ?? { outcome, names: [] };
    group.names.push(name);
    groups.set(key, group);
  }
  const rules: SeccompRule[] = [...groups.values()]
    .sort(
      (a, b) =>
        rank(b.outcome.action) - rank(a.outcome.action) ||
        a.outcome.action.localeCompare(b.outcome.action) ||
        (a.outcome.errnoRet ?? 0) - (b.outcome.errnoRet ?? 0),
    )
    .map(({ outcome, names }) => ({
      names: names.sort(),
      action: outcome.action,
      ...(outcome.errnoRet === undefined ? {} : { errnoRet: outcome.errnoRet }),
    }));
  const allowedOutright = new Set(
    rules.filter((rule) => rule.action === 'SCMP_ACT_ALLOW').flatMap((rule) => rule.names),
  );
  const keptConditional = [...conditional.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, rule]) => rule)
    .filter((rule) => !rule.names.every((name) => allowedOutright.has(name)));

  const profile: SeccompProfile = {
    defaultAction: defaultOutcome.action,
    ...(defaultOutcome.errnoRet === undefined ? {} : { defaultErrnoRet: defaultOutcome.errnoRet }),
  };
  const architectures = mergeArchitectures(profiles);
  if (architectures) profile.architectures = architectures;
  const archMap = mergeArchMaps(profiles);
  if (archMap) profile.archMap = archMap;
  const flags = [...new Set(profiles.flatMap((p) => p.flags ?? []))].sort();
  if (flags.length > 0) profile.flags = flags;
  profile.syscalls = [...rules, ...keptConditional];
  return { profile, conflicts: [...new Set(conflicts)].sort() };
}

function mergeArchitectures(profiles: readonly SeccompProfile[]): string[] | undefined {
  if (!profiles.some((p) => p.architectures)) return undefined;
  const all = new Set(profiles.flatMap((p) => p.architectures ?? []));
  const known = ABIS.map((abi) => abiInfo(abi).scmpArch).filter((arch) => all.has(arch));
  const unknown = [...all].filter((arch) => abiFromScmpArch(arch) === undefined).sort();
  return [...known, ...unknown];
}

function mergeArchMaps(profiles: readonly SeccompProfile[]): SeccompProfile['archMap'] {
  if (!profiles.some((p) => p.archMap)) return undefined;
  const merged = new Map<string, Set<string>>();
  for (const entry of profiles.flatMap((p) => p.archMap ?? [])) {
    const subs = merged.get(entry.architecture) ?? new Set<string>();
    for (const sub of entry.subArchitectures ?? []) subs.add(sub);
    merged.set(entry.architecture, subs);
  }
  return [...merged.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([architecture, subs]) => ({
      architecture,
      subArchitectures: subs.size > 0 ? [...subs].sort() : null,
    }));
}
