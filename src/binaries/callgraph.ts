import type { ElfInfo } from '../../parsers/elf.js';
import type { ObjdumpInstruction, ObjdumpListing } from '../../parsers/objdump.js';
import { syscallName } from '../syscalls/table.js';
import { type InstructionSet, instructionSetOf } from './isa.js';

/**
 * The call graph of one x86_64 or aarch64 ELF file, from its disassembly down to its syscall
 * instructions (`syscall` with the number in %eax; `svc #0` with it in x8: isa.ts holds what
 * differs between the two).
 *
 * Nodes are code regions that start at a known entry (a label objdump printed, an exported
 * function, the target of a direct call, a code address loaded with `lea`, a place another region
 * jumps into) and end where the next one starts. A stripped library such
 * as Debian's libc.so.6 only names its exported functions, so its internal functions appear as
 * calls into the middle of an exported one's range: every call target starts a region of its own,
 * and a region whose last instruction before the padding is not ret/jmp/ud2/hlt (or a call to a
 * function that does not return) falls through into the next. Any direct jump
 * or call from one region into another (local labels, tail jumps, conditional tail jumps) is an
 * edge; jumps inside a region are not needed, since the whole region counts as reached. That also
 * covers a switch's jump table, whose targets lie inside its own function.
 *
 * SOUNDNESS: where this under-approximates (a syscall the code can make that no entry reaches here):
 * - indirect calls and jumps through function pointers held in data (`call *0x38(%rax)`, stdio's
 *   vtables: fclose reaches close only through _IO_file_jumps; atexit lists). They are counted,
 *   not followed. Pointers the caller passes in (qsort's comparator, pthread_create's routine) are
 *   the caller's code, which is taken whole.
 * - (per export) constructors (DT_INIT, .init_array) and functions whose address is stored in data
 *   are not reached from the exports: `entered` unites what they reach, which the caller adds for
 *   a library once it is entered (reachable.ts); for the C runtime it does not (stdio's vtables).
 * - a syscall whose number is computed (the setxid broadcast loads it from memory, musl's
 *   posix_spawn child keeps it in a register across its jump table): recorded as an unknown site,
 *   reported, never guessed. A number that is a function's argument (musl's `__syscall_cp(nr, …)`,
 *   syscall(2)) is looked for at every direct caller; an export taking it, or a region that takes
 *   such a function's address (`lea`, a jump table), reaches an unknown number.
 * What is over-approximated (more than the code can do): a region reached reaches all of itself,
 * every branch of every condition. A region that loads a code address with `lea` (a function
 * pointer taken: sigaction's signal trampoline, pthread_once's routine, an IFUNC resolver choosing
 * a variant) gets an edge to it, as if it called it: so an IFUNC reaches every variant its resolver
 * can pick, whether it is an exported IFUNC symbol or the `*ABS*+0xADDR@plt` slot of an
 * R_X86_64_IRELATIVE relocation through which libc calls its own memcpy.
 */

export interface Reach {
  /** Syscall names in the file's own ABI (x86_64 or aarch64), sorted. */
  syscalls: string[];
  /** Functions of other files it calls through the PLT, sorted. */
  imports: string[];
  /** It reaches a `syscall` instruction whose number was not found. */
  unknownNumber: boolean;
}

export interface CallGraphSummary {
  /** Exported function name → what it can reach (versions of one name are united). */
  exports: Record<string, Reach>;
  /** Everything in the file: the entry points of a program, whose every function may run. */
  whole: Reach;
  /**
   * What runs once the file is loaded or entered, whichever export is called: its constructors and
   * destructors (DT_INIT, .init_array, …), every function whose address a relocation stores in
   * data (callbacks, method tables: any code of the file may call them through a pointer), and the
   * functions of other files whose address it takes (`functionsTaken`), as imports. Empty when the
   * file is not analysed per export.
   */
  entered: Reach;
  regions: number;
  syscallSites: number;
  /** Addresses of the `syscall` instructions whose number was not found. */
  unknownSites: number[];
  indirectCalls: number;
}

