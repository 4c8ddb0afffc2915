import type { ElfInfo } from '../../parsers/elf.js';
import { type ObjdumpInstruction, type ObjdumpListing, splitOperands } from '../../parsers/objdump.js';
import { syscallName } from '../syscalls/table.js';

/**
 * The call graph of one x86_64 ELF file, from its disassembly down to its `syscall` instructions.
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
 * - constructors (DT_INIT, .init_array) of a library analysed per export: they run at load, so every
 *   recording sees their calls.
 * - a `syscall` whose number is computed (glibc's syscall(2) takes it as an argument, the setxid
 *   broadcast loads it from memory): recorded as an unknown site, reported, never guessed.
 * What is over-approximated (more than the code can do): a region reached reaches all of itself,
 * every branch of every condition. A region that loads a code address with `lea` (a function
 * pointer taken: sigaction's signal trampoline, pthread_once's routine, an IFUNC resolver choosing
 * a variant) gets an edge to it, as if it called it: so an IFUNC reaches every variant its resolver
 * can pick, whether it is an exported IFUNC symbol or the `*ABS*+0xADDR@plt` slot of an
 * R_X86_64_IRELATIVE relocation through which libc calls its own memcpy.
 */

export interface Reach {
  /** Syscall names (x86_64), sorted. */
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
  regions: number;
  syscallSites: number;
  /** Addresses of the `syscall` instructions whose number was not found. */
  unknownSites: number[];
  indirectCalls: number;
}

/**
 * A region whose last real instruction is one of these does not run on into the next region. A
 * call there is to a function that does not return (__stack_chk_fail, abort, __libc_fatal): a
 * function that fell off its end after a returning call would run into its neighbour's code.
 */
const TERMINATORS = /^(ret|jmp|ud2|hlt|call)/;
/** Alignment padding between functions (multi-byte nops, int3 fill, bytes objdump cannot decode). */
const PADDING = /^(nop|xchg|int3|\(bad\)|data16|cs|endbr64)/;
const IMPLICIT_RAX_WRITERS = new Set([
  'cpuid',
  'rdtsc',
  'rdtscp',
  'rdrand',
  'rdpid',
  'cqto',
  'cltd',
  'xgetbv',
]);
const EXCHANGES = /^(xchg|xadd|cmpxchg)/;
const MOVES = /^(mov|movl|movq|movabs|movz\w+|movs\w{2,3}|cmov\w+)$/;

/** %eax, %ax, %al → rax; %r8d → r8; so that a write to any width of a register is seen. */
function registerFamily(operand: string): string | undefined {
  const match = /^%([a-z0-9]+)$/.exec(operand.trim());
  if (!match) return undefined;
  const name = match[1] as string;
  const numbered = /^r(\d+)[dwb]?$/.exec(name);
  if (numbered) return `r${numbered[1]}`;
  const legacy = /^[re]?([abcd])[xlh]$/.exec(name);
  if (legacy) return `r${legacy[1]}x`;
  const index = /^[re]?(si|di|sp|bp)l?$/.exec(name);
  if (index) return `r${index[1]}`;
  return name;
}

function isPadding(instruction: ObjdumpInstruction): boolean {
  return (
    PADDING.test(instruction.mnemonic) &&
    (instruction.mnemonic !== 'xchg' || instruction.operands === '%ax,%ax')
  );
}

/** Registers a called function must give back unchanged (System V x86_64 ABI). */
const CALLEE_SAVED = new Set(['rbx', 'rbp', 'r12', 'r13', 'r14', 'r15']);
const UNCONDITIONAL = /^(ret|jmp|ud2|hlt)/;

/** Where an instruction's code is reached from: direct jumps to it, by instruction index. */
type JumpSources = ReadonlyMap<number, readonly number[]>;

interface ScanContext {
  instructions: readonly ObjdumpInstruction[];
  regionFirst: number;
  sources: JumpSources;
  /** (index, register) pairs on the current path: a loop adds no value of its own. */
  visiting: Set<string>;
  steps: number;
}

/**
 * A site whose scan passes this many instructions is unknown: paths multiply at every block start,
 * and glibc 2.36's futex loops (number in a callee-saved register set at function entry) need ~10,000.
 */
const MAX_SCAN_STEPS = 50_000;

/**
 * The values `register` can hold just before instruction `from` runs, or undefined when one path
 * sets it from memory, from an argument (the region start) or from a call's result. Walks back
 * through the region, into every jump that leads to a block start, and follows register-to-register
 * moves (`mov $0xca,%r8d … mov %r8d,%eax` set before a futex loop). A call keeps a callee-saved
 * register and clobbers the others.
 */
