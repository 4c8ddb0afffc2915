import type { Abi } from '../syscalls/abi.js';
import { DANGEROUS_SYSCALLS } from '../syscalls/dangerous.js';
import { syscallExists } from '../syscalls/table.js';
import type { GenerationNote } from './generate.js';
import type { SeccompArg, SeccompProfile, SeccompRule } from './model.js';

/**
 * `--style`: an allowlist (what the workload needs, everything else refused), or rkt's other way,
 * the remove-set (seed "Seccomp Isolators Guide"): everything allowed but the dangerous calls the
 * workload never made. For workloads whose needs are too broad to enumerate; much weaker, as the
 * report says.
 */
export const STYLES = ['allowlist', 'remove-set'] as const;
export type Style = (typeof STYLES)[number];

const MAX_U64 = (1n << 64n) - 1n;

/** A gap in the allowed values this wide is refused value by value; a wider one cannot be. */
const MAX_REFUSED_POINTS = 64n;

type Interval = readonly [bigint, bigint];

/** What a refused call gets: the allowlist's own refusal of it. */
type Refusal = Pick<SeccompRule, 'action' | 'errnoRet'>;

/** The values one comparison admits, as closed intervals of uint64. */
function admitted({ op, value }: SeccompArg): Interval[] {
  switch (op) {
    case 'SCMP_CMP_EQ':
      return [[value, value]];
    case 'SCMP_CMP_LT':
      return value === 0n ? [] : [[0n, value - 1n]];
    case 'SCMP_CMP_LE':
      return [[0n, value]];
    case 'SCMP_CMP_GT':
      return value === MAX_U64 ? [] : [[value + 1n, MAX_U64]];
    case 'SCMP_CMP_GE':
      return [[value, MAX_U64]];
    case 'SCMP_CMP_NE':
      return [
        ...admitted({ op: 'SCMP_CMP_LT', value, index: 0 }),
        ...admitted({ op: 'SCMP_CMP_GT', value, index: 0 }),
      ];
    case 'SCMP_CMP_MASKED_EQ':
      return [];
  }
}

/** The values none of the intervals holds, in order. */
function complement(intervals: Interval[]): Interval[] {
  const sorted = [...intervals].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const gaps: Interval[] = [];
  let next = 0n;
  for (const [low, high] of sorted) {
    if (low > next) gaps.push([next, low - 1n]);
    if (high >= next) next = high + 1n;
  }
  if (next <= MAX_U64) gaps.push([next, MAX_U64]);
  return gaps;
}

/** A gap as comparisons runc loads (one comparison per rule: runc ORs comparisons of one argument). */
function gapComparisons(index: number, [low, high]: Interval): SeccompArg[] | undefined {
  if (low === high) return [{ index, value: low, op: 'SCMP_CMP_EQ' }];
  if (low === 0n) return [{ index, value: high, op: 'SCMP_CMP_LE' }];
  if (high === MAX_U64) return [{ index, value: low, op: 'SCMP_CMP_GE' }];
  if (high - low + 1n > MAX_REFUSED_POINTS) return undefined;
  const points: SeccompArg[] = [];
  for (let value = low; value <= high; value++) points.push({ index, value, op: 'SCMP_CMP_EQ' });
  return points;
}

/**
 * The refusals that admit exactly what `allows` (a name's ALLOW rules, each with arguments) admits,
 * or undefined when runc could not load them: a namespace mask becomes one refusal per namespace
 * bit, a set of values one refusal per gap between them.
 */