/**
 * A region whose last real instruction is unconditional, or a call, does not run on into the next
 * region. A call there is to a function that does not return (__stack_chk_fail, abort,
 * __libc_fatal): a function that fell off its end after a returning call would run into its
 * neighbour's code.
 */
function terminates(isa: InstructionSet, instruction: ObjdumpInstruction): boolean {
  return (
    isa.unconditional(instruction.mnemonic) ||
    isa.branch(instruction) === 'call' ||
    isa.indirect(instruction) === 'call'
  );
}

/** Where an instruction's code is reached from: direct jumps to it, by instruction index. */
type JumpSources = ReadonlyMap<number, readonly number[]>;

interface ScanContext {
  isa: InstructionSet;
  instructions: readonly ObjdumpInstruction[];
  regionFirst: number;
  sources: JumpSources;
  /** (index, register) pairs on the current path: a loop adds no value of its own. */
  visiting: Set<string>;
  steps: number;
}

/**
 * What a register holds at one place: constants, and the argument registers of the region's start
 * it was copied from unchanged (musl's `__syscall_cp(nr, …)` makes the syscall with its first
 * argument: the number is found at its callers).
 */
interface Values {
  numbers: Set<number>;
  parameters: Set<string>;
}

/**
 * A site whose scan passes this many instructions is unknown: paths multiply at every block start,
 * and glibc 2.36's futex loops (number in a callee-saved register set at function entry) need ~10,000.
 */
const MAX_SCAN_STEPS = 50_000;

/**
 * The values `register` can hold just before instruction `from` runs, or undefined when one path
 * sets it from memory, from a call's result, or from something else than a constant. Walks back
 * through the region, into every jump that leads to a block start, and follows register-to-register
 * moves (`mov $0xca,%r8d … mov %r8d,%eax` set before a futex loop). A call keeps a callee-saved
 * register and clobbers the others. Reaching the region's start with an argument register gives
 * that parameter; `skipFirstJumps` leaves out the jumps into `from` itself (a fall-through edge,
 * whose other entries are edges of their own).
 */
function valuesBefore(
  context: ScanContext,
  from: number,
  startRegister: string,
  skipFirstJumps = false,
): Values | undefined {
  const { instructions, isa } = context;
  const key = `${from}:${startRegister}`;
  if (context.visiting.has(key)) return { numbers: new Set(), parameters: new Set() };
  context.visiting.add(key);
  try {
    let register = startRegister;
    // Values brought by jumps into the blocks passed so far; the straight-line path adds its own.
    const gathered: Values = { numbers: new Set(), parameters: new Set() };
    const gather = (found: Values) => {
      for (const value of found.numbers) gathered.numbers.add(value);
      for (const parameter of found.parameters) gathered.parameters.add(parameter);
    };
    for (let j = from - 1; j >= context.regionFirst; j--) {
      if (++context.steps > MAX_SCAN_STEPS) return undefined;
      const instruction = instructions[j] as ObjdumpInstruction;
      const passed = (instructions[j + 1] as ObjdumpInstruction).address;
      const jumps = skipFirstJumps && j === from - 1 ? undefined : context.sources.get(passed);
      if (jumps) {
        for (const source of jumps) {
          if (source < context.regionFirst) return undefined;
          const known = isa.valueOnJump(instructions, source, register);
          if (known !== undefined) {
            gathered.numbers.add(known);
            continue;
          }
          const found = valuesBefore(context, source, register);
          if (found === undefined) return undefined;
          gather(found);
        }
      }
      if (isa.unconditional(instruction.mnemonic)) return gathered;
      const effect = isa.effect(instruction, register);
      if (effect.kind === 'keeps') continue;
      if (effect.kind === 'unknown') return undefined;
      if (effect.kind === 'constant') {
        gathered.numbers.add(effect.value);
        return gathered;
      }
      register = effect.from;
    }
    if (!isa.argumentRegisters.includes(register)) return undefined;
    gathered.parameters.add(register);
    return gathered;
  } finally {
    context.visiting.delete(key);
  }
}

