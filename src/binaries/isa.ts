import { type ObjdumpInstruction, splitOperands } from '../../parsers/objdump.js';
import type { Abi } from '../syscalls/abi.js';

/**
 * What the call graph needs to know of one instruction set, as objdump prints it: which
 * instructions branch, which make a syscall and in which register the number travels, which
 * registers survive a call, and what an instruction does to a register the walk back follows.
 */

/** What an instruction does to the register a walk back is following. */
export type Effect =
  | { kind: 'keeps' }
  | { kind: 'constant'; value: number }
  | { kind: 'copy'; from: string }
  /** Loaded from memory, computed, a call's result: no number. */
  | { kind: 'unknown' };

export interface InstructionSet {
  /** The syscall table the numbers are looked up in. */
  abi: Abi;
  /** Which objdump reads this machine's code, in order of preference. */
  objdumps: readonly string[];
  /** Text every syscall instruction has in objdump's listing: a listing without it has none. */
  listingMarker: string;
  /** The register (family) holding the syscall number at the syscall instruction. */
  numberRegister: string;
  /** Registers that carry a function's arguments, in order. */
  argumentRegisters: readonly string[];
  isSyscall(instruction: ObjdumpInstruction): boolean;
  /** A direct call or jump with `target`: which one (anything else with a target is not a branch). */
  branch(instruction: ObjdumpInstruction): 'call' | 'jump' | undefined;
  /** An indirect call or jump through a register or memory (not a PLT/GOT slot). */
  indirect(instruction: ObjdumpInstruction): 'call' | 'jump' | undefined;
  /** Control never runs on past it (ret, an unconditional jump, a trap). */
  unconditional(mnemonic: string): boolean;
  /** Alignment padding between functions. */
  isPadding(instruction: ObjdumpInstruction): boolean;
  /** A code address the instruction (with its neighbours) loads into a register: a function pointer taken. */
  codeReference(instructions: readonly ObjdumpInstruction[], index: number): number | undefined;
  /**
   * The data address an instruction reads, when the listing names it (x86_64's `# ADDR` after a
   * `(%rip)` operand): used to find the code that loads a GOT entry. Undefined where the listing
   * does not say (aarch64's `adrp`+`ldr` pairs are not decoded: GOT entries are then taken as
   * stored in data).
   */
  dataReference(instruction: ObjdumpInstruction): number | undefined;
  /** The register family an operand names (`%eax` → rax, `w8` → x8), or undefined for anything else. */
  registerFamily(operand: string): string | undefined;
  /** Registers a called function gives back unchanged. */
  calleeSaved: ReadonlySet<string>;
  /** Registers the syscall instruction itself overwrites. */
  syscallClobbers: ReadonlySet<string>;
  effect(instruction: ObjdumpInstruction, register: string): Effect;
  /**
   * The value `register` has when the branch at `index` is taken, when the branch itself tells it:
   * `test %rax,%rax; je` (musl's __stdio_read makes read(2), number 0, on that edge), `cbz x8`.
   */
  valueOnJump(
    instructions: readonly ObjdumpInstruction[],
    index: number,
    register: string,
  ): number | undefined;
}

const KEEPS: Effect = { kind: 'keeps' };
const UNKNOWN: Effect = { kind: 'unknown' };

// x86_64 (AT&T syntax).

const X86_PADDING = /^(nop|xchg|int3|\(bad\)|data16|cs|endbr64)/;
const X86_UNCONDITIONAL = /^(ret|jmp|ud2|hlt)/;
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
const X86_MOVES = /^(mov|movl|movq|movabs|movz\w+|movs\w{2,3})$/;

