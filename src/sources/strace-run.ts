import { access, constants, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';
import { UserError } from '../errors.js';
import { makePrivateDirectory } from '../util/files.js';
import { findExecutable } from './host.js';
import { exitCodeOf, forwardStopSignals, workloadStdio } from './process.js';

/** What strace traces: a command it starts, or a running process it attaches to. */
export interface TracedWorkload {
  command?: string[];
  pid?: number;
  /** With pid: detach after this many seconds. */
  durationSeconds?: number;
  /** A full trace instead of -c counts. */
  full: boolean;
  /** The workload's stdout goes to our stderr (record --json keeps stdout for the JSON). */
  stdoutToStderr?: boolean;
}

export interface StraceRun {
  /** strace's output, in a private directory that is removed when the callback returns. */
  outputFile: string;
  /** The workload's exit code (128+N for signal N); undefined when attached with --pid. */
  exitCode: number | undefined;
  straceVersion: string;
  startedAt: string;
  endedAt: string;
}

const INSTALL_HINT =
  'strace is not installed or not on PATH: install it (Debian/Ubuntu: apt-get install strace; Fedora/RHEL: dnf install strace; Alpine: apk add strace)';

async function straceVersion(strace: string): Promise<string> {
  const { stdout } = await execa(strace, ['-V'], { reject: false });
  return /version\s+(\S+)/.exec(stdout)?.[1] ?? 'unknown';
}

/** Exit codes a shell gives a command it cannot run: 127 not found, 126 found but not executable. */
export const EXIT_NOT_FOUND = 127;
export const EXIT_NOT_EXECUTABLE = 126;

/** Why `file` cannot be executed, or undefined when it can (as far as access(2) knows). */
async function notExecutable(file: string): Promise<'missing' | 'not executable' | undefined> {
  // Whatever stops stat (no such file, a parent not searchable) stops a shell finding it too.
  const info = await stat(file).catch(() => undefined);
  if (!info) return 'missing';
  if (info.isDirectory()) return 'not executable';
  try {
    await access(file, constants.X_OK);
    return undefined;
  } catch {
    return 'not executable';
  }
}

/**
 * Checks the command as a shell would before strace runs it, so that a typo is an error with the shell's
 * exit code rather than a profile of nothing: strace only says "Can't stat" and exits 1.
 */
export async function checkCommand(name: string): Promise<void> {
  if (name.includes('/')) {
    const problem = await notExecutable(name);
    if (problem === 'missing')
      throw new UserError(`${name}: no such file: nothing to record`, EXIT_NOT_FOUND);
    if (problem) throw new UserError(`${name}: not executable: nothing to record`, EXIT_NOT_EXECUTABLE);
    return;
  }
  let found: 'missing' | 'not executable' = 'missing';
  for (const directory of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(directory || '.', name);
    // A directory of that name is passed over in the search, as shells do.
    if ((await stat(candidate).catch(() => undefined))?.isDirectory()) continue;
    const problem = await notExecutable(candidate);
    if (problem === undefined) return;
    if (problem === 'not executable') found = problem;
  }
  if (found === 'missing')
    throw new UserError(`${name}: command not found: nothing to record`, EXIT_NOT_FOUND);
  throw new UserError(`${name}: not executable (permission denied): nothing to record`, EXIT_NOT_EXECUTABLE);
}

/** The workload is strace's child: signals meant for it must go there, strace only detaches on them. */
async function childrenOf(pid: number): Promise<number[]> {
  try {
    const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return text.split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // strace has ended, and its children with it or re-parented: no one is left to signal.
    return [];
  }
}

/**
 * Runs (or attaches) strace with its output in a private temporary file (directory 0700, file
 * 0600) so the workload keeps its own stdin, stdout and stderr; hands the finished output to
 * `consume` and removes the file whatever happens. SIGTERM and SIGHUP reach the workload; SIGINT
 * is forwarded too unless a terminal already delivered Ctrl-C to the whole process group.
 */
export async function withStraceRun<T>(
  workload: TracedWorkload,
  consume: (run: StraceRun) => Promise<T>,
): Promise<T> {
  const strace = await findExecutable('strace');
  if (!strace) throw new UserError(INSTALL_HINT, 127);
  if (workload.command?.[0] !== undefined) await checkCommand(workload.command[0]);
  const version = await straceVersion(strace);
  const directory = await makePrivateDirectory();
  const outputFile = join(directory, 'strace.out');
  const detachers: (() => void)[] = [];
  try {
    await writeFile(outputFile, '', { mode: 0o600 });
    const mode = workload.full ? ['-f'] : ['-f', '-c'];
    const what =
      workload.pid !== undefined ? ['-p', String(workload.pid)] : ['--', ...(workload.command ?? [])];
    const startedAt = new Date().toISOString();
    const child = execa(strace, [...mode, '-o', outputFile, ...what], {
      stdio: workloadStdio(workload.stdoutToStderr),
      reject: false,
    });

    const forward = (signal: NodeJS.Signals): void => {
      if (workload.pid !== undefined) {
        // Attached: stopping means detaching strace, which then writes its summary.
        child.kill('SIGINT');
        return;
      }
      if (signal === 'SIGINT' && process.stdin.isTTY) return;
      if (child.pid === undefined) return;
      void childrenOf(child.pid).then((pids) => {
        for (const pid of pids) {
          try {
            process.kill(pid, signal);
          } catch {
            // already gone
          }
        }
      });
    };
    detachers.push(forwardStopSignals(forward));
    if (workload.pid !== undefined && workload.durationSeconds !== undefined) {
      const timer = setTimeout(() => child.kill('SIGINT'), workload.durationSeconds * 1000);
      detachers.push(() => clearTimeout(timer));
    }

    const result = await child;
    const endedAt = new Date().toISOString();
    if (result.failed && result.exitCode === undefined && result.signal === undefined) {
      throw new UserError(`cannot run strace: ${result.shortMessage ?? result.message}`);
    }
    const exitCode = workload.pid !== undefined ? undefined : exitCodeOf(result);
    return await consume({ outputFile, exitCode, straceVersion: version, startedAt, endedAt });
  } finally {
    for (const detach of detachers) detach();
    await rm(directory, { recursive: true, force: true });
  }
}
