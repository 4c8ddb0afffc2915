import { FormatError } from '../errors.js';
import { sameOutcome } from '../profile/evaluate.js';
import {
  allowedText,
  ERRNO_ENOSYS,
  ERRNO_EPERM,
  type Outcome,
  ruleOutcome,
  type SeccompProfile,
  type SeccompRule,
} from '../profile/model.js';
import { abiFromScmpArch } from '../syscalls/abi.js';
import { CLONE_FLAG_NAMES } from '../syscalls/arguments.js';
import { errnoName } from '../syscalls/errno.js';

/**
 * The profile as firejail profile lines (man firejail-profile, firejail 0.9.72): an allowlist is a
 * `seccomp.keep` list, a default-allow profile (`--style remove-set`) a `seccomp.drop` list.
 * Firejail filters calls by name only; the one argument rule it has is `restrict-namespaces`, which
 * refuses clone, unshare and setns with the namespace flags it names and makes clone3 fail with
 * ENOSYS (seccomp cannot read clone3's flags): exactly the form seccomp-learn's namespace rules
 * take. Anything else it cannot carry is refused, never dropped.
 */

const SYSCALL_NAME = /^[a-z0-9_]+$/;

/** restrict-namespaces' names, by the CLONE_NEW* bit each refuses. */
const NAMESPACES: ReadonlyArray<readonly [string, bigint]> = [
  ['cgroup', 'CLONE_NEWCGROUP'],
  ['ipc', 'CLONE_NEWIPC'],
  ['mnt', 'CLONE_NEWNS'],
  ['net', 'CLONE_NEWNET'],
  ['pid', 'CLONE_NEWPID'],
  ['time', 'CLONE_NEWTIME'],
  ['user', 'CLONE_NEWUSER'],
  ['uts', 'CLONE_NEWUTS'],
].map(([name, flag]) => [name as string, CLONE_FLAG_NAMES.get(flag as string) ?? 0n] as const);
const NAMESPACE_BITS = NAMESPACES.reduce((all, [, bit]) => all | bit, 0n);

/** Where each namespace call takes its flags (clone's second on s390). */
const FLAGS_INDEX: Readonly<Record<string, (abi: string | undefined) => number>> = {
  clone: (abi) => (abi === 's390' || abi === 's390x' ? 1 : 0),
  unshare: () => 0,
};

function refuse(problem: string): never {
  throw new FormatError('firejail', `cannot carry ${problem}`);
}

const ENOSYS: Outcome = { action: 'SCMP_ACT_ERRNO', errnoRet: ERRNO_ENOSYS };

/** Firejail's words for a refusal: an errno name, `kill` or `log` (seccomp-error-action, name:ACTION). */
function firejailAction(outcome: Outcome, what: string): string {
  switch (outcome.action) {
    case 'SCMP_ACT_ERRNO':
      return errnoName(outcome.errnoRet ?? ERRNO_EPERM) ?? refuse(`${what}: errno ${outcome.errnoRet}`);
    case 'SCMP_ACT_KILL_PROCESS':
      return 'kill';
    case 'SCMP_ACT_LOG':
      return 'log';
    default:
      return refuse(`${what}: ${outcome.action}, which has no firejail equivalent (errno, kill or log)`);
  }
}

const namespaceNames = (bits: bigint): string[] =>
  NAMESPACES.filter(([, bit]) => (bits & bit) !== 0n).map(([name]) => name);

/**
 * A namespace rule's bits: in an allowlist, ALLOW when (flags & refused) == 0; in a remove-set,
 * one refusal per bit, when (flags & bit) == bit. Undefined when the rule is anything else.
 */
function namespaceBitsOf(rule: SeccompRule, abi: string | undefined, allowlist: boolean): bigint | undefined {
  const [arg, ...more] = rule.args ?? [];
  const [name, ...others] = rule.names;
  const index = name === undefined ? undefined : FLAGS_INDEX[name]?.(abi);
  if (!arg || more.length > 0 || others.length > 0 || index !== arg.index) return undefined;
  if (arg.op !== 'SCMP_CMP_MASKED_EQ' || (arg.value & ~NAMESPACE_BITS) !== 0n) return undefined;
  const two = arg.valueTwo ?? 0n;
  if (allowlist) return rule.action === 'SCMP_ACT_ALLOW' && two === 0n ? arg.value : undefined;
  return rule.action !== 'SCMP_ACT_ALLOW' && two === arg.value ? arg.value : undefined;
}

