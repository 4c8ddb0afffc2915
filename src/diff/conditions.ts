import { type ArgAlternative, permits, sameOutcome } from '../profile/evaluate.js';
import type { Outcome, ScmpOperator, SeccompArg } from '../profile/model.js';
import type { Abi } from '../syscalls/abi.js';
import { ADDRESS_FAMILY_NAMES, PRCTL_OPTION_NAMES } from '../syscalls/arguments.js';
import { errnoName } from '../syscalls/errno.js';
import { stringifyJson } from '../util/json-exact.js';

/** What an argument is called and how to name its values, for the syscalls reference profiles filter on. */
interface ArgumentInfo {
  label: string;
  values?: ReadonlyMap<bigint, string>;
  /** Bit names, for masks. */
  flags?: ReadonlyMap<bigint, string>;
}

const ADDRESS_FAMILIES: ReadonlyMap<bigint, string> = new Map(
  ADDRESS_FAMILY_NAMES.map((name, value): [bigint, string] => [BigInt(value), name]),
);

const PRCTL_OPTIONS: ReadonlyMap<bigint, string> = new Map(
  [...PRCTL_OPTION_NAMES].map(([name, value]): [bigint, string] => [value, name]),
);

const PERSONAS: ReadonlyMap<bigint, string> = new Map([
  [0n, 'PER_LINUX'],
  [0x0008n, 'PER_LINUX32'],
  [0x20000n, 'UNAME26'],
  [0x20008n, 'PER_LINUX32|UNAME26'],
  [0xffffffffn, 'query'],
]);

const CLONE_FLAGS: ReadonlyMap<bigint, string> = new Map([
  [0x00000080n, 'CLONE_NEWTIME'],
  [0x00000100n, 'CLONE_VM'],
  [0x00000200n, 'CLONE_FS'],
  [0x00000400n, 'CLONE_FILES'],
  [0x00000800n, 'CLONE_SIGHAND'],
  [0x00001000n, 'CLONE_PIDFD'],
  [0x00002000n, 'CLONE_PTRACE'],
  [0x00004000n, 'CLONE_VFORK'],
  [0x00008000n, 'CLONE_PARENT'],
  [0x00010000n, 'CLONE_THREAD'],
  [0x00020000n, 'CLONE_NEWNS'],
  [0x00040000n, 'CLONE_SYSVSEM'],
  [0x00080000n, 'CLONE_SETTLS'],
  [0x00100000n, 'CLONE_PARENT_SETTID'],
  [0x00200000n, 'CLONE_CHILD_CLEARTID'],
  [0x00800000n, 'CLONE_UNTRACED'],
  [0x01000000n, 'CLONE_CHILD_SETTID'],
  [0x02000000n, 'CLONE_NEWCGROUP'],
  [0x04000000n, 'CLONE_NEWUTS'],
  [0x08000000n, 'CLONE_NEWIPC'],
  [0x10000000n, 'CLONE_NEWUSER'],
  [0x20000000n, 'CLONE_NEWPID'],
  [0x40000000n, 'CLONE_NEWNET'],
  [0x80000000n, 'CLONE_IO'],
]);

// CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET|NEWTIME
const NAMESPACE_FLAGS = 0x7e020080n;

const SOCKET: Readonly<Record<number, ArgumentInfo>> = {
  0: { label: 'domain', values: ADDRESS_FAMILIES },
  1: { label: 'type' },
  2: { label: 'protocol' },
};

const CLONE_FLAGS_ARG: ArgumentInfo = { label: 'flags', flags: CLONE_FLAGS };

function argumentInfo(syscall: string, index: number, abi: Abi): ArgumentInfo | undefined {
  switch (syscall) {
    case 'socket':
    case 'socketpair':
      return SOCKET[index];
    case 'personality':
      return index === 0 ? { label: 'persona', values: PERSONAS } : undefined;
    case 'clone': {
      // s390 passes the stack first and the flags second.
      const flagsIndex = abi === 's390' || abi === 's390x' ? 1 : 0;
      return index === flagsIndex ? CLONE_FLAGS_ARG : undefined;
    }
    case 'unshare':
      return index === 0 ? CLONE_FLAGS_ARG : undefined;
    case 'setns':
      return index === 1 ? { label: 'nstype', flags: CLONE_FLAGS } : undefined;
    case 'prctl':
      return index === 0 ? { label: 'option', values: PRCTL_OPTIONS } : undefined;
    default:
      return undefined;
  }
}

