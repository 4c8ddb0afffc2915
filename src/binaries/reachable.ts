import { realpath, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { type ElfInfo, parseElf } from '../../parsers/elf.js';
import { InputError } from '../errors.js';
import type { Abi } from '../syscalls/abi.js';
import { readBinaryFile } from '../util/files.js';
import { cacheKey, defaultCacheDirectory, readCached, writeCached } from './cache.js';
import { buildCallGraph, type CallGraphSummary, type Reach } from './callgraph.js';
import { disassemble } from './disassemble.js';
import { type InstructionSet, instructionSetOf } from './isa.js';
import type { Witness } from './witness.js';

/**
 * What the ELF files a workload ran can call: the union, over the programs and libraries it mapped,
 * of the syscalls their own code makes and of those the library functions they import can reach.
 * Machines: x86_64 (glibc and musl) and aarch64 (glibc; musl's aarch64 libc.so is read the same
 * way but has not been checked here). The answer is per ABI, each name in the table of the files'
 * own ABI (aarch64 has openat, not open): an import is followed only into files of its ABI.
 *
 * Programs (a file with a program interpreter and no soname, or a static one) and the program
 * interpreter (its start code runs in every process; for musl: all of libc) are taken whole: each of
 * their syscall instructions and each function they import. Every shared library is analysed per
 * exported function: the C runtime (glibc's libc.so.6 and its old satellites libpthread, librt,
 * libdl, libresolv, the dynamic linker; musl's libc.so, which has no soname and is known by its file
 * names, libc.so and ld-musl-ARCH.so.1) and every other one (libsystemd, libcrypto, libm, …): a
 * program that imports fsync gets what fsync reaches, not all of libc, and one that imports
 * sd_notify what sd_notify reaches, not all of libsystemd. An import is followed into every file
 * exporting it, and on through that file's own imports. A library other than the runtime is also
 * *entered* by the first of its exports followed, or by its constructors at load: then what its
 * constructors and destructors reach, and every function whose address a relocation stores in data
 * (callbacks, method tables: any of its code may call them through a pointer), is reached too,
 * with the witness of the import that entered it. A library no given file names in DT_NEEDED was
 * loaded with dlopen and is looked up with dlsym: each of its exports is an entry point.
 *
 * SOUNDNESS (see docs/reachability.md for the whole argument):
 * - Within the C runtime, only direct calls are followed (callgraph.ts): a function reached only
 *   through a function pointer stored in data (stdio's vtables) is missed unless it is imported or
 *   reached directly elsewhere. Other libraries count every such function once entered; in every
 *   file a function pointer taken in code (lea, a GOT load) is reached with the code taking it.
 * - A function of a DT_NEEDED library that the program looks up by name (dlsym) is not seen.
 * - aarch64 GOT loads (adrp + ldr) are not decoded: every GOT entry counts as stored in data.
 * - A syscall whose number is computed at run time cannot be named: the entry points that reach one
 *   are listed in `unknownNumber` (syscall(2); glibc's setxid broadcast; musl's setxid, its
 *   posix_spawn child, and every function that reaches musl's cancellation handler, which takes
 *   __syscall_cp_asm's address). A number passed as an argument (musl's `__syscall_cp(nr, …)`) is
 *   found at each direct caller.
 * - A statically linked program has no imports: the whole binary is the graph, which is sound
 *   and coarse (every syscall its copy of libc can make).
 * - Files loaded with dlopen (python's extension modules, NSS modules, iconv's gconv modules) are
 *   mapped files like the rest: the caller must pass them (from /proc/PID/maps); what is not
 *   passed is not analysed. Imports that no given file provides are listed in `unresolved`.
 * - Other machines (and 32-bit files) are refused with an input error naming the file.
 */

export interface AnalysedBinary {
  path: string;
  elf: ElfInfo;
  summary: CallGraphSummary;
  /** Part of the C runtime: analysed per exported function. */
  runtime: boolean;
  /**
   * Another shared library (no program interpreter, not the C runtime): analysed per exported
   * function, with what runs whenever it is entered (constructors, address-taken functions).
   */
  library: boolean;
  fromCache: boolean;
}

export interface Reachability {
  /**
   * Per ABI of the files (x86_64, aarch64), each reachable syscall name in that ABI's table with
   * one way it is reached, in name order. A file's imports are followed only into the runtime
   * files of its own ABI.
   */
  syscalls: Map<Abi, Map<string, Witness>>;
  /** Entry points that reach a `syscall` instruction whose number is computed. */
  unknownNumber: Witness[];
  /** Imported functions that no given file exports: a library not passed, or a weak reference. */
  unresolved: Witness[];
  binaries: AnalysedBinary[];
}

export interface ReachOptions {
  /** Where call graphs are cached by build id (defaultCacheDirectory()); `false` disables the cache. */
  cacheDirectory?: string | false;
  /** How many objdump processes run at once; default the CPUs available. */
  concurrency?: number;
  /**
   * Take every library other than the C runtime whole (each syscall instruction and import), as
   * before libraries were read per export: coarser, for comparison.
   */
  wholeLibraries?: boolean;
}

const RUNTIME_SONAME =
  /^(libc\.so(\.\d+)?|libpthread\.so\.\d+|librt\.so\.\d+|libdl\.so\.\d+|libresolv\.so\.\d+|libutil\.so\.\d+|ld-linux[\w.-]*\.so\.\d+|ld-musl-[\w]+\.so\.\d+)$/;

/**
 * musl's libc.so has no DT_SONAME: it is known by its file names (`libc.so` beside musl's crt
 * files, `ld-musl-x86_64.so.1` as the program interpreter, Alpine's `libc.musl-x86_64.so.1`).
 */
const MUSL_FILE = /^(libc\.so|ld-musl-\w+\.so\.1|libc\.musl-\w+\.so\.1)$/;

/**
 * glibc's and musl's own libraries, whose exports are entry points analysed one by one. Not libm:
 * it makes no syscalls and imports a few stdio functions, so taking it whole is as precise and
 * spares disassembling 900 KB into a call graph.
 */
export function isCRuntime(elf: ElfInfo, path?: string): boolean {
  if (elf.soname !== undefined) return RUNTIME_SONAME.test(elf.soname);
  return (
    path !== undefined &&
    elf.interpreter === undefined &&
    elf.needed.length === 0 &&
    elf.exports.length > 0 &&
    MUSL_FILE.test(basename(path))
  );
}

/**
 * A shared library, analysed per exported function: a shared object that is not statically linked
 * and has either no program interpreter (a PIE program has one) or a soname (libcap.so.2 and
 * libc.so.6 can be run, to print their version, so they have both). libm is one: it makes no
 * syscalls. One that is run as a program is still taken whole (`combine`).
 */
export function isLibrary(elf: ElfInfo): boolean {
  return (
    elf.type === 'shared' &&
    !elf.staticallyLinked &&
    (elf.interpreter === undefined || elf.soname !== undefined)
  );
}

/** Reads, disassembles (or finds in the cache) and summarises one x86_64 or aarch64 ELF file. */
export async function analyseBinary(path: string, options: ReachOptions = {}): Promise<AnalysedBinary> {
  const bytes = await readBinaryFile(path);
  const elf = parseElf(bytes, path);
  const isa = instructionSetOf(elf.machine);
  if (isa === undefined || elf.elfClass !== 64) {
    throw new InputError(
      path,
      undefined,
      `reachability reads 64-bit x86_64 and aarch64 binaries only; this one is ${elf.elfClass}-bit ${elf.machine}`,
    );
  }
  // The basename of the path as given (/lib/ld-musl-x86_64.so.1) or of the file it links to.
  const runtime = isCRuntime(elf, path) || isCRuntime(elf, await realpath(path).catch(() => path));
  const library = !runtime && isLibrary(elf);
  const directory = options.cacheDirectory ?? defaultCacheDirectory();
  const key = cacheKey(elf.buildId, () => bytes);
  const cached = directory === false ? undefined : await readCached(directory, key);
  if (cached) return { path, elf, summary: cached, runtime, library, fromCache: true };
  const listing = await disassemble(path, {
    syscallsOnly: !runtime && !library,
    objdumps: isa.objdumps,
    syscallText: isa.listingMarker,
  });
  const summary = buildCallGraph(elf, listing, { perExport: runtime || library });
  if (directory !== false) await writeCached(directory, key, elf.machine, summary);
  return { path, elf, summary, runtime, library, fromCache: false };
}

/**
 * `work` on every item, at most `limit` at a time, results in the items' order; items are started
 * in `startOrder` (indices), so that the longest jobs do not start last and run alone.
 */
async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  startOrder: readonly number[],
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < startOrder.length) {
      const index = startOrder[next++] as number;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

const CALLABLE = new Set(['func', 'ifunc', 'other']);

/** glibc's initialisation, which ld.so looks up and calls in every process (elf/libc_early_init.c). */
const RUNTIME_START = ['__libc_early_init'];

/**
 * The syscalls that the given files (an executable first, then the libraries and modules it mapped)
 * can reach. When the first file is itself part of the C runtime (libc run as a program, or asked
 * about alone), each of its exports is an entry point.
 */
export async function reachableSyscalls(
  files: readonly string[],
  options: ReachOptions = {},
): Promise<Reachability> {
  // /lib64/ld-linux-x86-64.so.2 and /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 are one file.
  const real = await Promise.all(files.map((file) => realpath(file).catch(() => file)));
  const unique = files.filter((_, index) => real.indexOf(real[index] as string) === index);
  // Disassembly time grows with size: the largest files (python3, libc) start first.
  const sizes = await Promise.all(
    unique.map((file) =>
      stat(file).then(
        (info) => info.size,
        () => 0,
      ),
    ),
  );
  const largestFirst = unique
    .map((_, index) => index)
    .sort((a, b) => (sizes[b] as number) - (sizes[a] as number));
  const binaries = await mapLimited(
    unique,
    options.concurrency ?? availableParallelism(),
    largestFirst,
    (file) => analyseBinary(file, options),
  );
  const syscalls = new Map<Abi, Map<string, Witness>>();
  const unknownNumber: Witness[] = [];
  const unresolved: Witness[] = [];
  for (const abi of new Set(binaries.map(abiOf))) {
    const found = combine(
      binaries.filter((binary) => abiOf(binary) === abi),
      binaries[0] as AnalysedBinary,
      options.wholeLibraries ?? false,
    );
    syscalls.set(abi, found.syscalls);
    unknownNumber.push(...found.unknownNumber);
    unresolved.push(...found.unresolved);
  }
  return { syscalls, unknownNumber, unresolved, binaries };
}

function abiOf(binary: AnalysedBinary): Abi {
  return (instructionSetOf(binary.elf.machine) as InstructionSet).abi;
}

/**
 * What the files of one ABI reach together. Programs (and the program interpreter) are taken whole;
 * the C runtime and every other shared library through the exports that are imported, followed
 * transitively; a library also through what runs when it is entered (`CallGraphSummary.entered`:
 * constructors, address-taken functions). A library no given file names in DT_NEEDED was loaded
 * with dlopen, and `first` (of any ABI), when it is the runtime or a library, was asked about
 * alone: each of their exports is an entry point (dlsym can look up any).
 */
function combine(
  binaries: readonly AnalysedBinary[],
  first: AnalysedBinary,
  wholeLibraries: boolean,
): Pick<Reachability, 'unknownNumber' | 'unresolved'> & { syscalls: Map<string, Witness> } {
  const syscalls = new Map<string, Witness>();
  const unknownNumber: Witness[] = [];
  const unresolved: Witness[] = [];

  // The program interpreter runs its own start code in every dynamic process: it is taken whole.
  // musl's libc.so has no soname: as the interpreter it is named by its path (ld-musl-x86_64.so.1).
  const interpreters = new Set(
    binaries.flatMap((binary) => (binary.elf.interpreter ? [basename(binary.elf.interpreter)] : [])),
  );
  const isInterpreter = (binary: AnalysedBinary) =>
    interpreters.has(binary.elf.soname ?? '') ||
    (binary.elf.soname === undefined && interpreters.has(basename(binary.path)));
  const needed = new Set(binaries.flatMap((binary) => binary.elf.needed));
  const kindOf = (binary: AnalysedBinary): 'whole' | 'runtime' | 'library' | 'loaded' => {
    if (isInterpreter(binary) || (!binary.runtime && (!binary.library || wholeLibraries))) return 'whole';
    if (binary.runtime) return 'runtime';
    const named = needed.has(binary.elf.soname ?? '') || needed.has(basename(binary.path));
    if (binary !== first && named) return 'library';
    // A library with an interpreter that no file needs was run as a program: its own entry runs.
    return binary.elf.interpreter === undefined ? 'loaded' : 'whole';
  };
  const kinds = new Map(binaries.map((binary) => [binary, kindOf(binary)]));

  // Which file exports which function: the dynamic linker binds an import to the first in load
  // order, but every exporter is taken, so that the order given does not matter.
  const exporters = new Map<string, AnalysedBinary[]>();
  for (const binary of binaries) {
    if (!binary.runtime && kinds.get(binary) === 'whole') continue;
    for (const name of Object.keys(binary.summary.exports)) {
      exporters.set(name, [...(exporters.get(name) ?? []), binary]);
    }
  }

  const add = (reach: Reach, witness: Witness) => {
    for (const name of reach.syscalls) {
      const held = syscalls.get(name);
      // Prefer the witness that is the call itself (fsync through fsync) over one that passes by.
      if (!held || (witness.function === name && held.function !== name)) syscalls.set(name, witness);
    }
    if (reach.unknownNumber) unknownNumber.push(witness);
  };

  // A library entered once (by the first of its exports followed, else by its constructors) adds
  // what runs whenever it is used: its constructors and the functions whose address it stores.
  const entered = new Set<AnalysedBinary>();
  const enter = (binary: AnalysedBinary, witness: Witness) => {
    if (!binary.library || kinds.get(binary) === 'whole' || entered.has(binary)) return;
    entered.add(binary);
    add(binary.summary.entered, witness);
    for (const inner of binary.summary.entered.imports) follow(inner, witness, new Set());
  };
  const follow = (name: string, witness: Witness, seen: Set<string>) => {
    for (const binary of exporters.get(name) ?? []) {
      const key = `${binary.path}\0${name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      enter(binary, witness);
      const reach = binary.summary.exports[name] as Reach;
      add(reach, witness);
      for (const inner of reach.imports) follow(inner, witness, seen);
    }
  };
  const allExports = (binary: AnalysedBinary) => {
    enter(binary, { binary: binary.path });
    for (const name of Object.keys(binary.summary.exports).sort()) {
      follow(name, { function: name, binary: binary.path }, new Set());
    }
  };

  const providesAnything = new Set(
    binaries.flatMap((binary) => binary.elf.exports.map((symbol) => symbol.name)),
  );
  for (const binary of binaries) {
    const kind = kinds.get(binary);
    if (binary.runtime && binary === first) allExports(binary);
    else if (binary.runtime) {
      // Called by the dynamic linker by name at start, never imported.
      for (const name of RUNTIME_START.filter((start) => start in binary.summary.exports)) {
        follow(name, { function: name, binary: binary.path }, new Set());
      }
    }
    if (kind !== 'whole') continue;
    add({ ...binary.summary.whole, imports: [] }, { binary: binary.path });
    const imported = binary.elf.imports.filter((symbol) => CALLABLE.has(symbol.type));
    const weak = new Set(imported.filter((symbol) => symbol.bind === 'weak').map((symbol) => symbol.name));
    for (const name of [...new Set(imported.map((symbol) => symbol.name))].sort()) {
      const witness = { function: name, binary: binary.path };
      if (!providesAnything.has(name)) {
        // A weak reference left unbound is by design (__gmon_start__, _ITM_*): the code checks for it.
        if (!weak.has(name)) unresolved.push(witness);
        continue;
      }
      follow(name, witness, new Set());
    }
  }
  for (const binary of binaries) if (kinds.get(binary) === 'loaded') allExports(binary);
  // Constructors run at load, whether or not an export is ever called.
  for (const binary of binaries) {
    if (kinds.get(binary) === 'library' && binary.elf.initializers.length > 0) {
      enter(binary, { binary: binary.path });
    }
  }
  const sorted = new Map([...syscalls].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { syscalls: sorted, unknownNumber, unresolved };
}
