import { readFileSync } from 'node:fs';
import type { Abi } from '../syscalls/abi.js';
import { referenceDataFile } from '../util/package-root.js';

/**
 * systemd's syscall groups (@default, @file-system, …) as `systemd-analyze syscall-filter` of
 * systemd 252 (Debian 12's 252.38-1~deb12u1) expands them, captured verbatim by
 * scripts/capture-systemd-syscall-filter.sh into data/reference/ (see data/reference/SOURCES.md).
 * Groups change between systemd versions: a unit written for this version may expand differently
 * on another, which is why the version is named in every unit seccomp-learn writes.
 */
export const SYSTEMD_VERSION = '252';
const DATA_FILE = `systemd-${SYSTEMD_VERSION}-syscall-filter.txt`;

/**
 * The group systemd adds to every allow list (`SystemCallFilter=` without `~`): the calls it deems
 * needed to run any program (execve, exit_group, brk, clock_gettime, …).
 */
export const SYSTEMD_IMPLICIT_GROUP = '@default';

/** Every known call: a group too large to mean anything in a written unit. */
export const SYSTEMD_KNOWN_GROUP = '@known';

let groups: ReadonlyMap<string, readonly string[]> | undefined;

/** Group name → its direct members (names and nested @groups), in the data file's order. */
export function parseSyscallFilterListing(text: string): Map<string, string[]> {
  const parsed = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('@')) {
      current = [];
      parsed.set(line.trim(), current);
    } else if (line.trim() === '') {
      current = undefined;
    } else if (current && !line.trim().startsWith('#')) {
      // Indented '#' lines describe the group; unindented ones, after the groups, list calls outside them.
      current.push(line.trim());
    }
  }
  return parsed;
}

function directMembers(): ReadonlyMap<string, readonly string[]> {
  groups ??= parseSyscallFilterListing(readFileSync(referenceDataFile(DATA_FILE), 'utf8'));
  return groups;
}

const expanded = new Map<string, ReadonlySet<string>>();

/** The calls a group stands for, nested groups expanded; undefined for a group systemd does not have. */
export function systemdGroupMembers(group: string): ReadonlySet<string> | undefined {
  const cached = expanded.get(group);
  if (cached) return cached;
  const members = directMembers().get(group);
  if (!members) return undefined;
  const names = new Set<string>();
  for (const member of members) {
    if (member.startsWith('@')) for (const name of systemdGroupMembers(member) ?? []) names.add(name);
    else names.add(member);
  }
  expanded.set(group, names);
  return names;
}

let unresolved: ReadonlySet<string> | undefined;

/**
 * Whether systemd can filter a call by this name: its libseccomp is older than its own tables, so
 * some names (uretprobe, mseal, …) are ignored wherever they appear (data/reference/systemd-252-unresolved.txt,
 * found by systemd-analyze verify).
 */
export function systemdResolves(name: string): boolean {
  unresolved ??= new Set(
    readFileSync(referenceDataFile(`systemd-${SYSTEMD_VERSION}-unresolved.txt`), 'utf8')
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#')),
  );
  return !unresolved.has(name);
}

/** Every group of the targeted systemd, in `systemd-analyze syscall-filter` order. */
export function systemdGroupNames(): string[] {
  return [...directMembers().keys()];
}

/**
 * systemd's names for the ABIs in SystemCallArchitectures= (src/shared/seccomp-util.c
 * seccomp_arch_to_string); `native` is the ABI systemd itself was built for. ABIs systemd has no
 * name for (m68k, sh) cannot be written.
 */
export const SYSTEMD_ARCH_NAMES: Readonly<Partial<Record<Abi, string>>> = {
  x86_64: 'x86-64',
  x86: 'x86',
  x32: 'x32',
  aarch64: 'arm64',
  arm: 'arm',
  loongarch64: 'loongarch64',
  mips: 'mips',
  mipsel: 'mips-le',
  mips64: 'mips64',
  mipsel64: 'mips64-le',
  mips64n32: 'mips64-n32',
  mipsel64n32: 'mips64-le-n32',
  parisc: 'parisc',
  parisc64: 'parisc64',
  ppc: 'ppc',
  ppc64: 'ppc64',
  ppc64le: 'ppc64-le',
  riscv64: 'riscv64',
  s390: 's390',
  s390x: 's390x',
};
