import { type Abi, abiInfo, abisOfHost, hostAbi } from '../syscalls/abi.js';
import type { SeccompProfile } from './model.js';

/**
 * Complain mode: every syscall is allowed and logged as a SECCOMP audit record (the kernel logs
 * SCMP_ACT_LOG by default, see /proc/sys/kernel/seccomp/actions_logged). Every ABI the host can run
 * is listed so that 32-bit and x32 calls are logged too instead of hitting the bad-arch action.
 */
export function logProfile(host: Abi = hostAbi()): SeccompProfile {
  return {
    defaultAction: 'SCMP_ACT_LOG',
    architectures: abisOfHost(host).map((abi) => abiInfo(abi).scmpArch),
  };
}

/**
 * Every call allowed, nothing logged: what the bpf backend runs a container under. The runtime
 * still installs a filter, so the container's tasks are in seccomp mode 2 from then on, which is
 * how the kernel program tells the runtime's set-up before the filter from what the profile needs.
 */
export function allowProfile(host: Abi = hostAbi()): SeccompProfile {
  return {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: abisOfHost(host).map((abi) => abiInfo(abi).scmpArch),
  };
}