function argumentsText(rule: SeccompRule): string {
  return (rule.args ?? []).map((arg) => `arg${arg.index} ${arg.op} 0x${arg.value.toString(16)}`).join(' && ');
}

/** The text of a firejail profile (load it with `firejail --profile=FILE COMMAND`). */
export function emitFirejail(profile: SeccompProfile): string {
  if (profile.defaultAction === 'SCMP_ACT_LOG' && !profile.syscalls?.length) {
    refuse(
      'a complain-mode profile (every call allowed and logged): firejail logs only instead of refusing (seccomp-error-action log), and only the calls a seccomp.keep list leaves out; use --format docker or c to learn under SCMP_ACT_LOG',
    );
  }
  const architectures = profile.architectures ?? [];
  if (architectures.length > 1) {
    refuse(
      `${architectures.length} architectures (${architectures.join(', ')}): its filter keeps one list for the native ABI (seccomp.32.keep is for i386 only and cannot be loaded with the library firejail needs to load a seccomp.keep list), so generate from a recording of one ABI`,
    );
  }
  if (profile.archMap?.length) refuse('archMap: it filters the host ABI only');
  if (profile.flags?.length) refuse(`flags (${profile.flags.join(', ')})`);
  if (profile.listenerPath) refuse('listenerPath: firejail has no seccomp agent');
  const abi = architectures[0] === undefined ? undefined : abiFromScmpArch(architectures[0]);
  const defaultOutcome = ruleOutcome(profile.defaultAction, profile.defaultErrnoRet);
  const allowlist = defaultOutcome.action !== 'SCMP_ACT_ALLOW';

  // Each listed name: kept ('allow', in an allowlist) or refused with an outcome.
  const listed = new Map<string, Outcome | 'allow'>();
  const restricted = new Map<string, bigint>();
  const refusals: Outcome[] = [];
  const namespaceRefusals: Outcome[] = [];
  const list = (name: string, entry: Outcome | 'allow', where: string): void => {
    if (!SYSCALL_NAME.test(name)) refuse(`${where}: ${JSON.stringify(name)} is not a syscall name`);
    const before = listed.get(name);
    if (
      before !== undefined &&
      (before === 'allow' || entry === 'allow' ? before !== entry : !sameOutcome(before, entry))
    )
      refuse(`${where}: ${name} has two different rules`);
    listed.set(name, entry);
  };
  (profile.syscalls ?? []).forEach((rule, position) => {
    const where = `syscalls[${position}] (${rule.names.join(', ')})`;
    if (rule.includes || rule.excludes)
      refuse(`${where}: includes/excludes conditions, which only a container runtime resolves`);
    const outcome = ruleOutcome(rule.action, rule.errnoRet);
    if (rule.args?.length) {
      const bits = namespaceBitsOf(rule, abi, allowlist);
      if (bits === undefined) {
        refuse(
          `${where}: an argument rule (${argumentsText(rule)}); firejail filters by name only, except namespace flags (restrict-namespaces). Generate with --allow NAME to allow that call for every argument, --args none for names only, or use --format c`,
        );
      }
      for (const name of rule.names) {
        restricted.set(name, (restricted.get(name) ?? 0n) | bits);
        if (allowlist) list(name, 'allow', where);
      }
      if (!allowlist) {
        refusals.push(outcome);
        namespaceRefusals.push(outcome);
      }
      return;
    }
    if (outcome.action === 'SCMP_ACT_ALLOW') {
      for (const name of rule.names) if (allowlist) list(name, 'allow', where);
      return;
    }
    if (sameOutcome(outcome, defaultOutcome)) return;
    refusals.push(outcome);
    for (const name of rule.names) list(name, outcome, where);
  });

  // Firejail has one action for the refusals it makes itself (seccomp-error-action): the default
  // action in an allowlist, the action of most refusals in a remove-set; the others are spelled
  // beside their names (name:ERRNO, name:kill).
  const errorOutcome = allowlist
    ? defaultOutcome
    : (mostCommon(refusals) ?? { action: 'SCMP_ACT_ERRNO', errnoRet: ERRNO_EPERM });
  const errorAction = firejailAction(errorOutcome, 'the default action');
  const entries = [...listed.keys()].sort().map((name) => {
    const entry = listed.get(name) ?? 'allow';
    return entry === 'allow' || sameOutcome(entry, errorOutcome)
      ? name
      : `${name}:${firejailAction(entry, name)}`;
  });

  const namespaces = restrictNamespaces(restricted, listed, allowlist, namespaceRefusals, errorOutcome);
  const keyword = allowlist ? 'seccomp.keep' : 'seccomp.drop';
  if (allowlist && entries.length === 0)
    refuse('an allowlist that allows no syscall: seccomp.keep needs one');
  const lines = [
    `# firejail profile generated by seccomp-learn: ${allowedText(profile)}${abi ? ` (${abi})` : ''}.`,
    '# Load it: firejail --profile=THIS_FILE COMMAND   (or `include` it in an application profile)',
    '# seccomp.block-secondary: calls of any other ABI (32-bit, x32) are refused, as runc refuses an',
    '# architecture the profile does not list; it also refuses personality() changes of execution domain.',
    'seccomp.block-secondary',
    `seccomp-error-action ${errorAction}`,
    ...(namespaces.length > 0 ? [`restrict-namespaces ${namespaces.join(',')}`] : []),
    ...(entries.length > 0 ? [`${keyword} ${entries.join(',')}`] : []),
  ];
  return `${lines.join('\n')}\n`;
}

