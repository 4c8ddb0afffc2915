import { release } from 'node:os';
import { EnvironmentError } from '../errors.js';

/** A kernel version as Docker compares it: only "<kernel>.<major>" counts, the rest of the release is ignored. */
export type KernelVersion = readonly [number, number];

/**
 * Reads a rule's `minKernel` the way moby/profiles' KernelVersion.UnmarshalJSON does: exactly two
 * dot-separated parts, each fitting in a uint8, and not "0.0". The empty string means "no condition".
 * Returns the problem as a string rather than throwing so the profile reader can point at the JSON path.
 */
export function parseMinKernel(text: string): KernelVersion | undefined | string {
  if (text === '') return undefined;
  const parts = text.split('.');
  const uint8 = /^\d+$/;
  if (parts.length !== 2 || !parts.every((part) => uint8.test(part) && Number(part) <= 255)) {
    return `invalid kernel version "${text}", expected "<kernel>.<major>" with each part 0-255`;
  }
  const version: KernelVersion = [Number(parts[0]), Number(parts[1])];
  if (version[0] === 0 && version[1] === 0) return `invalid kernel version "${text}": version cannot be 0.0`;
  return version;
}

/**
 * Parses a uname release ("6.1.0-18-amd64", "3.12-1-amd64") as Docker does with Sscanf("%d.%d"):
 * leading digits, a dot, digits; anything after is ignored.
 */
export function parseKernelRelease(text: string): KernelVersion | undefined {
  const match = /^\s*(\d+)\.(\d+)/.exec(text);
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2])];
}

export function kernelAtLeast(kernel: KernelVersion, minimum: KernelVersion): boolean {
  return kernel[0] > minimum[0] || (kernel[0] === minimum[0] && kernel[1] >= minimum[1]);
}

export function formatKernel(kernel: KernelVersion): string {
  return `${kernel[0]}.${kernel[1]}`;
}

/**
 * The running kernel's version, as the runtime on this machine would see it; `releaseText` is a
 * parameter so that tests can hand it a release no kernel of theirs has.
 */
export function hostKernel(releaseText: string = release()): KernelVersion {
  const version = parseKernelRelease(releaseText);
  if (!version) {
    throw new EnvironmentError(
      `cannot read this machine's kernel version from its uname release ${JSON.stringify(releaseText)}: name one with --kernel X.Y`,
    );
  }
  return version;
}
