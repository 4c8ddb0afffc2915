import { InputError } from '../errors.js';
import { ABIS, type Abi, abiFromScmpArch, abiInfo, hostAbi } from '../syscalls/abi.js';
import { errnoNumber } from '../syscalls/errno.js';
import { knownSyscallName, syscallExists } from '../syscalls/table.js';
import type { SeccompProfile, SeccompRule } from './model.js';
import {
  SYSTEMD_ARCH_NAMES,
  SYSTEMD_IMPLICIT_GROUP,
  systemdGroupMembers,
  systemdResolves,
} from './systemd-filter.js';

/** systemd's SECCOMP_ERROR_NUMBER_KILL: `kill` where an errno could be. */
const KILL = -1;

const ABI_OF_SYSTEMD_NAME = new Map<string, Abi>(
  Object.entries(SYSTEMD_ARCH_NAMES).map(([abi, name]) => [name, abi as Abi]),
);

/** The settings that make a unit's seccomp filter: a unit file or drop-in has at least one. */
const FILTER_KEYS = /^\s*(SystemCallFilter|SystemCallErrorNumber|SystemCallArchitectures|SystemCallLog)\s*=/m;

/** Whether `text` looks like a systemd unit or drop-in with a seccomp filter. */
export function looksLikeSystemd(text: string): boolean {
  return FILTER_KEYS.test(text);
}

interface Assignment {
  key: string;
  value: string;
  line: number;
}

/** The unit's assignments, continuation lines joined, comments dropped (systemd.syntax(7)). */
function assignments(text: string): Assignment[] {
  const found: Assignment[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let line = (lines[i] as string).trim();
    while (line.endsWith('\\') && i + 1 < lines.length)
      line = `${line.slice(0, -1)} ${(lines[++i] as string).trim()}`;
    if (line === '' || line.startsWith('#') || line.startsWith(';') || line.startsWith('[')) continue;
    const equals = line.indexOf('=');
    if (equals < 0) continue;
    found.push({ key: line.slice(0, equals).trim(), value: line.slice(equals + 1).trim(), line: start });
  }
  return found;
}

/**
 * The filter a unit's assignments build, with systemd's semantics (systemd.exec(5), src/shared/seccomp-util.c
 * seccomp_parse_syscall_filter): the first non-empty SystemCallFilter= decides allow list (no `~`, and
 * @default is added) or deny list (`~`); later ones add or take back; `~name:errno` in an allow list
 * refuses with that errno; an empty assignment resets.
 */
class Filter {
  allowList: boolean | undefined;
  /** name → errno (KILL for kill, undefined for the default action). */
  readonly entries = new Map<string, number | undefined>();

  constructor(
    private readonly file: string,
    private readonly abis: () => readonly Abi[],
    /** SystemCallFilter= adds @default to an allow list; SystemCallLog= does not. */
    private readonly implicit: boolean,
  ) {}

  reset(): void {
    this.allowList = undefined;
    this.entries.clear();
  }

  assign(value: string, line: number): void {
    if (value === '') {
      this.reset();
      return;
    }
    const invert = value.startsWith('~');
    const items = (invert ? value.slice(1) : value).split(/\s+/).filter(Boolean);
    if (this.allowList === undefined) {
      this.allowList = !invert;
      if (this.allowList && this.implicit) this.apply(SYSTEMD_IMPLICIT_GROUP, undefined, false, line);
    }
    for (const item of items) {
      const colon = item.indexOf(':');
      const name = colon < 0 ? item : item.slice(0, colon);
      const errno = colon < 0 ? undefined : this.errno(item.slice(colon + 1), line);
      if (errno !== undefined && !invert) {
        throw new InputError(this.file, line, `${item}: only refused calls ("~") take an errno`);
      }
      this.apply(name, errno, invert, line);
    }
  }

  private errno(text: string, line: number): number {
    if (text === 'kill') return KILL;
    const errno = errnoNumber(text);
    if (errno === undefined || errno > 4095) {
      throw new InputError(
        this.file,
        line,
        `unknown errno ${JSON.stringify(text)} (a name such as EPERM, a number up to 4095, or kill)`,
      );
    }
    return errno;
  }

  private apply(name: string, errno: number | undefined, invert: boolean, line: number): void {
    if (name.startsWith('@')) {
      const members = systemdGroupMembers(name);
      if (!members) throw new InputError(this.file, line, `systemd 252 has no syscall group ${name}`);
      for (const member of members) this.applyName(member, errno, invert);
      return;
    }
    if (!knownSyscallName(name))
      throw new InputError(this.file, line, `unknown system call ${JSON.stringify(name)}`);
    this.applyName(name, errno, invert);
  }

  private applyName(name: string, errno: number | undefined, invert: boolean): void {
    // Groups name calls of every ABI; those the unit's ABIs do not have are not in its filter, nor
    // those systemd cannot resolve (it ignores them).
    if (!systemdResolves(name) || !this.abis().some((abi) => syscallExists(abi, name))) return;
    if (invert !== this.allowList || (invert && errno !== undefined)) this.entries.set(name, errno);
    else this.entries.delete(name);
  }
}

