import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { loadedFiles } from '../binaries/libraries.js';
import { reachableSyscalls } from '../binaries/reachable.js';
import type { Witness } from '../binaries/witness.js';
import { UserError } from '../errors.js';
import type { WidenChoice, WidenMode } from '../profile/equivalents.js';
import type { Recording } from '../recording/model.js';
import { findExecutable } from '../sources/host.js';
import type { Abi } from '../syscalls/abi.js';

export interface ReachableCalls {
  /** The mode the profile is made with: `auto` resolved. */
  mode: WidenMode;
  /** Per ABI of the binaries, what they can call, each name with one way it is reached. */
  reachable?: ReadonlyMap<Abi, ReadonlyMap<string, Witness>>;
  warnings: string[];
}

/**
 * The ELF file that runs `path`: itself, or for a script the interpreter its `#!` line names
 * (`/usr/bin/env NAME` looked up on PATH), followed as the kernel does, a few levels deep.
 */
async function interpreterOf(path: string, depth = 0): Promise<string | undefined> {
  let head: Buffer;
  try {
    const file = await open(path, 'r');
    try {
      head = Buffer.alloc(256);
      const { bytesRead } = await file.read(head, 0, head.length, 0);
      head = head.subarray(0, bytesRead);
    } finally {
      await file.close();
    }
  } catch (error) {
    throw new UserError(`--widen reachable: cannot read ${path}: ${(error as Error).message}`);
  }
  if (head[0] === 0x7f && head.toString('latin1', 1, 4) === 'ELF') return path;
  if (head.toString('latin1', 0, 2) !== '#!' || depth >= 4) return undefined;
  const [interpreter, argument] = head.toString('utf8', 2).split('\n')[0]?.trim().split(/\s+/) ?? [];
  if (interpreter === undefined) return undefined;
  const target =
    basename(interpreter) === 'env' && argument !== undefined ? await findExecutable(argument) : interpreter;
  return target === undefined ? undefined : interpreterOf(target, depth + 1);
}

/** The executables the recording's runs started, and those the user names. */
export function binariesOf(recording: Recording, named: readonly string[]): string[] {
  return [...new Set([...recording.provenance.flatMap((run) => run.binaries ?? []), ...named])];
}

/**
 * What the workload's binaries can call, for `--widen reachable`: each executable with the shared
 * libraries the dynamic loader gives it (those a container's image gave it, found when it was
 * recorded; else the host's), read through libc's call graph (src/binaries).
 */
export async function reachableCalls(
  choice: WidenChoice,
  recording: Recording,
  named: readonly string[],
): Promise<ReachableCalls> {
  if (choice === 'none' || choice === 'equivalents') return { mode: choice, warnings: [] };
  const mode = choice === 'auto' ? 'reachable' : choice;
  if (binariesOf(recording, named).length === 0) {
    if (choice === 'auto') {
      return {
        mode: 'equivalents',
        warnings: [
          'widened by equivalents only: the recording names no binary whose reachable calls could be read (record it with seccomp-learn record, or give --binary PATH)',
        ],
      };
    }
    throw new UserError(
      `--widen ${choice} needs the binaries the workload ran: the recording names none (record it with seccomp-learn record, or give --binary PATH)`,
    );
  }
  try {
    return { mode, ...(await readReachable(recording, named)) };
  } catch (error) {
    if (choice !== 'auto' || !(error instanceof UserError)) throw error;
    return {
      mode: 'equivalents',
      warnings: [
        `widened by equivalents only: what the binaries can call could not be read: ${error.message}`,
      ],
    };
  }
}

async function readReachable(
  recording: Recording,
  named: readonly string[],
): Promise<Omit<ReachableCalls, 'mode'>> {
  const warnings: string[] = [];
  const files = new Set<string>();
  const onHost = new Set(named);
  for (const run of recording.provenance) {
    if (run.libraries === undefined) {
      for (const binary of run.binaries ?? []) onHost.add(binary);
      continue;
    }
    for (const file of [...(run.binaries ?? []), ...run.libraries]) files.add(file);
  }
  for (const named of onHost) {
    const binary = await interpreterOf(named);
    if (binary === undefined) {
      warnings.push(
        `${named}: not an ELF executable nor a script naming one: what it can call is not counted`,
      );
      continue;
    }
    const loaded = await loadedFiles(binary);
    for (const file of loaded.files) files.add(file);
    for (const library of loaded.missing)
      warnings.push(`${binary}: its library ${library} was not found: what it can call is not counted`);
  }
  const reach = await reachableSyscalls([...files]);
  if (reach.unknownNumber.length > 0) {
    warnings.push(
      `${reach.unknownNumber.length} function(s) of these binaries make a syscall whose number is computed (syscall(2)): what they call cannot be known from the code`,
    );
  }
  return { reachable: reach.syscalls, warnings };
}
