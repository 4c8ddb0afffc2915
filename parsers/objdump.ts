/**
 * binutils `objdump -d --no-show-raw-insn` text (AT&T syntax for x86_64; aarch64 as
 * `aarch64-linux-gnu-objdump` prints it) to instructions. objdump
 * prints a label line `0000000000091e80 <aio_fsync@GLIBC_2.2.5>:` at every symbol it knows (the
 * dynamic symbols of a stripped library, every function of an unstripped one), and one line per
 * instruction: `   91e92:\tjne    91ef0 <aio_fsync@GLIBC_2.2.5+0x70>`, with a `# 1d3000 <sym>`
 * comment on RIP-relative operands. aarch64 lines put a tab between mnemonic and operands and
 * comment with `//`: `   e0dcc:\tb.hi\te0e1c <fsync@@GLIBC_2.17+0x7c>  // b.pmore`,
 * `   e0dc0:\tmov\tx8, #0x52    \t// #82`; a branch's target may follow other operands
 * (`cbz\tw1, e0de4 <fsync@@GLIBC_2.17+0x44>`). Seen with binutils 2.40 (Debian 12).
 */

export interface ObjdumpInstruction {
  address: number;
  /** The mnemonic without prefixes (`notrack`, `bnd`, `lock`, `rep`, `data16`, segment overrides). */
  mnemonic: string;
  /** Operands as printed, comment removed. */
  operands: string;
  /**
   * The address a direct call, jump or loop goes to; on aarch64 also the address `adr`/`adrp`
   * load (the instruction set decides which mnemonics branch).
   */
  target?: number;
  /** The symbol objdump names at `target`: `fsync@plt`, `*ABS*+0x9f550@plt`, `sleep@@GLIBC_2.2.5+0x43`. */
  targetSymbol?: string;
  /** The address a RIP-relative operand refers to (the `# addr <sym>` comment). */
  reference?: number;
}

export interface ObjdumpLabel {
  address: number;
  name: string;
  /** The section objdump was disassembling when it printed the label (`.text`, `.plt`, `.plt.sec`). */
  section: string;
}

export interface ObjdumpListing {
  labels: ObjdumpLabel[];
  instructions: ObjdumpInstruction[];
}

const PREFIXES = new Set([
  'notrack',
  'bnd',
  'lock',
  'rep',
  'repz',
  'repe',
  'repnz',
  'repne',
  'data16',
  'addr32',
  'cs',
  'ds',
  'es',
  'fs',
  'gs',
  'ss',
  'xacquire',
  'xrelease',
  'rex',
  'rex.W',
]);

const LABEL = /^([0-9a-f]+) <(.*)>:$/;
const SECTION = /^Disassembly of section (\S+):$/;
const DIRECT = /(?:^|, )([0-9a-f]+) <([^>]*)>$/;
const HEX = /^[0-9a-f]+$/;

/**
 * One instruction line, or undefined for anything else (labels, `...`, blank lines, headings).
 * Written with indexOf rather than one regular expression per field: python3's listing is 700,000
 * lines, and this is most of the time reachability takes on a cold cache.
 */
export function parseInstructionLine(line: string): ObjdumpInstruction | undefined {
  if (line.charCodeAt(0) !== 32) return undefined;
  const colon = line.indexOf(':\t');
  if (colon < 0) return undefined;
  // parseInt skips the leading blanks and stops at the colon.
  const address = Number.parseInt(line, 16);
  if (Number.isNaN(address)) return undefined;
  let text = line.slice(colon + 2);
  let reference: number | undefined;
  const hash = text.lastIndexOf('# ');
  if (hash > 0 && (text.charCodeAt(hash - 1) === 32 || text.charCodeAt(hash - 1) === 9)) {
    const comment = text.slice(hash + 2);
    const space = comment.indexOf(' ');
    const value = space < 0 ? comment : comment.slice(0, space);
    if (HEX.test(value)) {
      reference = Number.parseInt(value, 16);
      text = text.slice(0, hash);
    }
  }
  // aarch64's comments (`// #82`, `// b.pmore`); x86_64's AT&T syntax has no `//`.
  const slashes = text.indexOf('//');
  if (slashes >= 0) text = text.slice(0, slashes);
  text = text.trim();
  let space = firstBlank(text);
  let mnemonic = space < 0 ? text : text.slice(0, space);
  while (space >= 0 && PREFIXES.has(mnemonic)) {
    text = text.slice(space + 1).trimStart();
    space = firstBlank(text);
    mnemonic = space < 0 ? text : text.slice(0, space);
  }
  const operands = space < 0 ? '' : text.slice(space + 1).trim();
  const instruction: ObjdumpInstruction = { address, mnemonic, operands };
  if (operands.endsWith('>')) {
    const direct = DIRECT.exec(operands);
    if (direct) {
      instruction.target = Number.parseInt(direct[1] as string, 16);
      instruction.targetSymbol = direct[2] as string;
    }
  }
  if (reference !== undefined) instruction.reference = reference;
  return instruction;
}

/** Where the mnemonic ends: a space (x86_64) or a tab (aarch64). */
function firstBlank(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9) return i;
  }
  return -1;
}

/** Takes a listing a line at a time, so that it can be parsed while objdump is still writing it. */
export class ObjdumpParser {
  private readonly labels: ObjdumpLabel[] = [];
  private readonly instructions: ObjdumpInstruction[] = [];
  private section = '';

  push(line: string): void {
    const instruction = parseInstructionLine(line);
    if (instruction) {
      this.instructions.push(instruction);
      return;
    }
    const label = LABEL.exec(line);
    if (label) {
      this.labels.push({
        address: Number.parseInt(label[1] as string, 16),
        name: label[2] as string,
        section: this.section,
      });
      return;
    }
    const heading = SECTION.exec(line);
    if (heading) this.section = heading[1] as string;
  }

  /** Labels with their sections, and instructions in the order objdump printed them. */
  listing(): ObjdumpListing {
    return { labels: this.labels, instructions: this.instructions };
  }
}

export function parseObjdump(lines: Iterable<string>): ObjdumpListing {
  const parser = new ObjdumpParser();
  for (const line of lines) parser.push(line);
  return parser.listing();
}

/**
 * Splits operands at top-level commas: `0x8(%rsp,%rax,4),%eax` is two operands, not four, and so is
 * aarch64's `x19, [sp, #16]` (each operand trimmed).
 */
export function splitOperands(operands: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < operands.length; i++) {
    const c = operands[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(operands.slice(start, i).trim());
      start = i + 1;
    }
  }
  if (operands.length > 0) parts.push(operands.slice(start).trim());
  return parts;
}