/** The import a PLT slot stands for (`fsync@plt` → fsync), or the IFUNC resolver address of `*ABS*+0x…@plt`. */
function pltTarget(symbol: string | undefined): { import: string } | { resolver: number } | undefined {
  if (symbol === undefined || !symbol.endsWith('@plt')) return undefined;
  const absolute = /^\*ABS\*\+0x([0-9a-f]+)@plt$/.exec(symbol);
  if (absolute) return { resolver: Number.parseInt(absolute[1] as string, 16) };
  return { import: symbol.slice(0, symbol.indexOf('@')) };
}

interface Region {
  first: number;
  last: number;
  successors: Set<number>;
  syscalls: Set<string>;
  imports: Set<string>;
  unknown: boolean;
  /** Argument registers whose value at the region's start is made a syscall's number. */
  parameters: Set<string>;
  /** Direct calls, jumps and the fall-through out of the region: where a parameter is looked for. */
  exits: { index: number; to: number; fallThrough: boolean }[];
  /**
   * Regions it enters otherwise than by a direct branch or fall-through (a code address it takes,
   * its jump table's cases): it may enter them with any argument.
   */
  takesIndirectly: number[];
}

/** Index of the last element of sorted `values` that is <= `value`, or -1. */
function floorIndex(values: readonly number[], value: number): number {
  let low = 0;
  let high = values.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if ((values[middle] as number) <= value) {
      found = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}

function inCode(elf: ElfInfo, address: number): boolean {
  return elf.executableSegments.some((s) => address >= s.address && address < s.address + s.size);
}

/** Regions in address order, one per start that has instructions (data symbols and gaps have none). */
function regionsFrom(
  instructions: readonly ObjdumpInstruction[],
  starts: ReadonlySet<number>,
): { regions: Region[]; regionStarts: number[]; regionOf: (address: number) => number } {
  const regions: Region[] = [];
  const regionStarts: number[] = [];
  const sortedStarts = [...starts].sort((a, b) => a - b);
  let nextStart = 0;
  for (let i = 0; i < instructions.length; i++) {
    const address = (instructions[i] as ObjdumpInstruction).address;
    let opens = regions.length === 0;
    while (nextStart < sortedStarts.length && (sortedStarts[nextStart] as number) <= address) {
      opens = true;
      nextStart++;
    }
    if (opens) {
      const previous = regions.at(-1);
      if (previous) previous.last = i - 1;
      regions.push({
        first: i,
        last: i,
        successors: new Set(),
        syscalls: new Set(),
        imports: new Set(),
        unknown: false,
        parameters: new Set(),
        exits: [],
        takesIndirectly: [],
      });
      regionStarts.push(address);
    }
  }
  const lastRegion = regions.at(-1);
  if (lastRegion) lastRegion.last = instructions.length - 1;
  const regionOf = (address: number): number => {
    const index = floorIndex(regionStarts, address);
    if (index < 0) return -1;
    const region = regions[index] as Region;
    const last = instructions[region.last] as ObjdumpInstruction;
    // Past the region's last instruction by more than an instruction's length: not code we saw.
    return address <= last.address + 15 ? index : -1;
  };
  return { regions, regionStarts, regionOf };
}

/**
 * `perExport` false skips what each export reaches (the component analysis): a program's or an
 * ordinary library's code is taken whole, and python3 alone has 1,700 exports.
 */
export function buildCallGraph(
  elf: ElfInfo,
  listing: ObjdumpListing,
  options: { perExport: boolean } = { perExport: true },
): CallGraphSummary {
  const isa = instructionSetOf(elf.machine);
  if (isa === undefined) throw new Error(`no instruction set for ${elf.machine}`);
  const instructions = inAddressOrder(listing.instructions);
  const exportedFunctions = elf.exports.filter((s) => s.type === 'func' || s.type === 'ifunc');

  const starts = new Set<number>(listing.labels.map((label) => label.address));
  for (const symbol of exportedFunctions) starts.add(symbol.address);
  // Code reached through data: constructors and the addresses relocations store (stripped
  // libraries do not name them, so each starts a region of its own).
  const enteredAddresses = [...elf.initializers, ...elf.addressTaken].filter((address) =>
    inCode(elf, address),
  );
  for (const address of enteredAddresses) starts.add(address);
  // GOT entries holding a function's address: the code that loads one takes (or calls) it, as with
  // `lea`. An entry no instruction is seen to load counts as stored in data.
  const gotSlots = new Map(elf.gotEntries.map((entry) => [entry.slot, entry]));
  const gotLoaded = new Set<number>();
  for (const entry of elf.gotEntries) if (entry.address !== undefined) starts.add(entry.address);
  const jumpSources = new Map<number, number[]>();
  const references = new Map<number, number>();
  instructions.forEach((instruction, index) => {
    const reference = isa.codeReference(instructions, index);
    if (reference !== undefined && inCode(elf, reference)) {
      starts.add(reference);
      references.set(index, reference);
    }
    const branch = isa.branch(instruction);
    if (branch === undefined || instruction.target === undefined) return;
    const plt = pltTarget(instruction.targetSymbol);
    if (plt && 'resolver' in plt) starts.add(plt.resolver);
    if (branch === 'call') {
      starts.add(instruction.target);
      return;
    }
    const sources = jumpSources.get(instruction.target);
    if (sources) sources.push(index);
    else jumpSources.set(instruction.target, [index]);
  });

  // First the regions the entries make; then every jump from one of them into the middle of
  // another starts a region of its own. That separates the cold fragments GCC moves out of line
  // (`fsync.cold`, entered and left by jumps), which glibc keeps together in front of .text: as
  // one region they tied every function with a cold path to every other (abort's neighbours).
  const first = regionsFrom(instructions, starts);
  for (const instruction of instructions) {
    if (isa.branch(instruction) !== 'jump' || instruction.target === undefined) continue;
    const to = first.regionOf(instruction.target);
    if (to >= 0 && to !== first.regionOf(instruction.address)) starts.add(instruction.target);
  }
  const { regions, regionStarts, regionOf } = regionsFrom(instructions, starts);
  // A jump table (`notrack jmp *%rax`, `br x1`) goes to places inside its function that no direct
  // jump may name: a region holding one keeps an edge to every region split off the same first region.
  const firstOf = regionStarts.map((address) => first.regionOf(address));
  const scan = (region: Region, from: number, register: string, fallThrough = false) =>
    valuesBefore(
      { isa, instructions, regionFirst: region.first, sources: jumpSources, visiting: new Set(), steps: 0 },
      from,
      register,
      fallThrough,
    );
  /** Adds the syscalls `values` names to `region`; an unnamed number or no value makes it unknown. */
  const record = (region: Region, values: Values | undefined): boolean => {
    if (values === undefined) {
      region.unknown = true;
      return false;
    }
    let grew = false;
    for (const number of values.numbers) {
      const name = syscallName(isa.abi, number);
      if (name === undefined) region.unknown = true;
      else region.syscalls.add(name);
    }
    for (const parameter of values.parameters) {
      if (region.parameters.has(parameter)) continue;
      region.parameters.add(parameter);
      grew = true;
    }
    return grew;
  };

  let syscallSites = 0;
  const unknownSites: number[] = [];
  let indirectCalls = 0;
  regions.forEach((region, index) => {
    for (let i = region.first; i <= region.last; i++) {
      const instruction = instructions[i] as ObjdumpInstruction;
      if (isa.isSyscall(instruction)) {
        syscallSites++;
        const values = scan(region, i, isa.numberRegister);
        const named =
          values !== undefined && [...values.numbers].every((n) => syscallName(isa.abi, n) !== undefined);
        if (values === undefined || !named || (values.numbers.size === 0 && values.parameters.size === 0)) {
          unknownSites.push(instruction.address);
          region.unknown = true;
        }
        record(region, values);
        continue;
      }
      const branch = isa.branch(instruction);
      if (branch !== undefined && instruction.target !== undefined) {
        const plt = pltTarget(instruction.targetSymbol);
        if (plt && 'import' in plt) {
          region.imports.add(plt.import);
          continue;
        }
        const to = regionOf(plt ? plt.resolver : instruction.target);
        if (to >= 0 && to !== index) {
          region.successors.add(to);
          region.exits.push({ index: i, to, fallThrough: false });
        }
        continue;
      }
      const indirect = isa.indirect(instruction);
      if (indirect !== undefined) {
        indirectCalls++;
        if (indirect === 'jump') {
          firstOf.forEach((group, other) => {
            if (group !== firstOf[index] || other === index) return;
            region.successors.add(other);
            region.takesIndirectly.push(other);
          });
        }
        continue;
      }
      const slot = gotSlots.size > 0 ? isa.dataReference(instruction) : undefined;
      const got = slot === undefined ? undefined : gotSlots.get(slot);
      if (got) {
        gotLoaded.add(got.slot);
        region.imports.add(got.name);
        const to = got.address === undefined ? -1 : regionOf(got.address);
        if (to >= 0 && to !== index) {
          region.successors.add(to);
          region.takesIndirectly.push(to);
        }
      }
      const reference = references.get(i);
      if (reference !== undefined) {
        const to = regionOf(reference);
        if (to >= 0 && to !== index) {
          region.successors.add(to);
          region.takesIndirectly.push(to);
        }
      }
    }
    let last = region.last;
    while (last > region.first && isa.isPadding(instructions[last] as ObjdumpInstruction)) last--;
    const final = instructions[last] as ObjdumpInstruction;
    if (!terminates(isa, final) && index + 1 < regions.length) {
      region.successors.add(index + 1);
      region.exits.push({ index: last + 1, to: index + 1, fallThrough: true });
    }
  });

  // A region that makes a syscall with the number it was given (musl's __syscall_cp and
  // __syscall_cp_asm, syscall(2)) gets it from whoever enters it: each direct caller, jumper or
  // fall-through is scanned for that register, until no region gains a parameter.
  const done = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    regions.forEach((region) => {
      for (const exit of region.exits) {
        for (const parameter of (regions[exit.to] as Region).parameters) {
          const key = `${exit.index}:${exit.to}:${parameter}`;
          if (done.has(key)) continue;
          done.add(key);
          if (record(region, scan(region, exit.index, parameter, exit.fallThrough))) changed = true;
        }
      }
    });
  }
  // Given by code we do not see: an export's caller outside the file. And a region that takes the
  // address of one (or jumps into one through a table) may call it with any number: as `lea` is
  // followed as if it were a call, the region taking it reaches an unknown number. (musl's cancel
  // handler takes __syscall_cp_asm's address only to compare the interrupted PC with it.)
  const exportStarts = new Set(exportedFunctions.map((symbol) => symbol.address));
  regions.forEach((region, index) => {
    if (region.parameters.size > 0 && exportStarts.has(regionStarts[index] as number)) region.unknown = true;
    if (region.takesIndirectly.some((to) => (regions[to] as Region).parameters.size > 0))
      region.unknown = true;
  });

  const exports: Record<string, Reach> = {};
  const reach = options.perExport ? reachability(regions) : [];
  for (const symbol of options.perExport ? exportedFunctions : []) {
    const index = regionOf(symbol.address);
    if (index < 0 || regionStarts[index] !== symbol.address) continue;
    const found = reach[index] as RegionReach;
    exports[symbol.name] = unite(exports[symbol.name], found);
  }
  // United in sets, sorted once: libcrypto stores 3,000 code addresses and has 14,000 regions.
  let entered: Reach = { syscalls: [], imports: [], unknownNumber: false };
  if (options.perExport) {
    const unseen = elf.gotEntries.filter((entry) => !gotLoaded.has(entry.slot));
    const addresses = [...enteredAddresses, ...unseen.flatMap((entry) => entry.address ?? [])];
    const indices = new Set(addresses.map((address) => regionOf(address)).filter((index) => index >= 0));
    entered = uniteAll([
      {
        syscalls: [],
        imports: [...elf.functionsTaken, ...unseen.map((entry) => entry.name)],
        unknownNumber: false,
      },
      ...[...indices].map((index) => reach[index] as RegionReach),
    ]);
  }
  const whole = uniteAll(
    regions.map((region) => ({
      syscalls: region.syscalls,
      imports: region.imports,
      unknownNumber: region.unknown,
    })),
  );
  return { exports, whole, entered, regions: regions.length, syscallSites, unknownSites, indirectCalls };
}