/** %eax, %ax, %al → rax; %r8d → r8; so that a write to any width of a register is seen. */
function x86Family(operand: string): string | undefined {
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

export const X86_64: InstructionSet = {
  abi: 'x86_64',
  objdumps:
    process.arch === 'x64'
      ? ['objdump', 'x86_64-linux-gnu-objdump', 'objdump-multiarch']
      : ['x86_64-linux-gnu-objdump', 'objdump-multiarch'],
  listingMarker: '\tsyscall',
  numberRegister: 'rax',
  argumentRegisters: ['rdi', 'rsi', 'rdx', 'rcx', 'r8', 'r9'],
  isSyscall: (instruction) => instruction.mnemonic === 'syscall',
  branch(instruction) {
    if (instruction.target === undefined) return undefined;
    return instruction.mnemonic.startsWith('call') ? 'call' : 'jump';
  },
  indirect(instruction) {
    const { mnemonic, operands } = instruction;
    // Through the GOT (PLT stubs, -fno-plt calls): an import, not a function pointer.
    if (!/^(call|jmp)/.test(mnemonic) || !operands.startsWith('*') || operands.endsWith('(%rip)')) {
      return undefined;
    }
    return mnemonic.startsWith('call') ? 'call' : 'jump';
  },
  unconditional: (mnemonic) => X86_UNCONDITIONAL.test(mnemonic),
  isPadding: (instruction) =>
    X86_PADDING.test(instruction.mnemonic) &&
    (instruction.mnemonic !== 'xchg' || instruction.operands === '%ax,%ax'),
  codeReference(instructions, index) {
    const instruction = instructions[index] as ObjdumpInstruction;
    return instruction.mnemonic === 'lea' ? instruction.reference : undefined;
  },
  dataReference: (instruction) =>
    instruction.mnemonic !== 'lea' && instruction.operands.includes('(%rip)')
      ? instruction.reference
      : undefined,
  registerFamily: x86Family,
  calleeSaved: new Set(['rbx', 'rbp', 'r12', 'r13', 'r14', 'r15']),
  syscallClobbers: new Set(['rax', 'rcx', 'r11']),
  effect(instruction, register) {
    const { mnemonic } = instruction;
    if (mnemonic.startsWith('call')) return this.calleeSaved.has(register) ? KEEPS : UNKNOWN;
    if (/^(syscall|sysenter|int$)/.test(mnemonic))
      return this.syscallClobbers.has(register) ? UNKNOWN : KEEPS;
    const operands = splitOperands(instruction.operands);
    const destination = operands.at(-1);
    const writes =
      (destination !== undefined && x86Family(destination) === register) ||
      (EXCHANGES.test(mnemonic) && operands.some((operand) => x86Family(operand) === register)) ||
      (register === 'rax' && IMPLICIT_RAX_WRITERS.has(mnemonic));
    if (!writes) return KEEPS;
    const source = operands[0] ?? '';
    if (operands.length === 2 && X86_MOVES.test(mnemonic)) {
      if (source.startsWith('$')) return { kind: 'constant', value: Number.parseInt(source.slice(1), 16) };
      const from = x86Family(source);
      return from === undefined ? UNKNOWN : { kind: 'copy', from };
    }
    if (/^(xor|sub)/.test(mnemonic) && x86Family(source) === register) return { kind: 'constant', value: 0 };
    return UNKNOWN;
  },
  valueOnJump(instructions, index, register) {
    const jump = instructions[index] as ObjdumpInstruction;
    const test = instructions[index - 1];
    if (!/^j(e|z)$/.test(jump.mnemonic) || test?.mnemonic !== 'test') return undefined;
    const operands = splitOperands(test.operands);
    return operands.length === 2 && operands.every((operand) => x86Family(operand) === register)
      ? 0
      : undefined;
  },
};

// aarch64 (objdump's own syntax: `mov\tx8, #0x52`, destination first).

const A64_BRANCHES = /^(b|b\.\w+|cbn?z|tbn?z)$/;
/** Instructions that write no general register (stores, compares, branches, barriers, hints). */
const A64_NO_WRITE =
  /^(st(r|rb|rh|p|np|ur|urb|urh|lr|lrb|lrh|llr\w*|1\w*|2\w*|3\w*|4\w*|g|zg|2g|z2g|gp)|st(add|clr|eor|set|smax|smin|umax|umin|)\w*|cmp|cmn|tst|ccmp|ccmn|fcmpe?|fccmpe?|cbn?z|tbn?z|b|b\.\w+|bl|blr\w*|br\w*|ret\w*|svc|hvc|smc|brk|udf|hlt|prfm|prfum|dc|ic|tlbi|dmb|dsb|isb|sb|nop|bti|hint|msr|paciasp|pacibsp|autiasp|autibsp|yield|wfe|wfi|sev|sevl|clrex|esb|csdb)$/;
/** Loads of a register pair: both first operands are written. */
const A64_PAIRS = /^(ldp|ldnp|ldpsw|ldxp|ldaxp|ldiapp)$/;
/** Store-exclusive: the first operand receives the status. */
const A64_STATUS = /^(stl?xr[bh]?|stl?xp)$/;
/** Atomics: `ldadd ws, wt, [xn]`, `swp ws, wt, [xn]` write the second operand. */
const A64_ATOMIC_LOADS = /^(ld(add|clr|eor|set|smax|smin|umax|umin)|swp)(a|l|al)?[bh]?$/;

function a64Family(operand: string): string | undefined {
  const match = /^([xw])(\d+|zr)$/.exec(operand.trim());
  if (!match) return operand.trim() === 'sp' || operand.trim() === 'wsp' ? 'sp' : undefined;
  return match[2] === 'zr' ? 'xzr' : `x${match[2]}`;
}

/** The registers an instruction writes. */
function a64Writes(instruction: ObjdumpInstruction): string[] {
  const { mnemonic } = instruction;
  const operands = splitOperands(instruction.operands);
  const written: (string | undefined)[] = [];
  // Writeback addressing modifies the base register: `[x1, #16]!`, `[x1], #16`.
  for (const [index, operand] of operands.entries()) {
    const base = /^\[([xw]\d+|sp)/.exec(operand);
    if (base && (operand.endsWith('!') || (operand.endsWith(']') && index < operands.length - 1))) {
      written.push(a64Family(base[1] as string));
    }
  }
  if (A64_STATUS.test(mnemonic)) written.push(a64Family(operands[0] ?? ''));
  else if (A64_ATOMIC_LOADS.test(mnemonic)) written.push(a64Family(operands[1] ?? ''));
  else if (A64_PAIRS.test(mnemonic)) written.push(a64Family(operands[0] ?? ''), a64Family(operands[1] ?? ''));
  else if (mnemonic.startsWith('casp')) {
    written.push(a64Family(operands[0] ?? ''), a64Family(operands[1] ?? ''));
  } else if (!A64_NO_WRITE.test(mnemonic)) written.push(a64Family(operands[0] ?? ''));
  return written.filter((family): family is string => family !== undefined);
}

const A64_CALLEE_SAVED = new Set([
  'x19',
  'x20',
  'x21',
  'x22',
  'x23',
  'x24',
  'x25',
  'x26',
  'x27',
  'x28',
  'x29',
  'sp',
]);

export const AARCH64: InstructionSet = {
  abi: 'aarch64',
  objdumps:
    process.arch === 'arm64'
      ? ['objdump', 'aarch64-linux-gnu-objdump', 'objdump-multiarch']
      : ['aarch64-linux-gnu-objdump', 'objdump-multiarch'],
  listingMarker: '\tsvc\t',
  numberRegister: 'x8',
  argumentRegisters: ['x0', 'x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7'],
  isSyscall: (instruction) => instruction.mnemonic === 'svc',
  branch(instruction) {
    if (instruction.target === undefined) return undefined;
    if (instruction.mnemonic === 'bl') return 'call';
    return A64_BRANCHES.test(instruction.mnemonic) ? 'jump' : undefined;
  },
  indirect(instruction) {
    const { mnemonic, operands } = instruction;
    if (/^blr/.test(mnemonic)) return 'call';
    // x16 and x17 are the PLT's scratch registers: `br x17` is a PLT stub jumping through the GOT.
    if (/^br(aa|ab|aaz|abz)?$/.test(mnemonic) && !/^x1[67]\b/.test(operands)) return 'jump';
    return undefined;
  },
  unconditional: (mnemonic) => /^(ret\w*|b|br\w*|brk|udf|hlt)$/.test(mnemonic),
  isPadding: (instruction) => /^(nop|udf|\.inst|bti|paciasp)$/.test(instruction.mnemonic),
  codeReference(instructions, index) {
    const instruction = instructions[index] as ObjdumpInstruction;
    if (instruction.mnemonic === 'adr') return instruction.target;
    if (instruction.mnemonic !== 'adrp' || instruction.target === undefined) return undefined;
    // `adrp x0, PAGE` then `add x0, x0, #0xOFF` (maybe a few instructions later): PAGE + OFF.
    const register = splitOperands(instruction.operands)[0];
    for (let next = index + 1; next < Math.min(instructions.length, index + 5); next++) {
      const following = instructions[next] as ObjdumpInstruction;
      const operands = splitOperands(following.operands);
      if (following.mnemonic === 'add' && operands[0] === register && operands[1] === register) {
        const offset = /^#0x([0-9a-f]+)$/.exec(operands[2] ?? '');
        return offset ? instruction.target + Number.parseInt(offset[1] as string, 16) : undefined;
      }
      if (a64Writes(following).includes(a64Family(register ?? '') ?? '')) return undefined;
    }
    return undefined;
  },
  dataReference: () => undefined,
  registerFamily: a64Family,
  calleeSaved: A64_CALLEE_SAVED,
  syscallClobbers: new Set(['x0']),
  effect(instruction, register) {
    const { mnemonic } = instruction;
    if (mnemonic === 'bl' || mnemonic.startsWith('blr')) {
      return A64_CALLEE_SAVED.has(register) ? KEEPS : UNKNOWN;
    }
    if (mnemonic === 'svc') return this.syscallClobbers.has(register) ? UNKNOWN : KEEPS;
    if (!a64Writes(instruction).includes(register)) return KEEPS;
    const operands = splitOperands(instruction.operands);
    if (
      operands.length === 2 &&
      (mnemonic === 'mov' || mnemonic === 'movz') &&
      a64Family(operands[0] ?? '') === register
    ) {
      const source = operands[1] as string;
      const immediate = /^#(-?)(0x[0-9a-f]+|\d+)$/.exec(source);
      if (immediate) {
        const value = Number(immediate[2]);
        return { kind: 'constant', value: immediate[1] ? -value : value };
      }
      const from = a64Family(source);
      if (from === 'xzr') return { kind: 'constant', value: 0 };
      return from === undefined ? UNKNOWN : { kind: 'copy', from };
    }
    return UNKNOWN;
  },
  valueOnJump(instructions, index, register) {
    const jump = instructions[index] as ObjdumpInstruction;
    if (jump.mnemonic !== 'cbz') return undefined;
    return a64Family(splitOperands(jump.operands)[0] ?? '') === register ? 0 : undefined;
  },
};

/** The instruction set of an ELF machine (parsers/elf.ts names), or undefined when it is not read. */
export function instructionSetOf(machine: string): InstructionSet | undefined {
  if (machine === 'x86_64') return X86_64;
  if (machine === 'aarch64') return AARCH64;
  return undefined;
}
