import { access, constants } from 'node:fs/promises';
import { release } from 'node:os';
import { delimiter, join } from 'node:path';
import { type Abi, hostAbi } from '../syscalls/abi.js';

/** The machine a run was recorded on: its kernel release and native ABI. */
export interface HostInfo {
  kernel: string;
  arch: Abi;
}

export function hostInfo(): HostInfo {
  return { kernel: release(), arch: hostAbi() };
}

/** Finds an executable on PATH without running a shell. */
export async function findExecutable(name: string): Promise<string | undefined> {
  for (const directory of (
    process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  ).split(delimiter)) {
    const candidate = join(directory, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}