/** objdump prints sections in file order, which is address order in every file seen; sorted otherwise. */
function inAddressOrder(instructions: readonly ObjdumpInstruction[]): readonly ObjdumpInstruction[] {
  for (let i = 1; i < instructions.length; i++) {
    if (
      (instructions[i] as ObjdumpInstruction).address < (instructions[i - 1] as ObjdumpInstruction).address
    ) {
      return [...instructions].sort((a, b) => a.address - b.address);
    }
  }
  return instructions;
}

interface RegionReach {
  syscalls: ReadonlySet<string> | readonly string[];
  imports: ReadonlySet<string> | readonly string[];
  unknownNumber: boolean;
}

/** The union of many reaches, each name added once and the lists sorted at the end. */
function uniteAll(parts: readonly RegionReach[]): Reach {
  const syscalls = new Set<string>();
  const imports = new Set<string>();
  let unknownNumber = false;
  for (const part of parts) {
    for (const name of part.syscalls) syscalls.add(name);
    for (const name of part.imports) imports.add(name);
    unknownNumber ||= part.unknownNumber;
  }
  return { syscalls: [...syscalls].sort(), imports: [...imports].sort(), unknownNumber };
}

function unite(a: Reach | undefined, b: RegionReach): Reach {
  return {
    syscalls: [...new Set([...(a?.syscalls ?? []), ...b.syscalls])].sort(),
    imports: [...new Set([...(a?.imports ?? []), ...b.imports])].sort(),
    unknownNumber: (a?.unknownNumber ?? false) || b.unknownNumber,
  };
}

