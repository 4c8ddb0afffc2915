import { UserError } from '../errors.js';
import { ABIS, type Abi, isAbi } from '../syscalls/abi.js';
import { type KernelVersion, parseKernelRelease } from '../syscalls/kernel.js';

/** --arch: an ABI as libseccomp names it. */
export function abiFlag(value: string | undefined): Abi | undefined {
  if (value === undefined) return undefined;
  if (!isAbi(value)) throw new UserError(`--arch ${value}: not an ABI libseccomp knows (${ABIS.join(', ')})`);
  return value;
}

/** --kernel: "X.Y" (more may follow, as in a uname release). */
export function kernelFlag(value: string | undefined): KernelVersion | undefined {
  if (value === undefined) return undefined;
  const version = parseKernelRelease(value);
  if (!version) throw new UserError(`--kernel ${value}: expected a version like 6.1`);
  return version;
}

/** A flag that takes a count or a pid: a whole number above 0. */
export function positiveIntegerFlag(value: string, flag: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0)
    throw new UserError(`${flag} takes a positive whole number, not ${JSON.stringify(value)}`);
  return number;
}

/** --loss-exit-code: an exit code a script can tell apart from the workload's own, 1 to 255. */
export function lossExitCodeFlag(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < 1 || number > 255)
    throw new UserError(`--loss-exit-code takes an exit code from 1 to 255, not ${JSON.stringify(value)}`);
  return number;
}