function mostCommon(outcomes: readonly Outcome[]): Outcome | undefined {
  let best: Outcome | undefined;
  let bestCount = 0;
  for (const outcome of outcomes) {
    const count = outcomes.filter((other) => sameOutcome(other, outcome)).length;
    if (count > bestCount) {
      best = outcome;
      bestCount = count;
    }
  }
  return best;
}

/**
 * restrict-namespaces refuses the same namespaces for clone, unshare and setns, with the error
 * action, and answers clone3 with ENOSYS: the profile's rules must say exactly that.
 */
function restrictNamespaces(
  restricted: ReadonlyMap<string, bigint>,
  listed: ReadonlyMap<string, Outcome | 'allow'>,
  allowlist: boolean,
  namespaceRefusals: readonly Outcome[],
  errorOutcome: Outcome,
): string[] {
  if (restricted.size === 0) return [];
  const union = namespaceNames([...restricted.values()].reduce((all, bits) => all | bits, 0n));
  for (const name of ['clone', 'unshare', 'setns']) {
    const bits = restricted.get(name);
    // clone's flags cannot carry CLONE_NEWTIME (that bit is part of its exit signal).
    const expected = union.filter((namespace) => name !== 'clone' || namespace !== 'time');
    const own = bits === undefined ? undefined : namespaceNames(bits);
    const reachable = allowlist ? listed.get(name) === 'allow' : !listed.has(name);
    if (own === undefined && !reachable) continue;
    if (own === undefined || own.join() !== expected.join()) {
      refuse(
        `${name}'s namespace rule: restrict-namespaces ${union.join(',')} would refuse the same namespaces for clone, unshare and setns, and the profile ${own === undefined ? `allows ${name} for every flag` : `refuses ${own.join(',') || 'none'} for it`}`,
      );
    }
  }
  if (namespaceRefusals.some((outcome) => !sameOutcome(outcome, errorOutcome)))
    refuse(
      'namespace refusals with another action than the others: restrict-namespaces uses seccomp-error-action',
    );
  const clone3 = listed.get('clone3');
  const enosys = clone3 !== undefined && clone3 !== 'allow' && sameOutcome(clone3, ENOSYS);
  // An allowlist that does not list clone3 refuses it with its default action, before
  // restrict-namespaces' own filter is asked; a remove-set must refuse it with ENOSYS itself.
  if (allowlist ? clone3 === 'allow' : !enosys) {
    refuse(
      'clone3 allowed beside namespace rules: restrict-namespaces makes clone3 fail with ENOSYS, since seccomp cannot read its flags',
    );
  }
  return union;
}
