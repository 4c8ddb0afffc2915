import { UserError } from '../errors.js';

/** Every capability up to CAP_LAST_CAP (40) of current kernels, in bit order (include/uapi/linux/capability.h). */
export const ALL_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
];

/**
 * Docker's bounding set for an unprivileged container (moby oci/caps/defaults.go); containerd's
 * defaultUnixCaps (oci/spec.go) is the same list.
 */
export const DOCKER_DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/**
 * Podman's `default_capabilities` (containers.conf as shipped by containers/common): Docker's set
 * without CAP_MKNOD, CAP_NET_RAW and CAP_AUDIT_WRITE.
 */
export const PODMAN_DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_NET_BIND_SERVICE',
  'CAP_SETFCAP',
  'CAP_SETGID',
  'CAP_SETPCAP',
  'CAP_SETUID',
  'CAP_SYS_CHROOT',
];

const ALL = 'ALL';

/**
 * Normalises a capability name as Docker's NormalizeLegacyCapabilities does: case-insensitive,
 * CAP_ prefix optional, "ALL" kept as is; unknown names are an error.
 */
export function normalizeCapability(name: string): string {
  const upper = name.toUpperCase();
  if (upper === ALL) return ALL;
  const full = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  if (!ALL_CAPABILITIES.includes(full)) throw new UserError(`unknown capability: "${name}"`);
  return full;
}

/**
 * The bounding set a container gets from `--cap-add` / `--cap-drop`, following moby's
 * TweakCapabilities: adding ALL grants everything not dropped; dropping ALL keeps only the adds;
 * otherwise the base set minus drops plus adds.
 */
export function capabilitySet(
  adds: readonly string[] = [],
  drops: readonly string[] = [],
  base: Iterable<string> = DOCKER_DEFAULT_CAPABILITIES,
): Set<string> {
  const add = adds.map(normalizeCapability);
  const drop = drops.map(normalizeCapability);
  if (add.includes(ALL)) return new Set(ALL_CAPABILITIES.filter((cap) => !drop.includes(cap)));
  if (drop.includes(ALL)) return new Set(add);
  return new Set([...[...base].filter((cap) => !drop.includes(cap)), ...add]);
}
