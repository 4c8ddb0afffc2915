import { readFileSync } from 'node:fs';
import { referenceDataFile } from '../util/package-root.js';
import { SYSTEMD_IMPLICIT_GROUP, systemdGroupMembers } from './systemd-filter.js';

/** The appc isolators that carry a seccomp filter (appc spec, spec/ace.md "Linux Isolators"). */
export const APPC_RETAIN_SET = 'os/linux/seccomp-retain-set';
export const APPC_REMOVE_SET = 'os/linux/seccomp-remove-set';

/** appc's own wildcards: every call (retain-set opt-out) and none (remove-set: the implementation's default). */
export const APPC_ALL = '@appc.io/all';
export const APPC_EMPTY = '@appc.io/empty';

/** rkt's wildcard for its built-in filter, which `remove-set` with @appc.io/empty falls back to. */
export const RKT_DEFAULT_WHITELIST = '@rkt/default-whitelist';

/**
 * rkt's wildcards (@docker/default-whitelist, @rkt/default-blacklist, …) with the members rkt's
 * source gives them (data/reference/rkt-seccomp-wildcards.json, made by
 * scripts/extract-rkt-wildcards.mjs from rkt stage1/init/common/seccomp_wildcards.go).
 */
let rkt: ReadonlyMap<string, ReadonlySet<string>> | undefined;

export function rktWildcards(): ReadonlyMap<string, ReadonlySet<string>> {
  if (!rkt) {
    const data = JSON.parse(readFileSync(referenceDataFile('rkt-seccomp-wildcards.json'), 'utf8')) as {
      wildcards: Record<string, string[]>;
    };
    rkt = new Map(Object.entries(data.wildcards).map(([name, members]) => [name, new Set(members)]));
  }
  return rkt;
}

/**
 * rkt's @systemd/* wildcards name systemd groups of the stage1's systemd (rkt stage1/init/common/seccomp.go);
 * they are expanded with the systemd groups this project carries (src/profile/systemd-filter.ts).
 */
const RKT_SYSTEMD_WILDCARDS: Readonly<Record<string, string>> = {
  '@systemd/clock': '@clock',
  '@systemd/default-whitelist': SYSTEMD_IMPLICIT_GROUP,
  '@systemd/mount': '@mount',
  '@systemd/network-io': '@network-io',
  '@systemd/obsolete': '@obsolete',
  '@systemd/privileged': '@privileged',
  '@systemd/process': '@process',
  '@systemd/raw-io': '@raw-io',
};

/** The calls a wildcard other than appc's own stands for; undefined when rkt has no such wildcard. */
export function appcWildcardMembers(wildcard: string): ReadonlySet<string> | undefined {
  const group = RKT_SYSTEMD_WILDCARDS[wildcard];
  return group ? systemdGroupMembers(group) : rktWildcards().get(wildcard);
}
