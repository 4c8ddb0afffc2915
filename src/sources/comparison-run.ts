import { type ExecaError, execa } from 'execa';
import { UserError } from '../errors.js';
import { stringifyJson } from '../util/json-exact.js';
import { exitCodeOf, forwardStopSignals } from './process.js';

/** One run of `verify --enforce`'s comparison: how it exited and what it wrote on stdout. */
export interface CapturedRun {
  exitCode: number;
  stdout: Uint8Array;
}

/** One comparison of a rule as libseccomp's seccomp_rule_add_array takes it (struct scmp_arg_cmp). */
export interface LoaderComparison {
  index: number;
  op: string;
  value: bigint;
  valueTwo?: bigint;
}

export interface LoaderAction {
  action: string;
  errnoRet?: number;
}

/**
 * What the loader (data/loader/seccomp-exec.py) hands libseccomp: the default action, the
 * architectures to add, and one rule per syscall name and argument filter, in order. The profile is
 * resolved into this by the caller, as its runtime would resolve it; the loader only loads.
 */
export interface LoaderFilter {
  defaultAction: LoaderAction;
  /** libseccomp's architecture names (x86_64, x86, x32, aarch64, …): what seccomp_arch_resolve_name takes. */
  architectures: string[];
  rules: (LoaderAction & { name: string; args: LoaderComparison[] })[];
}

/** The filter file the loader reads: argument values are uint64 and written as exact JSON integers. */
export function loaderFilterJson(filter: LoaderFilter): string {
  return `${stringifyJson(filter)}\n`;
}

/**
 * Runs a command with the user's stdin and stderr, its stdout captured to be compared (not
 * printed, so that two runs' output is not mixed with verify's). Ctrl-C, SIGTERM and SIGHUP go to
 * the command, as in record. `statusFd` adds a pipe on file descriptor 3 and returns what was
 * written to it (the loader's own problems).
 */
async function runCapturing(
  command: readonly string[],
  missing: string,
  statusFd = false,
): Promise<CapturedRun & { status: string }> {
  const [file, ...args] = command;
  if (file === undefined) throw new UserError('no command to run');
  const child = execa(file, args, {
    stdio: ['inherit', 'pipe', 'inherit', ...(statusFd ? (['pipe'] as const) : [])],
    encoding: 'buffer',
    stripFinalNewline: false,
    reject: false,
  });
  const restore = forwardStopSignals((signal) => child.kill(signal));
  try {
    const result = await child;
    if ((result as ExecaError).code === 'ENOENT') throw new UserError(missing);
    const status = statusFd
      ? Buffer.from(result.stdio[3] as Uint8Array)
          .toString('utf8')
          .trim()
      : '';
    return { exitCode: exitCodeOf(result), stdout: result.stdout, status };
  } finally {
    restore();
  }
}

/** Runs a container or host command as it is (or with the options the caller put in its argv). */
export async function runCaptured(command: readonly string[]): Promise<CapturedRun> {
  const { exitCode, stdout } = await runCapturing(command, `${command[0]}: not found`);
  return { exitCode, stdout };
}

const PYTHON = 'python3';
const PYTHON_MISSING = `${PYTHON} is not installed or not on PATH: verify --enforce loads the profile for a host command with ${PYTHON} and libseccomp (libseccomp.so.2)`;

/**
 * Checks that the loader can build the filter here (python3, libseccomp, every rule accepted)
 * without running anything, so that a missing part is said before the workload runs at all.
 */
export async function probeLoader(loader: string, filterFile: string): Promise<void> {
  const probe = await runCapturing([PYTHON, loader, filterFile, '--probe'], PYTHON_MISSING, true);
  if (probe.exitCode !== 0) {
    throw new UserError(
      `verify --enforce cannot load the profile for a host command: ${probe.status || `${PYTHON} ${loader} exited ${probe.exitCode}`}`,
    );
  }
}

/**
 * Runs a host command under the filter: the loader loads it with libseccomp and executes the
 * command in its place, so the exit code is the command's. A problem of the loader before the
 * filter is loaded (reported on its status pipe) is an error, not a result of the profile.
 */
export async function runUnderFilter(
  loader: string,
  filterFile: string,
  command: readonly string[],
): Promise<CapturedRun> {
  const run = await runCapturing([PYTHON, loader, filterFile, '--', ...command], PYTHON_MISSING, true);
  if (run.status !== '') throw new UserError(`verify --enforce: ${run.status}`);
  return { exitCode: run.exitCode, stdout: run.stdout };
}
