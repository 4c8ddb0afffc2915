import { FormatError } from '../errors.js';
import type { SeccompProfile } from '../profile/model.js';
import {
  SYSTEMD_ARCH_NAMES,
  SYSTEMD_IMPLICIT_GROUP,
  SYSTEMD_KNOWN_GROUP,
  SYSTEMD_VERSION,
  systemdGroupMembers,
  systemdGroupNames,
  systemdResolves,
} from '../profile/systemd-filter.js';
import { type Abi, abiFromScmpArch, hostAbi } from '../syscalls/abi.js';
import { errnoName } from '../syscalls/errno.js';
import { syscallExists } from '../syscalls/table.js';
import { type NameListOptions, type NameLists, nameLists, wholeGroups } from './name-lists.js';

const FORMAT = 'systemd';

/** Long lists are split over several assignments, which systemd merges (as rkt wrote them). */
const LINE_WIDTH = 100;

/** The ABIs the unit filters, and how SystemCallArchitectures= names them. */
function architectures(profile: SeccompProfile): { abis: Abi[]; names: string[] } {
  const listed = profile.architectures ?? [];
  if (listed.length === 0) return { abis: [hostAbi()], names: ['native'] };
  const abis: Abi[] = [];
  const names: string[] = [];
  for (const arch of listed) {
    if (arch === 'SCMP_ARCH_NATIVE') {
      abis.push(hostAbi());
      names.push('native');
      continue;
    }
    const abi = abiFromScmpArch(arch);
    const name = abi && SYSTEMD_ARCH_NAMES[abi];
    if (!abi || !name) throw new FormatError(FORMAT, `systemd has no name for ${arch}`);
    abis.push(abi);
    names.push(name);
  }
  return { abis, names };
}

function errnoText(errno: number): string {
  return errnoName(errno) ?? String(errno);
}

/** Assignments of `key`, each holding as many of `items` as fit in a readable line. */
function assignments(key: string, prefix: string, items: readonly string[]): string[] {
  const lines: string[] = [];
  let line = '';
  for (const item of items) {
    if (line && line.length + item.length + 1 > LINE_WIDTH) {
      lines.push(`${key}=${prefix}${line}`);
      line = '';
    }
    line = line ? `${line} ${item}` : item;
  }
  if (line) lines.push(`${key}=${prefix}${line}`);
  return lines;
}

/** `name:ERRNO` per refused call, grouped by errno; killed calls bare (`kill` where an errno is the default). */
function refusedItems(lists: NameLists, killSuffix: boolean): string[] {
  return [
    ...[...lists.errno]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, errno]) => `${name}:${errnoText(errno)}`),
    ...[...lists.killed].sort().map((name) => (killSuffix ? `${name}:kill` : name)),
  ];
}

/**
 * Allow-list mode (the default action refuses): the allowed calls, by whole group where one fits,
 * then `~` assignments that take back what systemd's implicit @default adds beyond the profile, and
 * give calls with their own errno (`~clone3:ENOSYS`) that errno (systemd ≥ 250 keeps an allow-list
 * entry with an errno as a refusal with that errno).
 */
function allowList(profile: SeccompProfile, lists: NameLists, abis: readonly Abi[]): string[] {
  const implicit = systemdGroupMembers(SYSTEMD_IMPLICIT_GROUP) ?? new Set<string>();
  const candidates = systemdGroupNames()
    .filter((group) => group !== SYSTEMD_KNOWN_GROUP && group !== SYSTEMD_IMPLICIT_GROUP)
    .map((group): [string, ReadonlySet<string>] => [group, systemdGroupMembers(group) ?? new Set()]);
  const { groups, covered } = wholeGroups(candidates, lists.allowed, abis);
  const names = [...lists.allowed].filter((name) => !covered.has(name) && !implicit.has(name)).sort();
  const takenBack = [...implicit]
    .filter((name) => !lists.allowed.has(name) && !lists.errno.has(name) && !lists.killed.has(name))
    .filter((name) => systemdResolves(name) && abis.some((abi) => syscallExists(abi, name)))
    .sort();
  const errno = profile.defaultAction === 'SCMP_ACT_ERRNO' ? (profile.defaultErrnoRet ?? 1) : undefined;
  return [
    ...(errno === undefined ? [] : [`SystemCallErrorNumber=${errnoText(errno)}`]),
    // An allow list must start with an allowed call, or the first `~` would make it a deny list.
    ...assignments(
      'SystemCallFilter',
      '',
      [...groups, ...names].length > 0 ? [...groups, ...names] : [SYSTEMD_IMPLICIT_GROUP],
    ),
    ...assignments('SystemCallFilter', '~', takenBack),
    ...assignments('SystemCallFilter', '~', refusedItems(lists, errno !== undefined)),
  ];
}

