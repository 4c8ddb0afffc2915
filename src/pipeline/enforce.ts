import { rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { judgingHost } from '../diff/compare.js';
import { loaderFilter } from '../profile/loader-filter.js';
import type { SeccompProfile } from '../profile/model.js';
import {
  type CapturedRun,
  loaderFilterJson,
  probeLoader,
  runCaptured,
  runUnderFilter,
} from '../sources/comparison-run.js';
import { comparisonRunArgv, parseContainerRun } from '../sources/container-command.js';
import { makePrivateDirectory } from '../util/files.js';
import { packageRoot } from '../util/package-root.js';

/** Where the two runs of `verify --enforce` first differ on stdout. */
export interface OutputDifference {
  /** Byte offset of the first differing byte. */
  offset: number;
  /** 1-based line of that byte. */
  line: number;
  /** That line as each run wrote it, shortened around the difference. */
  unconfined: string;
  enforced: string;
}

/** `verify --enforce`: the workload under the real profile against the workload unconfined. */
export interface EnforcedComparison {
  unconfinedExit: number;
  enforcedExit: number;
  exitMatches: boolean;
  /** With --compare-output: whether both runs wrote the same bytes on stdout. */
  outputMatches?: boolean;
  /** With --compare-output, when they did not. */
  firstDifference?: OutputDifference;
}

/** How much of a differing line is shown: enough to recognise it, short enough for one terminal line. */
const EXCERPT_CHARS = 60;

function lineExcerpt(bytes: Uint8Array, lineStart: number, at: number): string {
  let end = bytes.indexOf(0x0a, lineStart);
  if (end < 0) end = bytes.length;
  // Starts a little before the difference on a long line, so that it is in view.
  const from = Math.max(lineStart, at - EXCERPT_CHARS / 2);
  const to = Math.min(end, from + EXCERPT_CHARS);
  const text = Buffer.from(bytes.subarray(from, to)).toString('utf8');
  return `${from > lineStart ? '…' : ''}${text}${to < end ? '…' : ''}`;
}

/** The first byte at which two outputs differ (one ending early counts), or undefined when they are equal. */
export function firstDifference(unconfined: Uint8Array, enforced: Uint8Array): OutputDifference | undefined {
  const shorter = Math.min(unconfined.length, enforced.length);
  let offset = 0;
  while (offset < shorter && unconfined[offset] === enforced[offset]) offset++;
  if (offset === shorter && unconfined.length === enforced.length) return undefined;
  let line = 1;
  let lineStart = 0;
  for (let at = 0; at < offset; at++) {
    if (unconfined[at] === 0x0a) {
      line++;
      lineStart = at + 1;
    }
  }
  return {
    offset,
    line,
    unconfined: lineExcerpt(unconfined, lineStart, offset),
    enforced: lineExcerpt(enforced, lineStart, offset),
  };
}

/** Judges the enforced run against the unconfined one: the exit codes, and with `compareOutput` stdout. */
export function judgeEnforcement(
  unconfined: CapturedRun,
  enforced: CapturedRun,
  compareOutput: boolean,
): EnforcedComparison {
  const judged: EnforcedComparison = {
    unconfinedExit: unconfined.exitCode,
    enforcedExit: enforced.exitCode,
    exitMatches: unconfined.exitCode === enforced.exitCode,
  };
  if (!compareOutput) return judged;
  const difference = firstDifference(unconfined.stdout, enforced.stdout);
  return {
    ...judged,
    outputMatches: difference === undefined,
    ...(difference ? { firstDifference: difference } : {}),
  };
}

/** Whether the enforced run broke the workload: another exit code, or (when compared) another stdout. */
export function enforcementFails(comparison: EnforcedComparison): boolean {
  return !comparison.exitMatches || comparison.outputMatches === false;
}

/** The two extra runs of `verify --enforce`, ready to go; `cleanup` removes the files they use. */
export interface Enforcement {
  unconfined: () => Promise<CapturedRun>;
  enforced: () => Promise<CapturedRun>;
  cleanup: () => Promise<void>;
}

/** The loader that runs a host command under a filter: a data file of the package, not compiled. */
function loaderPath(): string {
  return join(packageRoot(), 'data', 'loader', 'seccomp-exec.py');
}

/**
 * Prepares the unconfined and enforced runs before anything runs, so that a missing part (python3,
 * libseccomp, a rule libseccomp refuses) is said before the workload's first run. A container runs
 * again through its engine, with `seccomp=unconfined` and with the profile file itself; a host
 * command runs as it is, and under the profile through the loader.
 */
export async function prepareEnforcement(
  profileFile: string,
  profile: SeccompProfile,
  command: readonly string[],
): Promise<Enforcement> {
  if (parseContainerRun(command)) {
    // Both are built now: an option the engine's parser would not accept is found before any run.
    const unconfined = comparisonRunArgv(command, 'unconfined', 'unconfined');
    const enforced = comparisonRunArgv(command, resolve(profileFile), 'enforced');
    return {
      unconfined: () => runCaptured(unconfined),
      enforced: () => runCaptured(enforced),
      cleanup: async () => undefined,
    };
  }
  const directory = await makePrivateDirectory();
  const cleanup = () => rm(directory, { recursive: true, force: true });
  try {
    const filterFile = join(directory, 'filter.json');
    await writeFile(filterFile, loaderFilterJson(loaderFilter(profile, judgingHost({}))), { mode: 0o600 });
    const loader = loaderPath();
    await probeLoader(loader, filterFile);
    return {
      unconfined: () => runCaptured(command),
      enforced: () => runUnderFilter(loader, filterFile, command),
      cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
