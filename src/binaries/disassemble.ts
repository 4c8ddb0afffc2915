import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { type ObjdumpListing, parseObjdump } from '../../parsers/objdump.js';
import { EnvironmentError, InputError } from '../errors.js';
import { makePrivateDirectory } from '../util/files.js';

export interface DisassembleOptions {
  /**
   * Only the `syscall` instructions of the file matter (a file taken whole): when it has none, as
   * python3 has none, the listing is empty rather than parsed, which costs as much as objdump.
   */
  syscallsOnly?: boolean;
  /**
   * The objdump commands that read the file's machine, tried in order until one is installed
   * (`objdump` for the host's own; `aarch64-linux-gnu-objdump` or `objdump-multiarch` for another).
   */
  objdumps?: readonly string[];
  /** The text that marks a syscall instruction in the listing (`\tsyscall`, `\tsvc\t`). */
  syscallText?: string;
}

/**
 * Disassembles the executable sections of `path` with binutils' objdump (AT&T syntax). objdump
 * writes to a private temporary file, not a pipe: while this process parses one listing (12 MB for
 * libc, 30 MB for python3), a pipe would fill and stop the objdump of the next file, and the
 * objdumps could not run beside the parsing.
 */
export async function disassemble(path: string, options: DisassembleOptions = {}): Promise<ObjdumpListing> {
  const directory = await makePrivateDirectory();
  const listingFile = join(directory, 'listing.txt');
  try {
    const objdumps = options.objdumps ?? ['objdump'];
    for (const [attempt, objdump] of objdumps.entries()) {
      try {
        await execa(objdump, ['-d', '--no-show-raw-insn', path], { stdout: { file: listingFile } });
        break;
      } catch (error) {
        if ((error as { code?: string }).code !== 'ENOENT' || attempt === objdumps.length - 1) throw error;
      }
    }
    const text = await readFile(listingFile, 'latin1');
    if (options.syscallsOnly && !text.includes(options.syscallText ?? '\tsyscall')) {
      return { labels: [], instructions: [] };
    }
    return parseObjdump(text.split('\n'));
  } catch (error) {
    const failure = error as { code?: string; stderr?: string; shortMessage?: string };
    if (failure.code === 'ENOENT') {
      const names = (options.objdumps ?? ['objdump']).join(' or ');
      throw new EnvironmentError(
        `${names} is not installed: reachability disassembles binaries with it (Debian/Ubuntu: apt-get install binutils; for aarch64 binaries on another machine binutils-aarch64-linux-gnu or binutils-multiarch)`,
      );
    }
    if (failure.stderr === undefined) throw error;
    const said = failure.stderr.trim().split('\n').at(-1) || failure.shortMessage || String(error);
    throw new InputError(path, undefined, `objdump cannot disassemble it: ${said}`);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