const hex = (value: bigint): string => `0x${value.toString(16)}`;

function argName(syscall: string, index: number, abi: Abi): string {
  const info = argumentInfo(syscall, index, abi);
  return info ? `arg${index} (${info.label})` : `arg${index}`;
}

function valueName(syscall: string, index: number, abi: Abi, value: bigint): string {
  const info = argumentInfo(syscall, index, abi);
  const name = info?.values?.get(value);
  const number = value > 0xffffn ? hex(value) : String(value);
  return name ? `${name}(${number})` : number;
}

function flagNames(info: ArgumentInfo, mask: bigint): string[] {
  const names: string[] = [];
  for (let bit = 1n; bit <= mask; bit <<= 1n) {
    if ((mask & bit) !== 0n) names.push(info.flags?.get(bit) ?? hex(bit));
  }
  return names;
}

const OPERATOR_TEXT: Readonly<Record<Exclude<ScmpOperator, 'SCMP_CMP_MASKED_EQ'>, string>> = {
  SCMP_CMP_NE: '!=',
  SCMP_CMP_LT: '<',
  SCMP_CMP_LE: '<=',
  SCMP_CMP_EQ: '==',
  SCMP_CMP_GE: '>=',
  SCMP_CMP_GT: '>',
};

function comparisonText(syscall: string, abi: Abi, arg: SeccompArg): string {
  const subject = argName(syscall, arg.index, abi);
  if (arg.op === 'SCMP_CMP_MASKED_EQ') {
    // OCI/runc: `value` is the mask, `valueTwo` what the masked argument must equal.
    const datum = arg.valueTwo ?? 0n;
    const info = argumentInfo(syscall, arg.index, abi);
    if (info?.flags && datum === 0n) {
      return `${subject} has none of ${flagNames(info, arg.value).join('|')} (mask ${hex(arg.value)})`;
    }
    return `${subject} & ${hex(arg.value)} == ${hex(datum)}`;
  }
  return `${subject} ${OPERATOR_TEXT[arg.op]} ${valueName(syscall, arg.index, abi, arg.value)}`;
}

// --- value sets over the uint64 range, for filters that all compare one argument ---

type Interval = readonly [bigint, bigint];
const MAX = 2n ** 64n - 1n;

function interval(op: ScmpOperator, v: bigint): Interval[] {
  switch (op) {
    case 'SCMP_CMP_EQ':
      return [[v, v]];
    case 'SCMP_CMP_NE':
      return [
        [0n, v - 1n],
        [v + 1n, MAX],
      ];
    case 'SCMP_CMP_LT':
      return [[0n, v - 1n]];
    case 'SCMP_CMP_LE':
      return [[0n, v]];
    case 'SCMP_CMP_GT':
      return [[v + 1n, MAX]];
    default:
      return [[v, MAX]];
  }
}

function union(intervals: Interval[]): Interval[] {
  const sorted = intervals
    .filter(([lo, hi]) => lo <= hi)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const merged: [bigint, bigint][] = [];
  for (const [lo, hi] of sorted) {
    const last = merged.at(-1);
    if (!last || lo > last[1] + 1n) merged.push([lo, hi]);
    else if (hi > last[1]) last[1] = hi;
  }
  return merged;
}

function complement(intervals: Interval[]): Interval[] {
  const gaps: Interval[] = [];
  let next = 0n;
  for (const [lo, hi] of intervals) {
    if (lo > next) gaps.push([next, lo - 1n]);
    next = hi + 1n;
  }
  if (next <= MAX) gaps.push([next, MAX]);
  return gaps;
}

const SMALL_SET = 8n;

function size(intervals: Interval[]): bigint {
  return intervals.reduce((sum, [lo, hi]) => sum + hi - lo + 1n, 0n);
}

function members(intervals: Interval[]): bigint[] {
  return intervals.flatMap(([lo, hi]) => {
    const values: bigint[] = [];
    for (let v = lo; v <= hi; v++) values.push(v);
    return values;
  });
}

