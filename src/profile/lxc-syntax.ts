import type { Abi } from '../syscalls/abi.js';
import { ERRNO_EPERM, type Outcome } from './model.js';

/**
 * The words of an LXC seccomp policy as LXC 5 reads them (lxc/lxc src/lxc/seccomp.c, the same in
 * 5.0.2, Debian bookworm's, and in main): what the emitter writes and the reader accepts.
 */

/** `errno N` carries a value the kernel masks to 12 bits (SECCOMP_RET_DATA is used as -errno). */
export const LXC_ERRNO_MAX = 4095;

/**
 * The actions LXC's get_v2_default_action() knows. `kill` is libseccomp's SCMP_ACT_KILL (the
 * thread); LXC has no log, trace or kill-process action.
 */
export type LxcAction = 'allow' | 'kill' | 'trap' | 'notify' | { errno: number };

export function outcomeOfLxcAction(action: LxcAction): Outcome {
  if (typeof action === 'object') return { action: 'SCMP_ACT_ERRNO', errnoRet: action.errno };
  const actions = {
    allow: 'SCMP_ACT_ALLOW',
    kill: 'SCMP_ACT_KILL',
    trap: 'SCMP_ACT_TRAP',
    notify: 'SCMP_ACT_NOTIFY',
  } as const;
  return { action: actions[action] };
}

/** The action word for an outcome, or undefined where LXC has none (log, trace). */
export function lxcActionWord(outcome: Outcome): string | undefined {
  switch (outcome.action) {
    case 'SCMP_ACT_ALLOW':
      return 'allow';
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
    case 'SCMP_ACT_KILL_PROCESS':
      return 'kill';
    case 'SCMP_ACT_TRAP':
      return 'trap';
    case 'SCMP_ACT_NOTIFY':
      return 'notify';
    case 'SCMP_ACT_ERRNO':
      // runc and Docker give EPERM to an ERRNO action without a value.
      return `errno ${outcome.errnoRet ?? ERRNO_EPERM}`;
    case 'SCMP_ACT_LOG':
    case 'SCMP_ACT_TRACE':
      return undefined;
  }
}

/**
 * A `[section]` of a version 2 policy. LXC does not confine a section's rules to that ABI: every
 * rule goes to every ABI it filters. A section only says on which hosts its rules are read at all
 * (`[x86]` on i686 and x86_64 hosts, `[x86_64]` on x86_64 hosts only), which is what Docker's
 * `includes.arches` says too, in the names moby gives host architectures (src/profile/arch.ts).
 */
export interface LxcSection {
  /** As written in the policy (LXC also accepts it in capitals). */
  readonly name: string;
  /** The hosts whose rules these are, as `includes.arches` names them, sorted. */
  readonly hosts: readonly string[];
}

export const LXC_SECTIONS: readonly LxcSection[] = [
  { name: 'x86', hosts: ['amd64', 'x86'] },
  // Before x32, which is read on the same hosts: the emitter writes the first section of a host set.
  { name: 'x86_64', hosts: ['amd64'] },
  { name: 'x32', hosts: ['amd64'] },
  { name: 'arm', hosts: ['arm', 'arm64'] },
  { name: 'arm64', hosts: ['arm64'] },
  { name: 'ppc64le', hosts: ['ppc64le'] },
  { name: 'ppc64', hosts: ['ppc64'] },
  { name: 'ppc', hosts: ['ppc', 'ppc64'] },
  { name: 'mips64', hosts: ['mips64'] },
  { name: 'mips64n32', hosts: ['mips64'] },
  { name: 'mips', hosts: ['mips', 'mips64'] },
  { name: 'mipsel64', hosts: ['mipsel64'] },
  { name: 'mipsel64n32', hosts: ['mipsel64'] },
  { name: 'mipsel', hosts: ['mipsel', 'mipsel64'] },
  { name: 's390x', hosts: ['s390x'] },
  { name: 's390', hosts: ['s390'] },
  { name: 'loongarch64', hosts: ['loongarch64'] },
];

/** `[all]`: rules read on every host. */
export const LXC_ALL_SECTION = 'all';

/**
 * The ABIs LXC filters when it runs on a host of native ABI `native`: it always adds the compat
 * ABIs below (get_new_ctx in parse_config_v2), with the same rules resolved by name.
 */
export function lxcFilteredAbis(native: Abi): Abi[] {
  switch (native) {
    case 'x86_64':
      return ['x86_64', 'x86', 'x32'];
    case 'aarch64':
      return ['aarch64', 'arm'];
    case 'ppc64':
      return ['ppc64', 'ppc'];
    case 'mips64':
      return ['mips64', 'mips', 'mips64n32'];
    case 'mipsel64':
      return ['mipsel64', 'mipsel', 'mipsel64n32'];
    default:
      return [native];
  }
}
