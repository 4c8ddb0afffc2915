import { randomBytes } from 'node:crypto';
import { constants, rmSync, type Stats } from 'node:fs';
import {
  access,
  lstat,
  mkdtemp,
  open,
  readFile,
  readlink,
  realpath,
  rename,
  rm,
  stat,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { EnvironmentError, InputError, UserError } from '../errors.js';
import { parseJsonExact } from './json-exact.js';
import { lineAt, locateJson } from './json-locate.js';

/**
 * How one output reaches the disk:
 * - `replace`: a regular file (new or existing) is written to a temporary file beside it and renamed
 *   into place, so a reader never sees half a profile; an existing file keeps its mode and owner.
 * - `in-place`: an existing regular file whose owner this process cannot give a new file (not root):
 *   it is truncated and written, so its owner and mode stay.
 * - `through`: a character device (/dev/null, a terminal), a FIFO or a /proc/self/fd link
 *   (/dev/stdout): opened and written, never replaced.
 */
interface PlannedOutput {
  /** As the user gave it, for messages. */
  path: string;
  /** The file written: symbolic links followed, except a /proc/…/fd/N link, which is written through. */
  file: string;
  how: 'replace' | 'in-place' | 'through';
  /** Through this process's own standard output or error (a pipe, a socket, a terminal, a file). */
  stdio?: 1 | 2;
  keep?: { mode: number; uid: number; gid: number };
}

const FD_DIRECTORY = /^\/proc\/(self|thread-self|\d+)(?:\/task\/\d+)?\/fd$/;

/** N when `file` is /proc/PID/fd/N of this very process: descriptor N is written itself. */
function ownDescriptor(file: string): number | undefined {
  const match = FD_DIRECTORY.exec(dirname(file));
  if (!match || (match[1] !== 'self' && match[1] !== 'thread-self' && Number(match[1]) !== process.pid))
    return undefined;
  const fd = Number(basename(file));
  return Number.isInteger(fd) ? fd : undefined;
}

/** A one-line description of a file-system error, without Node's "open '/path/.x.tmp'" tail. */
function problem(error: unknown): string {
  const message = (error as Error).message ?? String(error);
  return message.replace(/,\s*\w+(?: '.*')?$/, '');
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

async function statOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (error) {
    // ENOTDIR: a parent is a file; the check of the directory says so.
    if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return undefined;
    throw error;
  }
}

/**
 * Follows symbolic links one at a time (directories resolved at each hop) to the file a write
 * would reach. Stops at a /proc/PID/fd/N link: that is an open descriptor (/dev/stdout,
 * /dev/fd/1), to be written through, not a path to a file.
 */
async function follow(path: string): Promise<{ file: string; descriptor: boolean }> {
  let current = resolve(path);
  for (let hop = 0; hop < 40; hop++) {
    let directory: string;
    try {
      directory = await realpath(dirname(current));
    } catch {
      // A directory that does not resolve: planOne's check of the directory names the problem.
      return { file: current, descriptor: false };
    }
    current = join(directory, basename(current));
    if (FD_DIRECTORY.test(directory)) return { file: current, descriptor: true };
    let info: Stats;
    try {
      info = await lstat(current);
    } catch {
      // Nothing there yet (a new output) or not statable: planOne's stat reports which.
      return { file: current, descriptor: false };
    }
    if (!info.isSymbolicLink()) return { file: current, descriptor: false };
    current = resolve(directory, await readlink(current));
  }
  throw new UserError(`cannot write ${path}: too many levels of symbolic links`);
}

function canGiveOwner(info: Stats): boolean {
  if (process.getuid?.() === 0) return true;
  return info.uid === process.getuid?.() && (process.getgroups?.() ?? []).includes(info.gid);
}

async function writable(path: string, what: string, shown: string): Promise<void> {
  try {
    await access(path, constants.W_OK);
  } catch (error) {
    throw new UserError(
      `cannot write ${shown}: ${what} is not writable (${errorCode(error) ?? problem(error)})`,
    );
  }
}

/** `-o ''` is a mistake (an unset shell variable), not a request for stdout or for ".recording.json". */
export function checkOutputName(name: string | undefined): void {
  if (name === '') throw new UserError('-o needs a file name, not an empty string');
}

async function planOne(path: string): Promise<{ output: PlannedOutput; info: Stats | undefined }> {
  checkOutputName(path);
  const { file, descriptor } = await follow(path);
  let info: Stats | undefined;
  try {
    info = await statOrUndefined(file);
  } catch (error) {
    throw new UserError(`cannot write ${path}: ${problem(error)}`);
  }
  if (!info) {
    if (descriptor) throw new UserError(`cannot write ${path}: not an open file descriptor`);
    const directory = dirname(file);
    let parent: Stats | undefined;
    try {
      parent = await statOrUndefined(directory);
    } catch (error) {
      throw new UserError(`cannot write ${path}: ${directory}: ${problem(error)}`);
    }
    if (!parent) throw new UserError(`cannot write ${path}: directory ${directory} does not exist`);
    if (!parent.isDirectory()) throw new UserError(`cannot write ${path}: ${directory} is not a directory`);
    await writable(directory, `directory ${directory}`, path);
    return { output: { path, file, how: 'replace' }, info };
  }
  if (info.isDirectory()) throw new UserError(`cannot write ${path}: it is a directory`);
  const fd = descriptor ? ownDescriptor(file) : undefined;
  // Our own stdout or stderr is written as such, whatever it is (a socket under systemd or Node).
  if (fd === 1 || fd === 2) return { output: { path, file, how: 'through', stdio: fd }, info };
  if (info.isSocket()) throw new UserError(`cannot write ${path}: it is a socket, not a file`);
  if (info.isBlockDevice())
    throw new UserError(`cannot write ${path}: it is a block device; refusing to write a file onto it`);
  if (descriptor || info.isCharacterDevice() || info.isFIFO()) {
    await writable(file, 'it', path);
    return { output: { path, file, how: 'through' }, info };
  }
  if (!info.isFile()) throw new UserError(`cannot write ${path}: not a regular file, device or FIFO`);
  await writable(file, 'it', path);
  const keep = { mode: info.mode & 0o7777, uid: info.uid, gid: info.gid };
  if (!canGiveOwner(info)) return { output: { path, file, how: 'in-place', keep }, info };
  await writable(dirname(file), `directory ${dirname(file)}`, path);
  return { output: { path, file, how: 'replace', keep }, info };
}

function writeStdio(fd: 1 | 2, text: string): Promise<void> {
  const stream = fd === 1 ? process.stdout : process.stderr;
  return new Promise((done, fail) => stream.write(text, (error) => (error ? fail(error) : done())));
}

/**
 * While outputs are written, Ctrl-C, SIGTERM or SIGHUP (a FIFO whose reader never comes, say)
 * removes the temporary files before the process dies of the signal. Only where nothing else
 * handles the signal: `record` keeps its own handlers (for the workload) until the writes are done.
 */
function removeOnStop(staged: readonly { temporary: string }[]): () => void {
  const installed: [NodeJS.Signals, () => void][] = [];
  const uninstall = (): void => {
    for (const [signal, handler] of installed) process.off(signal, handler);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    if (process.listenerCount(signal) > 0) continue;
    const handler = (): void => {
      for (const { temporary } of staged) rmSync(temporary, { force: true });
      uninstall();
      process.kill(process.pid, signal);
    };
    process.on(signal, handler);
    installed.push([signal, handler]);
  }
  return uninstall;
}

function identity(info: Stats): string {
  return `${info.dev}:${info.ino}`;
}

/** The outputs of one command, checked before anything is run, read or written. */
export class OutputPlan {
  private constructor(private readonly outputs: readonly PlannedOutput[]) {}

  /**
   * Checks every output a command will write, before it runs a workload or reads a byte: the name
   * is not empty, the directory exists and is writable, the file is a regular file (replaced), a
   * character device, a FIFO or a /proc/self/fd link (written through), and it is none of the
   * `inputs` nor another output (same device and inode: symbolic and hard links are seen through).
   * Throws a UserError naming the file and problem.
   */
  static async check(outputs: readonly string[], inputs: readonly string[] = []): Promise<OutputPlan> {
    const inputIds = new Map<string, string>();
    const inputPaths = new Map<string, string>();
    for (const input of inputs) {
      if (input === '-') continue;
      inputPaths.set(resolve(input), input);
      try {
        inputIds.set(identity(await stat(input)), input);
      } catch {
        // An input that cannot be read is reported when it is read.
      }
    }
    const planned: PlannedOutput[] = [];
    const outputIds = new Map<string, string>();
    const outputFiles = new Map<string, string>();
    for (const path of outputs) {
      const { output, info } = await planOne(path);
      // Writing through a device or FIFO destroys nothing; a regular file would be replaced.
      const regular = info === undefined || info.isFile();
      if (regular) {
        const input =
          inputPaths.get(resolve(path)) ??
          inputPaths.get(output.file) ??
          (info ? inputIds.get(identity(info)) : undefined);
        if (input !== undefined)
          throw new UserError(
            `refusing to write ${path}: it is one of the inputs${input === path ? '' : ` (${input})`}`,
          );
        const twice = outputFiles.get(output.file) ?? (info ? outputIds.get(identity(info)) : undefined);
        if (twice !== undefined)
          throw new UserError(`refusing to write ${path}: it is also the output ${twice}`);
        outputFiles.set(output.file, path);
        if (info) outputIds.set(identity(info), path);
      }
      planned.push(output);
    }
    return new OutputPlan(planned);
  }

  /**
   * Writes every planned output. Replaced files are staged first (temporary files beside them),
   * devices and FIFOs written, then the staged files renamed into place; on any failure the
   * temporary files are removed and a UserError names the output and the problem.
   */
  async write(contents: ReadonlyMap<string, string> | Record<string, string>): Promise<void> {
    const content = (output: PlannedOutput): string => {
      const text =
        contents instanceof Map
          ? contents.get(output.path)
          : (contents as Record<string, string>)[output.path];
      if (text === undefined) throw new Error(`no content for the planned output ${output.path}`);
      return text;
    };
    const staged: { output: PlannedOutput; temporary: string }[] = [];
    let current: PlannedOutput | undefined;
    const stopGuard = removeOnStop(staged);
    try {
      for (const output of this.outputs) {
        if (output.how !== 'replace') continue;
        current = output;
        const temporary = join(
          dirname(output.file),
          `.${basename(output.file)}.${randomBytes(6).toString('hex')}.tmp`,
        );
        const handle = await open(temporary, 'wx', output.keep ? 0o600 : 0o644);
        staged.push({ output, temporary });
        try {
          await handle.writeFile(content(output));
          if (output.keep) {
            // chown before chmod: chown clears set-user-ID bits.
            await handle.chown(output.keep.uid, output.keep.gid);
            await handle.chmod(output.keep.mode);
          }
        } finally {
          await handle.close();
        }
      }
      for (const output of this.outputs) {
        if (output.how === 'replace') continue;
        current = output;
        if (output.stdio) {
          await writeStdio(output.stdio, content(output));
          continue;
        }
        // Through: no O_CREAT (it exists), O_APPEND so a redirected stdout is added to, not overwritten.
        const flags =
          output.how === 'through'
            ? constants.O_WRONLY | constants.O_APPEND | constants.O_NOCTTY
            : constants.O_WRONLY | constants.O_TRUNC;
        const handle = await open(output.file, flags);
        try {
          await handle.writeFile(content(output));
        } finally {
          await handle.close();
        }
      }
      while (staged.length > 0) {
        const { output, temporary } = staged[0] as (typeof staged)[number];
        current = output;
        await rename(temporary, output.file);
        staged.shift();
      }
    } catch (error) {
      // Best effort: the write's own error is the one to report, not a leftover temporary file's.
      await Promise.all(staged.map(({ temporary }) => rm(temporary, { force: true }).catch(() => undefined)));
      if (error instanceof UserError) throw error;
      if (!errorCode(error)) throw error;
      throw new UserError(`cannot write ${current?.path ?? 'output'}: ${problem(error)}`);
    } finally {
      stopGuard();
    }
  }
}

/**
 * One file written safely (see OutputPlan): checked against `inputs`, replaced atomically when it
 * is a regular file, written through when it is a device, FIFO or /dev/stdout.
 */
export async function writeFileAtomic(
  path: string,
  content: string,
  inputs: readonly string[] = [],
): Promise<void> {
  const plan = await OutputPlan.check([path], inputs);
  await plan.write({ [path]: content });
}

/**
 * A new directory only this user can enter (mkdtemp makes it 0700), for files a run keeps to itself.
 * A temporary directory that cannot be made (TMPDIR missing, full or read-only) is the machine's
 * problem, not a bug. `parent` is a parameter so that tests can name one that fails.
 */
export async function makePrivateDirectory(parent: string = tmpdir()): Promise<string> {
  try {
    return await mkdtemp(join(parent, 'seccomp-learn-'));
  } catch (error) {
    throw new EnvironmentError(
      `cannot make a temporary directory in ${parent}: ${problem(error)} (set TMPDIR to a writable directory)`,
    );
  }
}

export async function readTextFile(path: string): Promise<string> {
  return readInput(path, () => readFile(path, 'utf8'));
}

/** The bytes of an input file (an ELF binary), with the same error as readTextFile. */
export async function readBinaryFile(path: string): Promise<Buffer> {
  return readInput(path, () => readFile(path));
}

async function readInput<T>(path: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw new InputError(
      path,
      undefined,
      `cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

/**
 * Parses JSON text, turning a syntax error into the file and line it is on. Integers beyond
 * Number.MAX_SAFE_INTEGER arrive as bigint, exact (see json-exact.ts), never rounded.
 */
export function parseJson(text: string, file: string): unknown {
  if (text.trim() === '') throw new InputError(file, undefined, 'empty file: expected JSON');
  try {
    return parseJsonExact(text);
  } catch (error) {
    const message = (error as Error).message;
    throw new InputError(file, lineAt(text, locateJson(text).errorAt), `invalid JSON: ${message}`);
  }
}

export async function readJsonFile(path: string): Promise<unknown> {
  return parseJson(await readTextFile(path), path);
}
