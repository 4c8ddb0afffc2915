import { InputError } from '../errors.js';
import { errnoNumber } from '../syscalls/errno.js';
import { knownSyscallName } from '../syscalls/table.js';
import { parseJson } from '../util/files.js';
import { type JsonPath, lineAt, locateJson } from '../util/json-locate.js';
import {
  APPC_ALL,
  APPC_EMPTY,
  APPC_REMOVE_SET,
  APPC_RETAIN_SET,
  appcWildcardMembers,
  RKT_DEFAULT_WHITELIST,
} from './appc-wildcards.js';
import type { SeccompProfile, SeccompRule } from './model.js';

const SECCOMP_ISOLATORS: readonly string[] = [APPC_RETAIN_SET, APPC_REMOVE_SET];

interface Found {
  name: string;
  value: unknown;
  path: JsonPath;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSeccompIsolator(value: unknown): value is { name: string; value: unknown } {
  return isObject(value) && typeof value.name === 'string' && SECCOMP_ISOLATORS.includes(value.name);
}

/**
 * The seccomp isolators of an appc document: one isolator, a list of them, an object with
 * `isolators`, an image manifest (`app.isolators`) or a pod manifest (`apps[].app.isolators`).
 */
function seccompIsolators(data: unknown): Found[] {
  const lists: { isolators: unknown; path: JsonPath }[] = [];
  if (isSeccompIsolator(data)) return [{ name: data.name, value: data.value, path: [] }];
  if (Array.isArray(data)) lists.push({ isolators: data, path: [] });
  else if (isObject(data)) {
    if ('isolators' in data) lists.push({ isolators: data.isolators, path: ['isolators'] });
    if (isObject(data.app)) lists.push({ isolators: data.app.isolators, path: ['app', 'isolators'] });
    if (Array.isArray(data.apps)) {
      data.apps.forEach((entry, i) => {
        if (isObject(entry) && isObject(entry.app)) {
          lists.push({ isolators: entry.app.isolators, path: ['apps', i, 'app', 'isolators'] });
        }
      });
    }
  }
  return lists.flatMap(({ isolators, path }) =>
    Array.isArray(isolators)
      ? isolators.flatMap((isolator, i) =>
          isSeccompIsolator(isolator)
            ? [{ name: isolator.name, value: isolator.value, path: [...path, i] }]
            : [],
        )
      : [],
  );
}

/** Whether parsed JSON holds an appc seccomp isolator (os/linux/seccomp-retain-set or -remove-set). */
export function looksLikeAppc(data: unknown): boolean {
  return seccompIsolators(data).length > 0;
}

/**
 * Reads an appc seccomp isolator (os/linux/seccomp-retain-set or os/linux/seccomp-remove-set, appc
 * spec/ace.md) as the profile it stands for: the set's calls allowed (retain) or refused (remove)
 * with the isolator's errno, or SIGSYS without one. rkt's wildcards are expanded as rkt's source
 * defines them; `@appc.io/all` in a retain-set allows every call, `@appc.io/empty` in a remove-set
 * means rkt's default whitelist. The implementation's own additions (rkt runs the set through
 * systemd, which adds its @default group to an allow list) are not part of the isolator.
 */
export function readAppcPolicy(text: string, file: string): SeccompProfile {
  const data = parseJson(text, file);
  const found = seccompIsolators(data);
  const lineOf = (path: JsonPath) => lineAt(text, locateJson(text).offsets.get(JSON.stringify(path)));
  const fail = (path: JsonPath, problem: string): never => {
    throw new InputError(file, lineOf(path), problem);
  };
  if (found.length === 0) {
    fail([], `no appc seccomp isolator (${APPC_RETAIN_SET} or ${APPC_REMOVE_SET})`);
  }
  if (found.length > 1) {
    // appc: a single seccomp isolator per app, retain and remove exclusive; a pod with several apps is ambiguous.
    fail(
      (found[1] as Found).path,
      `a second seccomp isolator: give one app's isolator (appc allows one per app)`,
    );
  }
  const { name, value, path } = found[0] as Found;
  if (!isObject(value)) return fail(path, `${name}: "value" must be an object with "set"`);
  const set = value.set;
  if (!Array.isArray(set) || set.length === 0)
    return fail([...path, 'value'], `${name}: "set" must be a non-empty list`);
  const errnoText = value.errno ?? '';
  if (typeof errnoText !== 'string' || (errnoText !== '' && !/^E[A-Z0-9]*$/.test(errnoText))) {
    return fail(
      [...path, 'value', 'errno'],
      `${name}: errno must be an upper-case errno name starting with E`,
    );
  }
  const errno = errnoText === '' ? undefined : errnoNumber(errnoText);
  if (errnoText !== '' && errno === undefined)
    fail([...path, 'value', 'errno'], `unknown errno ${errnoText}`);

  const retain = name === APPC_RETAIN_SET;
  const names = new Set<string>();
  let wildcard: string | undefined;
  for (const [i, entry] of set.entries()) {
    const at = [...path, 'value', 'set', i];
    if (typeof entry !== 'string' || entry === '') fail(at, `${name}: set entries are syscall names`);
    if (entry === APPC_ALL || entry === APPC_EMPTY) {
      if ((entry === APPC_ALL) !== retain) fail(at, `${entry} has no meaning in ${name}`);
      wildcard = entry;
      continue;
    }
    if (entry.startsWith('@')) {
      const members = appcWildcardMembers(entry);
      if (!members)
        return fail(at, `unknown wildcard ${entry} (appc's @appc.io/*, rkt's @docker/*, @rkt/*, @systemd/*)`);
      for (const member of members ?? []) names.add(member);
      continue;
    }
    if (!knownSyscallName(entry)) fail(at, `unknown system call ${JSON.stringify(entry)}`);
    names.add(entry);
  }
  const refused: Pick<SeccompRule, 'action' | 'errnoRet'> =
    errno === undefined ? { action: 'SCMP_ACT_KILL_PROCESS' } : { action: 'SCMP_ACT_ERRNO', errnoRet: errno };
  // The wildcards mask the rest of the set (appc spec): retain all is no filter, remove empty is rkt's default.
  if (wildcard === APPC_ALL) return { defaultAction: 'SCMP_ACT_ALLOW' };
  if (wildcard === APPC_EMPTY) {
    names.clear();
    for (const member of appcWildcardMembers(RKT_DEFAULT_WHITELIST) ?? []) names.add(member);
  }
  const sorted = [...names].sort();
  if (retain || wildcard === APPC_EMPTY) {
    return {
      defaultAction: refused.action,
      ...(refused.errnoRet === undefined ? {} : { defaultErrnoRet: refused.errnoRet }),
      syscalls: [{ names: sorted, action: 'SCMP_ACT_ALLOW' }],
    };
  }
  return { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: sorted, ...refused }] };
}
