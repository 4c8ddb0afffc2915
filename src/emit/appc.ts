import { FormatError } from '../errors.js';
import { APPC_REMOVE_SET, APPC_RETAIN_SET, rktWildcards } from '../profile/appc-wildcards.js';
import { canonicalAction, type SeccompProfile } from '../profile/model.js';
import { hostAbi } from '../syscalls/abi.js';
import { errnoName } from '../syscalls/errno.js';
import { stringifyJson } from '../util/json-exact.js';
import { type NameListOptions, nameLists, profileAbis, wholeGroups } from './name-lists.js';

const FORMAT = 'appc';

interface Isolator {
  name: typeof APPC_RETAIN_SET | typeof APPC_REMOVE_SET;
  value: { set: string[]; errno?: string };
}

/** An errno as appc writes it: a name only ("all-uppercase name of a single errno code"). */
function errnoLabel(errno: number): string {
  const name = errnoName(errno);
  if (!name) throw new FormatError(FORMAT, `errno ${errno} has no name, and appc takes names only`);
  return name;
}

/** The set, with rkt's wildcards where one stands for members of the set only. */
function withWildcards(names: ReadonlySet<string>, profile: SeccompProfile): string[] {
  const { groups, covered } = wholeGroups(rktWildcards(), names, profileAbis(profile, hostAbi()));
  return [...groups, ...[...names].filter((name) => !covered.has(name)).sort()];
}

function isolatorOf(profile: SeccompProfile, options: NameListOptions): Isolator {
  const lists = nameLists(profile, FORMAT, options);
  const action = canonicalAction(profile.defaultAction);
  if (action === 'SCMP_ACT_ALLOW') {
    // remove-set: one outcome for every refused call, the isolator's errno or SIGSYS.
    const outcomes = new Set([...lists.errno.values()].map(String));
    if (lists.killed.size > 0) outcomes.add('kill');
    if (outcomes.size > 1) {
      throw new FormatError(FORMAT, 'a remove-set refuses every call the same way (one errno, or SIGSYS)');
    }
    const refused = new Set([...lists.errno.keys(), ...lists.killed]);
    if (refused.size === 0)
      throw new FormatError(FORMAT, 'a remove-set cannot be empty, and this profile refuses nothing');
    const errno = [...lists.errno.values()][0];
    return {
      name: APPC_REMOVE_SET,
      value: {
        set: withWildcards(refused, profile),
        ...(errno === undefined ? {} : { errno: errnoLabel(errno) }),
      },
    };
  }
  const errno = action === 'SCMP_ACT_ERRNO' ? (profile.defaultErrnoRet ?? 1) : undefined;
  if (
    action !== 'SCMP_ACT_ERRNO' &&
    action !== 'SCMP_ACT_KILL_PROCESS' &&
    action !== 'SCMP_ACT_KILL_THREAD'
  ) {
    throw new FormatError(FORMAT, `a retain-set has no ${profile.defaultAction} default action`);
  }
  const own = [...lists.errno]
    .filter(([, value]) => value !== errno)
    .map(([name, value]) => `${name} (errno ${value})`);
  if (errno !== undefined) own.push(...[...lists.killed].map((name) => `${name} (SIGSYS)`));
  if (own.length > 0) {
    throw new FormatError(
      FORMAT,
      `a retain-set refuses every call the same way, but the profile refuses ${own.join(', ')} differently`,
    );
  }
  if (lists.allowed.size === 0)
    throw new FormatError(FORMAT, 'a retain-set cannot be empty, and this profile allows nothing');
  return {
    name: APPC_RETAIN_SET,
    value: {
      set: withWildcards(lists.allowed, profile),
      ...(errno === undefined ? {} : { errno: errnoLabel(errno) }),
    },
  };
}

/** What rkt does differently from the profile when it runs the isolator. */
export function appcWarnings(profile: SeccompProfile, options: NameListOptions): string[] {
  const isolator = isolatorOf(profile, options);
  const lists = nameLists(profile, FORMAT, options);
  return [
    ...(lists.namesOnly.length > 0
      ? [`--args none: ${lists.namesOnly.join(', ')} allowed by name for every argument`]
      : []),
    ...(profile.architectures?.length
      ? [
          `appc isolators have no architectures: rkt filters every ABI of the host by these names, not only ${profile.architectures.join(', ')}`,
        ]
      : []),
    ...(isolator.name === APPC_RETAIN_SET
      ? [
          'rkt runs a retain-set as systemd SystemCallFilter=, and systemd (252 and others) also allows its @default group',
        ]
      : []),
  ];
}

/**
 * The profile as one appc isolator, for an image manifest's `app.isolators` (or `acbuild isolator
 * add NAME -` with its `value`): a retain-set when the default action refuses, a remove-set when
 * it allows. Everything a set of names cannot say is refused (FormatError).
 */
export function emitAppc(profile: SeccompProfile, options: NameListOptions): string {
  return `${stringifyJson(isolatorOf(profile, options))}\n`;
}
