import { UserError } from '../errors.js';
import { type KernelVersion, parseKernelRelease } from '../reference/kernel.js';
import { ABIS, type Abi, isAbi } from '../syscalls/abi.js';

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