/**
 * What every region reaches: Tarjan's strongly connected components (iterative, libc's graph is
 * deep), each component's sets the union of its members' and of the components below it, which
 * Tarjan's algorithm completes first.
 */
function reachability(regions: readonly Region[]): RegionReach[] {
  const count = regions.length;
  const order = new Int32Array(count).fill(-1);
  const low = new Int32Array(count);
  const onStack = new Uint8Array(count);
  const component = new Int32Array(count).fill(-1);
  const componentReach: { syscalls: Set<string>; imports: Set<string>; unknownNumber: boolean }[] = [];
  const stack: number[] = [];
  let counter = 0;
  for (let root = 0; root < count; root++) {
    if (order[root] !== -1) continue;
    const work: { node: number; successors: number[]; next: number }[] = [];
    const enter = (node: number) => {
      order[node] = low[node] = counter++;
      stack.push(node);
      onStack[node] = 1;
      work.push({ node, successors: [...(regions[node] as Region).successors], next: 0 });
    };
    enter(root);
    while (work.length > 0) {
      const frame = work[work.length - 1] as (typeof work)[number];
      if (frame.next < frame.successors.length) {
        const successor = frame.successors[frame.next++] as number;
        if (order[successor] === -1) enter(successor);
        else if (onStack[successor])
          low[frame.node] = Math.min(low[frame.node] as number, order[successor] as number);
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low[parent.node] = Math.min(low[parent.node] as number, low[frame.node] as number);
      if (low[frame.node] !== order[frame.node]) continue;
      const id = componentReach.length;
      const members: number[] = [];
      let member: number;
      do {
        member = stack.pop() as number;
        onStack[member] = 0;
        component[member] = id;
        members.push(member);
      } while (member !== frame.node);
      const sets = { syscalls: new Set<string>(), imports: new Set<string>(), unknownNumber: false };
      for (const node of members) {
        const region = regions[node] as Region;
        for (const name of region.syscalls) sets.syscalls.add(name);
        for (const name of region.imports) sets.imports.add(name);
        sets.unknownNumber ||= region.unknown;
        for (const successor of region.successors) {
          const below = component[successor] as number;
          if (below === id) continue;
          const reached = componentReach[below] as (typeof componentReach)[number];
          for (const name of reached.syscalls) sets.syscalls.add(name);
          for (const name of reached.imports) sets.imports.add(name);
          sets.unknownNumber ||= reached.unknownNumber;
        }
      }
      componentReach.push(sets);
    }
  }
  return regions.map((_, node) => componentReach[component[node] as number] as RegionReach);
}