function listText(items: string[], conjunction: 'or' | 'nor'): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${conjunction} ${items.at(-1)}`;
}

/** "is X", "is X, Y or Z", "is neither X nor Y", or ranges; undefined when the filters are not of that shape. */
function valueSetText(syscall: string, abi: Abi, alternatives: ArgAlternative[]): string | undefined {
  const args = alternatives.map((alternative) => alternative.args);
  const first = args[0]?.[0];
  if (
    !first ||
    !args.every((a) => a.length === 1 && a[0]?.index === first.index && a[0].op !== 'SCMP_CMP_MASKED_EQ')
  ) {
    return undefined;
  }
  const allowed = union(args.flatMap(([arg]) => (arg ? interval(arg.op, arg.value) : [])));
  const denied = complement(allowed);
  const name = (value: bigint) => valueName(syscall, first.index, abi, value);
  const subject = argName(syscall, first.index, abi);
  if (size(denied) <= SMALL_SET) {
    const names = members(denied).map(name);
    return names.length === 1
      ? `${subject} is not ${names[0]}`
      : `${subject} is neither ${listText(names, 'nor')}`;
  }
  if (size(allowed) <= SMALL_SET) return `${subject} is ${listText(members(allowed).map(name), 'or')}`;
  const ranges = allowed.map(([lo, hi]) => {
    if (lo === hi) return `== ${name(lo)}`;
    if (lo === 0n) return `<= ${name(hi)}`;
    if (hi === MAX) return `>= ${name(lo)}`;
    return `${name(lo)}..${name(hi)}`;
  });
  return `${subject} ${listText(ranges, 'or')}`;
}

export function outcomeText(outcome: Outcome): string {
  switch (outcome.action) {
    case 'SCMP_ACT_ALLOW':
      return 'allowed';
    case 'SCMP_ACT_LOG':
      return 'allowed and logged';
    case 'SCMP_ACT_ERRNO': {
      const value = outcome.errnoRet ?? 1;
      return `fails with ${errnoName(value) ?? 'errno'}(${value})`;
    }
    case 'SCMP_ACT_TRAP':
      return 'raises SIGSYS';
    case 'SCMP_ACT_TRACE':
      return 'is handed to a ptrace tracer';
    case 'SCMP_ACT_NOTIFY':
      return 'is handed to the seccomp supervisor';
    case 'SCMP_ACT_KILL_PROCESS':
      return 'kills the process';
    default:
      return 'kills the thread';
  }
}

function isNamespaceMask(arg: SeccompArg | undefined): arg is SeccompArg {
  if (arg?.op !== 'SCMP_CMP_MASKED_EQ' || (arg.valueTwo ?? 0n) !== 0n || arg.value <= 0n) return false;
  return (arg.value & ~NAMESPACE_FLAGS) === 0n;
}

const filterText = (syscall: string, abi: Abi, args: SeccompArg[]): string =>
  args.map((arg) => comparisonText(syscall, abi, arg)).join(' and ');

/**
 * A reader's account of which calls an argument-filtered syscall lets through, e.g.
 * "only when arg0 (domain) is neither AF_ALG(38) nor AF_VSOCK(40)".
 */
export function describeConditions(
  syscall: string,
  abi: Abi,
  alternatives: ArgAlternative[],
  otherwise: Outcome,
): string {
  const unique = alternatives.filter(
    (alternative, i) =>
      alternatives.findIndex(
        (other) =>
          sameOutcome(other.outcome, alternative.outcome) &&
          stringifyJson(other.args, 0) === stringifyJson(alternative.args, 0),
      ) === i,
  );
  if (unique.every((alternative) => permits(alternative.outcome)) && !permits(otherwise)) {
    const masks = unique.length === 1 ? unique[0]?.args : undefined;
    const mask = masks?.length === 1 ? masks[0] : undefined;
    if (isNamespaceMask(mask)) {
      return `only without namespace flags: ${comparisonText(syscall, abi, mask)}`;
    }
    const text =
      valueSetText(syscall, abi, unique) ?? unique.map((a) => filterText(syscall, abi, a.args)).join('; or ');
    return `only when ${text}`;
  }
  // Mixed outcomes: say what happens in profile order, grouping neighbours with the same outcome.
  const groups: { outcome: Outcome; filters: string[] }[] = [];
  for (const alternative of unique) {
    const last = groups.at(-1);
    const text = filterText(syscall, abi, alternative.args);
    if (last && sameOutcome(last.outcome, alternative.outcome)) last.filters.push(text);
    else groups.push({ outcome: alternative.outcome, filters: [text] });
  }
  const parts = groups.map(({ outcome, filters }) => `${outcomeText(outcome)} when ${filters.join('; or ')}`);
  return [...parts, `otherwise ${outcomeText(otherwise)}`].join('; ');
}
