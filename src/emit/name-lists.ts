import { FormatError } from '../errors.js';
import type { ArgsChoice } from '../profile/argument-rules.js';
import { canonicalAction, type SeccompProfile } from '../profile/model.js';
import { type Abi, abiFromScmpArch } from '../syscalls/abi.js';
import { syscallExists } from '../syscalls/table.js';

/**
 * A profile as lists of names, for the formats that have nothing else (systemd's SystemCallFilter=,
 * appc isolators): what is allowed, and per refused call what it gets. Whatever a name list cannot
 * carry is refused with a FormatError, never dropped.
 */
export interface NameLists {
  allowed: ReadonlySet<string>;
  /** Calls refused with an errno of their own (clone3 → ENOSYS) rather than the default action. */
  errno: ReadonlyMap<string, number>;
  /** Calls refused by killing the process. */
  killed: ReadonlySet<string>;
  /** Calls allowed by name although the profile allows them only for some arguments (`--args none`). */
  namesOnly: readonly string[];
}

export interface NameListOptions {
  /** `none`: the user asked for names only, so argument rules allow their call for every argument. */
  args?: ArgsChoice;
}

export function nameLists(profile: SeccompProfile, format: string, options: NameListOptions): NameLists {
  const refuse = (problem: string): never => {
    throw new FormatError(format, problem);
  };
  if (profile.flags?.length) refuse(`it has no seccomp flags (${profile.flags.join(', ')})`);
  if (profile.listenerPath) refuse('it has no user-space notification (listenerPath)');
  if (profile.archMap?.length) refuse('it has no archMap (list the architectures instead)');
  const allowed = new Set<string>();
  const errno = new Map<string, number>();
  const killed = new Set<string>();
  const namesOnly = new Set<string>();
  const argumentRules = new Set<string>();
  for (const rule of profile.syscalls ?? []) {
    const names = rule.names.join(', ');
    if (rule.includes || rule.excludes) {
      refuse(`${names}: it has no conditions on capabilities, architectures or kernel (includes/excludes)`);
    }
    const action = canonicalAction(rule.action);
    if (rule.args?.length) {
      if (action !== 'SCMP_ACT_ALLOW') refuse(`${names}: it cannot refuse a call only for some arguments`);
      if (options.args !== 'none') {
        for (const name of rule.names) argumentRules.add(name);
        continue;
      }
      for (const name of rule.names) namesOnly.add(name);
    }
    for (const name of rule.names) {
      if (action === 'SCMP_ACT_ALLOW') allowed.add(name);
      else if (action === 'SCMP_ACT_ERRNO') errno.set(name, rule.errnoRet ?? 1);
      else if (action === 'SCMP_ACT_KILL_PROCESS' || action === 'SCMP_ACT_KILL_THREAD') killed.add(name);
      else refuse(`${name}: it has no ${rule.action} action`);
    }
  }
  if (argumentRules.size > 0) {
    refuse(
      `it cannot carry argument rules (${[...argumentRules].sort().join(', ')}); generate with --args none to allow these calls by name for every argument`,
    );
  }
  return { allowed, errno, killed, namesOnly: [...namesOnly].filter((name) => allowed.has(name)).sort() };
}

/**
 * The groups (systemd's @file-system, rkt's @docker/default-whitelist, …) that stand for wanted
 * calls only: a group is used when every member that exists on `abis` is wanted (members of other
 * ABIs add nothing there), largest first, each covering at least one call no earlier group did.
 */
export function wholeGroups(
  candidates: Iterable<readonly [string, ReadonlySet<string>]>,
  wanted: ReadonlySet<string>,
  abis: readonly Abi[],
): { groups: string[]; covered: Set<string> } {
  const exists = (name: string) => abis.some((abi) => syscallExists(abi, name));
  const usable = [...candidates]
    .map(([group, members]) => ({ group, members: [...members].filter(exists) }))
    .filter(({ members }) => members.length > 0 && members.every((name) => wanted.has(name)))
    .sort((a, b) => b.members.length - a.members.length || a.group.localeCompare(b.group));
  const groups: string[] = [];
  const covered = new Set<string>();
  for (const { group, members } of usable) {
    if (members.every((name) => covered.has(name))) continue;
    groups.push(group);
    for (const name of members) covered.add(name);
  }
  return { groups: groups.sort(), covered };
}

/** The ABIs a profile filters: its architectures, the host's own for SCMP_ARCH_NATIVE or none. */
export function profileAbis(profile: SeccompProfile, host: Abi): Abi[] {
  const listed = profile.architectures ?? [];
  if (listed.length === 0) return [host];
  return [
    ...new Set(listed.map((arch) => (arch === 'SCMP_ARCH_NATIVE' ? host : abiFromScmpArch(arch)))),
  ].filter((abi): abi is Abi => abi !== undefined);
}