/** What systemd cannot hold of a profile: a refusal; and what the user must know of what it wrote. */
function check(
  profile: SeccompProfile,
  options: NameListOptions,
): { lists: NameLists; abis: Abi[]; names: string[] } {
  const action = profile.defaultAction;
  if (
    ![
      'SCMP_ACT_ERRNO',
      'SCMP_ACT_KILL',
      'SCMP_ACT_KILL_PROCESS',
      'SCMP_ACT_KILL_THREAD',
      'SCMP_ACT_ALLOW',
      'SCMP_ACT_LOG',
    ].includes(action)
  ) {
    throw new FormatError(FORMAT, `SystemCallErrorNumber= has no ${action} default action`);
  }
  const lists = nameLists(profile, FORMAT, options);
  if (action === 'SCMP_ACT_LOG' && lists.allowed.size === 0) {
    throw new FormatError(
      FORMAT,
      'SystemCallLog= cannot log every call (an empty "~" list logs none): log with the docker format and a container, or list the calls to keep silent',
    );
  }
  return { lists, ...architectures(profile) };
}

/** What the unit does differently from the profile, in words the user can act on. */
export function systemdWarnings(profile: SeccompProfile, options: NameListOptions): string[] {
  const { lists } = check(profile, options);
  const warnings: string[] = [];
  if (lists.namesOnly.length > 0) {
    warnings.push(`--args none: ${lists.namesOnly.join(', ')} allowed by name for every argument`);
  }
  if (profile.defaultAction === 'SCMP_ACT_KILL_THREAD' || profile.defaultAction === 'SCMP_ACT_KILL') {
    warnings.push('systemd kills the whole process (SIGSYS), not only the thread, on a refused call');
  }
  const known = systemdGroupMembers(SYSTEMD_KNOWN_GROUP) ?? new Set<string>();
  const unknown = [...lists.allowed].filter((name) => !known.has(name)).sort();
  if (unknown.length > 0) {
    warnings.push(
      `systemd ${SYSTEMD_VERSION} does not know ${unknown.join(', ')}: it ignores them, so they are refused`,
    );
  }
  return warnings;
}

/**
 * The profile as a systemd drop-in (`[Service]` section): SystemCallFilter= (allow list, or `~` deny
 * list when the default action allows), SystemCallErrorNumber=, SystemCallArchitectures=, and
 * SystemCallLog= for a profile that logs. Argument rules are refused (FormatError) unless
 * `args: 'none'` asks for names only.
 */
export function emitSystemd(profile: SeccompProfile, options: NameListOptions & { name: string }): string {
  const { lists, abis, names } = check(profile, options);
  const header = [
    `# seccomp-learn profile "${options.name}" as a systemd ${SYSTEMD_VERSION} drop-in, e.g.`,
    `#   /etc/systemd/system/UNIT.service.d/seccomp.conf, then: systemctl daemon-reload`,
    '# Groups (@name) are those of systemd 252 (systemd-analyze syscall-filter); systemd adds its',
    '# @default group to every allow list, so a "~" line takes back the calls of it the profile refuses.',
    '[Service]',
    `SystemCallArchitectures=${names.join(' ')}`,
  ];
  let body: string[];
  switch (profile.defaultAction) {
    case 'SCMP_ACT_ALLOW':
      body = assignments('SystemCallFilter', '~', refusedItems(lists, false));
      break;
    case 'SCMP_ACT_LOG':
      body = [
        ...assignments('SystemCallLog', '~', [...lists.allowed].sort()),
        ...assignments('SystemCallFilter', '~', refusedItems(lists, false)),
      ];
      break;
    default:
      body = allowList(profile, lists, abis);
  }
  return `${[...header, ...body].join('\n')}\n`;
}
