import { existsSync } from 'node:fs';
import type { Dialect } from '../profile/arch.js';
import { detectDialect } from '../profile/evaluate.js';
import { readProfileInput } from '../profile/inputs.js';
import type { SeccompProfile } from '../profile/model.js';
import { readProfile } from '../profile/read.js';
import { referenceDataFile } from '../util/package-root.js';
import { DOCKER_DEFAULT_CAPABILITIES, PODMAN_DEFAULT_CAPABILITIES } from './capabilities.js';

export const BUILTIN_REFERENCES = ['docker', 'podman', 'containerd'] as const;
export type BuiltinReference = (typeof BUILTIN_REFERENCES)[number];

/** Where a reference profile came from, for reports. JSON-serialisable. */
export interface ReferenceSource {
  /** 'docker', 'podman', 'containerd', or the path given for a custom profile. */
  name: string;
  /** The file actually read. */
  file: string;
  repository?: string;
  /** The file (or Go source) in that repository. */
  upstreamPath?: string;
  commit?: string;
  version?: string;
  date?: string;
  note?: string;
}

export interface Reference {
  profile: SeccompProfile;
  source: ReferenceSource;
  dialect: Dialect;
  /** The bounding set that runtime gives a container when no --cap-add/--cap-drop is used. */
  defaultCapabilities: readonly string[];
}

export interface LoadReferenceOptions {
  /**
   * The system-wide Podman profile to prefer over the bundled copy, as Podman itself does;
   * false to always use the bundled one (reproducible results).
   */
  podmanSystemProfile?: string | false;
}

/** Podman's containers.conf `seccomp_profile` default; when missing, Podman uses its built-in profile. */
export const PODMAN_SYSTEM_PROFILE = '/usr/share/containers/seccomp.json';

// Same upstream snapshots as data/reference/SOURCES.md.
const UPSTREAM: Readonly<
  Record<BuiltinReference, Omit<ReferenceSource, 'name' | 'file'> & { data: string }>
> = {
  docker: {
    data: 'docker-default.json',
    repository: 'moby/profiles',
    upstreamPath: 'seccomp/default.json',
    commit: 'cd3bed8061c7b7378b61fc6827c7885779417a75',
    version: 'seccomp/v0.2.3-8 (vendored as v0.2.3 by moby/moby docker-v29.7.2-150)',
    date: '2026-06-30',
  },
  podman: {
    data: 'podman-default.json',
    repository: 'containers/common',
    upstreamPath: 'pkg/seccomp/seccomp.json',
    commit: 'f437c58aab67eec2b1c942f7ad4fec37a25a3766',
    version: 'v0.64.1-71',
    date: '2025-08-25',
  },
  containerd: {
    data: 'containerd-default.json',
    repository: 'containerd/containerd',
    upstreamPath: 'contrib/seccomp/seccomp_default.go',
    commit: '301026e58c619e63d09c0ec411012e54c0124b03',
    version: 'v2.4.0-beta.0-70',
    date: '2026-08-22',
    note: "encoded from Docker's default.json with containerd's differences (data/reference/SOURCES.md)",
  },
};

export function isBuiltinReference(name: string): name is BuiltinReference {
  return (BUILTIN_REFERENCES as readonly string[]).includes(name);
}

/**
 * Loads a reference profile: one of the runtimes' defaults, or any profile file (Docker format with
 * its extensions, Podman's, plain OCI, or any other format inputs.ts detects: LXC, systemd, appc). A custom file is assumed to be meant for Docker unless it
 * uses Podman's errno names.
 */
export async function loadReference(
  nameOrFile: string,
  options: LoadReferenceOptions = {},
): Promise<Reference> {
  if (!isBuiltinReference(nameOrFile)) {
    const profile = await readProfileInput(nameOrFile);
    return {
      profile,
      source: { name: nameOrFile, file: nameOrFile },
      dialect: detectDialect(profile),
      defaultCapabilities: DOCKER_DEFAULT_CAPABILITIES,
    };
  }
  const { data, ...upstream } = UPSTREAM[nameOrFile];
  const isPodman = nameOrFile === 'podman';
  const system = isPodman ? (options.podmanSystemProfile ?? PODMAN_SYSTEM_PROFILE) : false;
  if (system !== false && existsSync(system)) {
    return {
      profile: await readProfile(system),
      source: { name: nameOrFile, file: system, note: 'the system-wide profile Podman on this host uses' },
      dialect: 'containers',
      defaultCapabilities: PODMAN_DEFAULT_CAPABILITIES,
    };
  }
  const file = referenceDataFile(data);
  return {
    profile: await readProfile(file),
    source: { name: nameOrFile, file, ...upstream },
    dialect: isPodman ? 'containers' : 'moby',
    defaultCapabilities: isPodman ? PODMAN_DEFAULT_CAPABILITIES : DOCKER_DEFAULT_CAPABILITIES,
  };
}