function inverse(name: string, allows: readonly SeccompRule[], refusal: Refusal): SeccompRule[] | undefined {
  const refuse = (args: SeccompArg[]): SeccompRule => ({ names: [name], ...refusal, args });
  const single = allows.map((rule) => (rule.args?.length === 1 ? rule.args[0] : undefined));
  if (single.some((arg) => arg === undefined)) return undefined;
  const args = single as SeccompArg[];
  const [first] = args;
  if (!first || args.some((arg) => arg.index !== first.index)) return undefined;
  if (first.op === 'SCMP_CMP_MASKED_EQ') {
    if (args.length > 1 || (first.valueTwo ?? 0n) !== 0n) return undefined;
    const rules: SeccompRule[] = [];
    for (let bit = 1n; bit <= first.value; bit <<= 1n) {
      if ((first.value & bit) !== 0n)
        rules.push(refuse([{ index: first.index, value: bit, valueTwo: bit, op: 'SCMP_CMP_MASKED_EQ' }]));
    }
    return rules;
  }
  if (args.some((arg) => arg.op === 'SCMP_CMP_MASKED_EQ')) return undefined;
  const rules: SeccompRule[] = [];
  for (const gap of complement(args.flatMap(admitted))) {
    const comparisons = gapComparisons(first.index, gap);
    if (!comparisons) return undefined;
    rules.push(...comparisons.map((comparison) => refuse([comparison])));
  }
  return rules;
}

/**
 * The remove-set form of an allowlist generated for `abis`: default allow, and refused, as the
 * allowlist refuses them, the dangerous calls it does not allow (src/syscalls/dangerous.ts, the
 * Kubernetes proposal's list) and those `deny` names. A call the allowlist admits for some
 * arguments only keeps that limit where a default-allow filter can say it (namespace flags, value
 * sets with narrow gaps), else it is allowed for every argument, with a note.
 */
export function removeSetOf(
  allowlist: SeccompProfile,
  abis: readonly Abi[],
  deny: readonly string[],
): { profile: SeccompProfile; notes: GenerationNote[] } {
  const rules = allowlist.syscalls ?? [];
  const defaultRefusal: Refusal = {
    action: allowlist.defaultAction,
    ...(allowlist.defaultErrnoRet === undefined ? {} : { errnoRet: allowlist.defaultErrnoRet }),
  };
  const unconditional = new Set<string>();
  const conditional = new Map<string, SeccompRule[]>();
  const refusals = new Map<string, Refusal>();
  for (const rule of rules) {
    for (const name of rule.names) {
      if (rule.action !== 'SCMP_ACT_ALLOW') {
        if (!rule.args?.length && !refusals.has(name))
          refusals.set(name, { action: rule.action, errnoRet: rule.errnoRet });
      } else if (rule.args?.length) conditional.set(name, [...(conditional.get(name) ?? []), rule]);
      else unconditional.add(name);
    }
  }
  const candidates = [...new Set([...DANGEROUS_SYSCALLS.keys(), ...deny, ...conditional.keys()])]
    .filter((name) => !unconditional.has(name) && abis.some((abi) => syscallExists(abi, name)))
    .sort();

  const notes: GenerationNote[] = [];
  const refused: SeccompRule[] = [];
  const limited: SeccompRule[] = [];
  for (const name of candidates) {
    const refusal = refusals.get(name) ?? defaultRefusal;
    const allows = conditional.get(name);
    if (!allows) {
      const same = refused.find(
        (rule) => rule.action === refusal.action && rule.errnoRet === refusal.errnoRet && !rule.args,
      );
      if (same) same.names.push(name);
      else refused.push({ names: [name], ...withoutUndefined(refusal) });
      continue;
    }
    const inverted = inverse(name, allows, withoutUndefined(refusal));
    if (inverted) {
      limited.push(...inverted);
      notes.push({
        kind: 'arguments',
        name,
        message: `remove-set: refused for the arguments the allowlist does not admit (${inverted.length} rule${inverted.length > 1 ? 's' : ''})`,
      });
    } else {
      notes.push({
        kind: 'arguments',
        name,
        message: `remove-set: allowed for every argument, since a default-allow filter runc loads cannot refuse everything but the values the allowlist admits`,
      });
    }
  }
  return {
    profile: {
      defaultAction: 'SCMP_ACT_ALLOW',
      ...(allowlist.architectures ? { architectures: allowlist.architectures } : {}),
      ...(allowlist.flags ? { flags: allowlist.flags } : {}),
      syscalls: [...refused, ...limited],
    },
    notes,
  };
}

function withoutUndefined(refusal: Refusal): Refusal {
  return {
    action: refusal.action,
    ...(refusal.errnoRet === undefined ? {} : { errnoRet: refusal.errnoRet }),
  };
}