function valuesBefore(context: ScanContext, from: number, startRegister: string): Set<number> | undefined {
  const { instructions } = context;
  const key = `${from}:${startRegister}`;
  if (context.visiting.has(key)) return new Set();
  context.visiting.add(key);
  try {
    let register = startRegister;
    // Values brought by jumps into the blocks passed so far; the straight-line path adds its own.
    const gathered = new Set<number>();
    const finish = (value: number): Set<number> => gathered.add(value);
    for (let j = from - 1; j >= context.regionFirst; j--) {
      if (++context.steps > MAX_SCAN_STEPS) return undefined;
      const instruction = instructions[j] as ObjdumpInstruction;
      const passed = (instructions[j + 1] as ObjdumpInstruction).address;
      const jumps = context.sources.get(passed);
      if (jumps) {
        for (const source of jumps) {
          if (source < context.regionFirst) return undefined;
          const found = valuesBefore(context, source, register);
          if (found === undefined) return undefined;
          for (const value of found) gathered.add(value);
        }
        if (UNCONDITIONAL.test(instruction.mnemonic)) return gathered;
      }
      const { mnemonic } = instruction;
      if (UNCONDITIONAL.test(mnemonic)) return gathered;
      if (mnemonic.startsWith('call')) {
        if (CALLEE_SAVED.has(register)) continue;
        return undefined;
      }
      if (/^(syscall|sysenter|int$)/.test(mnemonic)) {
        if (register === 'rax' || register === 'rcx' || register === 'r11') return undefined;
        continue;
      }
      const operands = splitOperands(instruction.operands);
      const destination = operands.at(-1);
      const writes =
        (destination !== undefined && registerFamily(destination) === register) ||
        (EXCHANGES.test(mnemonic) && operands.some((operand) => registerFamily(operand) === register)) ||
        (register === 'rax' && IMPLICIT_RAX_WRITERS.has(mnemonic));
      if (!writes) continue;
      const source = operands[0] ?? '';
      if (operands.length === 2 && MOVES.test(mnemonic) && !mnemonic.startsWith('cmov')) {
        if (source.startsWith('$')) return finish(Number.parseInt(source.slice(1), 16));
        const from = registerFamily(source);
        if (from === undefined) return undefined;
        register = from;
      } else if (/^(xor|sub)/.test(mnemonic) && registerFamily(source) === register) {
        return finish(0);
      } else {
        return undefined;
      }
    }
    return undefined;
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
  const instructions = inAddressOrder(listing.instructions);
  const exportedFunctions = elf.exports.filter((s) => s.type === 'func' || s.type === 'ifunc');

  const starts = new Set<number>(listing.labels.map((label) => label.address));
  for (const symbol of exportedFunctions) starts.add(symbol.address);
  const jumpSources = new Map<number, number[]>();
  instructions.forEach((instruction, index) => {
    if (
      instruction.mnemonic === 'lea' &&
      instruction.reference !== undefined &&
      inCode(elf, instruction.reference)
    ) {
      starts.add(instruction.reference);
    }
    if (instruction.target === undefined) return;
    const plt = pltTarget(instruction.targetSymbol);
    if (plt && 'resolver' in plt) starts.add(plt.resolver);
    if (instruction.mnemonic.startsWith('call')) {
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
    if (instruction.target === undefined || instruction.mnemonic.startsWith('call')) continue;
    const to = first.regionOf(instruction.target);
    if (to >= 0 && to !== first.regionOf(instruction.address)) starts.add(instruction.target);
  }
  const { regions, regionStarts, regionOf } = regionsFrom(instructions, starts);
  // A jump table (`notrack jmp *%rax`) goes to places inside its function that no direct jump may
  // name: a region holding one keeps an edge to every region split off the same first region.
  const firstOf = regionStarts.map((address) => first.regionOf(address));

  let syscallSites = 0;
  const unknownSites: number[] = [];
  let indirectCalls = 0;
  regions.forEach((region, index) => {
    for (let i = region.first; i <= region.last; i++) {
      const instruction = instructions[i] as ObjdumpInstruction;
      const { mnemonic } = instruction;
      if (mnemonic === 'syscall') {
        syscallSites++;
        const context = {
          instructions,
          regionFirst: region.first,
          sources: jumpSources,
          visiting: new Set<string>(),
          steps: 0,
        };
        const numbers = valuesBefore(context, i, 'rax');
        const names = [...(numbers ?? [])].map((number) => syscallName('x86_64', number));
        if (numbers === undefined || numbers.size === 0 || names.includes(undefined)) {
          unknownSites.push(instruction.address);
          region.unknown = true;
        }
        for (const name of names) if (name !== undefined) region.syscalls.add(name);
      } else if (instruction.target !== undefined) {
        const plt = pltTarget(instruction.targetSymbol);
        if (plt && 'import' in plt) {
          region.imports.add(plt.import);
          continue;
        }
        const to = regionOf(plt ? plt.resolver : instruction.target);
        if (to >= 0 && to !== index) region.successors.add(to);
      } else if (
        /^(call|jmp)/.test(mnemonic) &&
        instruction.operands.startsWith('*') &&
        // Through the GOT (PLT stubs, -fno-plt calls): an import, not a function pointer.
        !instruction.operands.endsWith('(%rip)')
      ) {
        indirectCalls++;
        if (mnemonic.startsWith('jmp')) {
          firstOf.forEach((group, other) => {
            if (group === firstOf[index] && other !== index) region.successors.add(other);
          });
        }
      } else if (mnemonic === 'lea' && instruction.reference !== undefined) {
        if (inCode(elf, instruction.reference)) {
          const to = regionOf(instruction.reference);
          if (to >= 0 && to !== index) region.successors.add(to);
        }
      }
    }
    let last = region.last;
    while (last > region.first && isPadding(instructions[last] as ObjdumpInstruction)) last--;
    const final = instructions[last] as ObjdumpInstruction;
    if (!TERMINATORS.test(final.mnemonic) && index + 1 < regions.length) region.successors.add(index + 1);
  });

  const exports: Record<string, Reach> = {};
  const reach = options.perExport ? reachability(regions) : [];
  for (const symbol of options.perExport ? exportedFunctions : []) {
    const index = regionOf(symbol.address);
    if (index < 0 || regionStarts[index] !== symbol.address) continue;
    const found = reach[index] as RegionReach;
    exports[symbol.name] = unite(exports[symbol.name], found);
  }
  let whole: Reach = { syscalls: [], imports: [], unknownNumber: false };
  for (const region of regions) {
    whole = unite(whole, {
      syscalls: region.syscalls,
      imports: region.imports,
      unknownNumber: region.unknown,
    });
  }
  return { exports, whole, regions: regions.length, syscallSites, unknownSites, indirectCalls };
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
