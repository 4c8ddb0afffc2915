import type { Recording } from '../recording/model.js';
import { ABIS, type Abi } from '../syscalls/abi.js';
import type { KernelVersion } from '../syscalls/kernel.js';
import { syscallExists } from '../syscalls/table.js';
import { evaluateProfile, permittedSyscalls } from './evaluate.js';
import type { SeccompProfile } from './model.js';
import { ALWAYS_ALLOWED } from './runtime-baselines.js';

/** Which syscall names a workload needs, per ABI: what profiles, diffs and checks compare. */
export type SyscallNeeds = Map<Abi, Set<string>>;

/**
 * The exit path on `abi`: allowed by every generated profile and needed by every workload, though a
 * recording may not show it (strace -c never counts exit and exit_group, which do not return).
 * `generate` adds it and `diff` counts it as needed, so neither calls it unused.
 */
export function exitPathOn(abi: Abi): string[] {
  return ALWAYS_ALLOWED.filter((name) => syscallExists(abi, name));
}

export function needsOfRecording(recording: Recording): SyscallNeeds {
  const needs: SyscallNeeds = new Map();
  for (const abi of ABIS) {
    const table = recording.abis[abi];
    if (table && Object.keys(table).length > 0) needs.set(abi, new Set(Object.keys(table)));
  }
  return needs;
}

/** The host a profile is judged on when no container is named: Docker's default capabilities, this kernel. */
export interface JudgingHost {
  hostAbi: Abi;
  capabilities: ReadonlySet<string>;
  kernel: KernelVersion;
}

/** The ABIs a profile's filter covers on `host`. */
export function profileAbis(profile: SeccompProfile, host: JudgingHost): Abi[] {
  return evaluateProfile(profile, { ...host, abi: host.hostAbi }).architectures;
}

/** What a profile lets through (fully or for some arguments), per ABI it covers, as the runtime would load it. */
export function needsOfProfile(profile: SeccompProfile, host: JudgingHost): SyscallNeeds {
  const needs: SyscallNeeds = new Map();
  for (const abi of profileAbis(profile, host)) {
    const permitted = permittedSyscalls(evaluateProfile(profile, { ...host, abi }));
    needs.set(abi, new Set(permitted.keys()));
  }
  return needs;
}
