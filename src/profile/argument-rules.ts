import { type ArgumentSet, argumentSetOf, type Recording, unionArgumentSets } from '../recording/model.js';
import { ABIS, type Abi } from '../syscalls/abi.js';
import {
  type ArgumentKey,
  argumentValueName,
  CLONE_NAMESPACE_MASK,
  learnedArgumentsOf,
  MAX_ARGUMENT_VALUES,
  namespaceBits,
  registerIndex,
  UNSHARE_NAMESPACE_MASK,
} from '../syscalls/arguments.js';
import type { SeccompArg, SeccompRule } from './model.js';
import { RESTRICTED_FORMS } from './restricted-forms.js';

/** `--args`: learned argument rules (the default), or names only. */
export const ARGS_CHOICES = ['learned', 'none'] as const;
export type ArgsChoice = (typeof ARGS_CHOICES)[number];

/**
 * Per syscall, the values each learned argument took, over every ABI the recording saw it on;
 * undefined when some observation carried no argument data (strace -c, audit SECCOMP records).
 */
export type LearnedValues = ReadonlyMap<string, ReadonlyMap<ArgumentKey, ArgumentSet> | undefined>;

export function learnedValuesOf(recording: Recording): LearnedValues {
  const learned = new Map<string, Map<ArgumentKey, ArgumentSet> | undefined>();
  for (const abi of ABIS) {
    for (const [name, stats] of Object.entries(recording.abis[abi] ?? {})) {
      const keys = learnedArgumentsOf(name);
      if (!keys) continue;
      const current = learned.get(name);
      if (learned.has(name) && current === undefined) continue;
      if (!stats.args) {
        learned.set(name, undefined);
        continue;
      }
      const merged = current ?? new Map<ArgumentKey, ArgumentSet>();
      for (const { key } of keys) {
        const values = stats.args[key];
        const set: ArgumentSet = values ? argumentSetOf(values) : 'unreadable';
        const before = merged.get(key);
        merged.set(key, before === undefined ? set : unionArgumentSets(before, set));
      }
      learned.set(name, merged);
    }
  }
  return learned;
}

/** What the profile does with one syscall whose arguments are learned. */
export type ArgumentDecision =
  | { kind: 'rules'; rules: SeccompRule[]; message: string }
  | { kind: 'unconditional'; message: string }
  | { kind: 'enosys'; message: string };

const sorted = (values: Iterable<bigint>): bigint[] =>
  [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

function allowWhen(name: string, args: SeccompArg[][]): SeccompRule[] {
  return args.map((condition) => ({ names: [name], action: 'SCMP_ACT_ALLOW', args: condition }));
}

function why(set: ArgumentSet | undefined, label: string): string {
  if (set === undefined)
    return 'the recording has no argument data for it (strace -c summary or audit records)';
  if (set === 'too-many') return `its ${label} took more than ${MAX_ARGUMENT_VALUES} values`;
  return `a call's ${label} could not be read`;
}

const names = (syscall: string, key: ArgumentKey, values: Iterable<bigint>): string =>
  sorted(values)
    .map((value) => argumentValueName(syscall, key, value))
    .join(', ');

/** The namespace bits of every observed value, or undefined when the values are not known. */
function namespacesOf(syscall: string, set: ArgumentSet | undefined): bigint | undefined {
  if (set === undefined || typeof set === 'string') return undefined;
  let bits = 0n;
  for (const value of set) bits |= namespaceBits(syscall, value);
  return bits;
}

function flagNames(bits: bigint): string {
  return argumentValueName('unshare', '0', bits);
}

/**
 * The rules for a syscall whose arguments were learned: one rule per observed value (socket
 * families, personas, prctl options, setns types), or one SCMP_CMP_MASKED_EQ rule refusing the
 * namespace bits never observed (clone, unshare), as Docker's default does for clone. Where the
 * recording has no values, clone, socket and personality keep Docker's own form: never looser
 * than Docker's default. `abis`: the profile's ABIs, for clone's flags index (s390 puts it second).
 */
export function argumentDecision(
  syscall: string,
  learned: ReadonlyMap<ArgumentKey, ArgumentSet> | undefined,
  abis: readonly Abi[],
): ArgumentDecision | undefined {
  const [argument] = learnedArgumentsOf(syscall) ?? [];
  if (!argument) return undefined;
  const set = learned?.get(argument.key);
  const known = set !== undefined && typeof set !== 'string' ? set : undefined;
  const index = registerIndex(argument, abis[0] ?? 'x86_64');
  if (syscall === 'clone3') {
    const bits = namespacesOf(syscall, set);
    if (bits !== undefined && bits !== 0n) {
      return {
        kind: 'unconditional',
        message: `observed creating namespaces (${flagNames(bits)}): allowed for every call, since seccomp cannot read clone3's flags (they are in memory)`,
      };
    }
    const seen =
      bits === undefined ? `${why(set, argument.label)}, so it` : `observed without namespace flags, so it`;
    return {
      kind: 'enosys',
      message: `${seen} fails with ENOSYS (errnoRet 38) as in Docker's default: seccomp cannot read clone3's flags, and glibc falls back to clone, whose flags it can`,
    };
  }
  const docker = RESTRICTED_FORMS.get(syscall);
  if (!known || index === undefined) {
    const reason = why(set, argument.label);
    if (docker)
      return { kind: 'rules', rules: docker.rules, message: `${reason}: allowed only ${docker.admits}` };
    return { kind: 'unconditional', message: `${reason}: allowed for every ${argument.label}` };
  }
  if (argument.kind === 'flags') {
    const mask = syscall === 'clone' ? CLONE_NAMESPACE_MASK : UNSHARE_NAMESPACE_MASK;
    const seen = namespacesOf(syscall, known) ?? 0n;
    const refused = mask & ~seen;
    if (refused === 0n)
      return {
        kind: 'unconditional',
        message: `observed creating every kind of namespace: allowed for every flag`,
      };
    const created =
      seen === 0n
        ? 'never observed creating a namespace'
        : `observed creating namespaces with ${flagNames(seen)} only`;
    return {
      kind: 'rules',
      rules: allowWhen(syscall, [[{ index, value: refused, valueTwo: 0n, op: 'SCMP_CMP_MASKED_EQ' }]]),
      message: `${created}: allowed only without ${flagNames(refused)} (flags & ${`0x${refused.toString(16)}`} == 0)`,
    };
  }
  return {
    kind: 'rules',
    rules: allowWhen(
      syscall,
      sorted(known).map((value) => [{ index, value, op: 'SCMP_CMP_EQ' }]),
    ),
    message: `allowed only for the ${argument.label}${known.size > 1 ? 's' : ''} observed: ${names(syscall, argument.key, known)}`,
  };
}