function outcomeRule(names: string[], errno: number | undefined, fallback: number | undefined): SeccompRule {
  const value = errno ?? fallback;
  return value === undefined || value === KILL
    ? { names, action: 'SCMP_ACT_KILL_PROCESS' }
    : { names, action: 'SCMP_ACT_ERRNO', errnoRet: value };
}

/** Rules per outcome, names sorted, for the calls with an entry in the filter. */
function rulesOf(
  entries: ReadonlyMap<string, number | undefined>,
  fallback: number | undefined,
  allowed: boolean,
): SeccompRule[] {
  const byOutcome = new Map<string, { errno: number | undefined; names: string[] }>();
  for (const [name, errno] of [...entries].sort(([a], [b]) => a.localeCompare(b))) {
    const key = allowed && errno === undefined ? 'allow' : String(errno ?? fallback ?? KILL);
    const group = byOutcome.get(key) ?? { errno, names: [] };
    group.names.push(name);
    byOutcome.set(key, group);
  }
  return [...byOutcome].map(([key, { errno, names }]) =>
    key === 'allow' ? { names, action: 'SCMP_ACT_ALLOW' } : outcomeRule(names, errno, fallback),
  );
}

/**
 * Reads the seccomp settings of a systemd unit file or drop-in (SystemCallFilter=,
 * SystemCallErrorNumber=, SystemCallArchitectures=, SystemCallLog=) as the profile they make, with
 * systemd's @groups expanded as systemd 252 expands them. The implicit @default of allow lists is
 * part of the result, as systemd enforces it.
 */
export function readSystemdPolicy(text: string, file: string): SeccompProfile {
  // SCMP_ARCH_* names, and the ABIs they stand for (`native`: this machine's).
  let architectures: string[] = [];
  let errorNumber: number | undefined;
  const abis = (): Abi[] =>
    architectures.length > 0
      ? architectures.map((arch) =>
          arch === 'SCMP_ARCH_NATIVE' ? hostAbi() : (abiFromScmpArch(arch) as Abi),
        )
      : [...ABIS];
  const filter = new Filter(file, abis, true);
  const log = new Filter(file, abis, false);
  let seen = false;
  for (const { key, value, line } of assignments(text)) {
    switch (key) {
      case 'SystemCallFilter':
        filter.assign(value, line);
        break;
      case 'SystemCallLog':
        log.assign(value, line);
        break;
      case 'SystemCallErrorNumber':
        errorNumber = value === '' ? undefined : value === 'kill' ? KILL : errnoOf(value, file, line);
        break;
      case 'SystemCallArchitectures':
        architectures =
          value === ''
            ? []
            : [
                ...new Set([
                  ...architectures,
                  ...value.split(/\s+/).map((name) => scmpArchOf(name, file, line)),
                ]),
              ];
        break;
      default:
        continue;
    }
    seen = true;
  }
  if (!seen)
    throw new InputError(
      file,
      undefined,
      'no SystemCallFilter=, SystemCallErrorNumber=, SystemCallArchitectures= or SystemCallLog= setting',
    );
  if (log.allowList !== undefined && (log.allowList || filter.allowList)) {
    throw new InputError(
      file,
      undefined,
      'SystemCallLog= is read only as "~" (log all but) beside no allow list',
    );
  }
  const archFields = architectures.length > 0 ? { architectures } : {};
  const fallback = errorNumber === KILL ? undefined : errorNumber;
  if (filter.allowList) {
    return {
      ...(fallback === undefined
        ? { defaultAction: 'SCMP_ACT_KILL_PROCESS' }
        : { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: fallback }),
      ...archFields,
      syscalls: rulesOf(filter.entries, fallback, true),
    };
  }
  const logged = log.allowList === false;
  return {
    defaultAction: logged ? 'SCMP_ACT_LOG' : 'SCMP_ACT_ALLOW',
    ...archFields,
    syscalls: [
      ...(logged ? rulesOf(log.entries, undefined, true) : []),
      ...rulesOf(filter.entries, fallback, false),
    ],
  };
}

function errnoOf(text: string, file: string, line: number): number {
  const errno = errnoNumber(text);
  if (errno === undefined || errno > 4095) {
    throw new InputError(
      file,
      line,
      `SystemCallErrorNumber=${text}: not an errno name, a number up to 4095, or kill`,
    );
  }
  return errno;
}

function scmpArchOf(name: string, file: string, line: number): string {
  if (name === 'native') return 'SCMP_ARCH_NATIVE';
  const abi = ABI_OF_SYSTEMD_NAME.get(name);
  if (!abi)
    throw new InputError(
      file,
      line,
      `SystemCallArchitectures=: systemd has no architecture ${JSON.stringify(name)}`,
    );
  return abiInfo(abi).scmpArch;
}
