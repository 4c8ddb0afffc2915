import type { Recording } from '../recording/model.js';
import { ABIS, type Abi } from '../syscalls/abi.js';

/** Which syscall names a workload needs, per ABI: what profiles, diffs and checks compare. */
export type SyscallNeeds = Map<Abi, Set<string>>;

export function needsOfRecording(recording: Recording): SyscallNeeds {
  const needs: SyscallNeeds = new Map();
  for (const abi of ABIS) {
    const table = recording.abis[abi];
    if (table && Object.keys(table).length > 0) needs.set(abi, new Set(Object.keys(table)));
  }
  return needs;
}
