import { InputError } from '../src/errors.js';
import { readBinaryFile } from '../src/util/files.js';

/**
 * Bytes of an ELF file to the facts reachability needs: what it is (class, machine, static or
 * dynamic), which build it is (NT_GNU_BUILD_ID), what it links against (DT_NEEDED, DT_SONAME,
 * PT_INTERP) and which functions it imports and exports (the dynamic symbol table).
 * Layout per the System V gABI and the LSB (`elf.h`): every offset read is bounds-checked, so a
 * truncated or corrupt file is an InputError naming the file and the structure that is cut short,
 * never a RangeError.
 */

export type ElfSymbolType = 'func' | 'ifunc' | 'object' | 'tls' | 'other';
export type ElfSymbolBind = 'local' | 'global' | 'weak' | 'unique';

export interface ElfSymbol {
  name: string;
  type: ElfSymbolType;
  bind: ElfSymbolBind;
  /** The symbol's value: the entry address of a function (the resolver for an IFUNC), 0 when imported. */
  address: number;
  size: number;
}

export interface ElfSegment {
  /** Virtual address and size in memory, and where the bytes are in the file. */
  address: number;
  size: number;
  fileOffset: number;
  fileSize: number;
}

export interface ElfInfo {
  file: string;
  elfClass: 32 | 64;
  endian: 'little' | 'big';
  type: 'relocatable' | 'executable' | 'shared' | 'core' | 'other';
  /** `x86_64`, `aarch64`, … (the libseccomp ABI name where there is one), else `machine-N`. */
  machine: string;
  interpreter?: string;
  /** No program interpreter, no DT_NEEDED and no soname: the kernel runs it as it is. */
  staticallyLinked: boolean;
  /** NT_GNU_BUILD_ID as lowercase hex. */
  buildId?: string;
  needed: string[];
  soname?: string;
  /** Undefined dynamic symbols: what the dynamic linker must find in another file. */
  imports: ElfSymbol[];
  /** Defined global, weak and unique dynamic symbols with default or protected visibility. */
  exports: ElfSymbol[];
  /** PT_LOAD segments mapped executable: where code can be. */
  executableSegments: ElfSegment[];
  /**
   * Code the dynamic linker runs when it loads or unloads the file: DT_INIT, DT_FINI and the
   * entries of DT_PREINIT_ARRAY, DT_INIT_ARRAY and DT_FINI_ARRAY (from the file's words, or from
   * the relocations that fill them), sorted. Empty when the file has none.
   */
  initializers: number[];
  /**
   * Code addresses stored in data by dynamic relocations (R_X86_64_RELATIVE and R_AARCH64_RELATIVE
   * addends, IRELATIVE resolvers, DT_RELR words, absolute and GOT relocations against the file's own
   * defined symbols), sorted: the callbacks and method tables the file's code may call through a
   * pointer. PLT slots (JUMP_SLOT) are not among them: they are the file's direct calls.
   */
  addressTaken: number[];
  /**
   * Functions whose address a relocation other than a PLT slot stores (GLOB_DAT, R_X86_64_64,
   * R_AARCH64_ABS64): taken as a pointer, not called through the PLT (`free` in a table of
   * destructors). Defined or not, sorted. GOT entries are apart (`gotEntries`).
   */
  functionsTaken: string[];
  /**
   * GOT entries (GLOB_DAT) holding a function's address, which code loads to take it or to call
   * it (`mov free@GOTPCREL(%rip)`, a `-fno-plt` call): the slot, the function, and its address
   * when the file defines it (in code). In slot order.
   */
  gotEntries: GotEntry[];
}

export interface GotEntry {
  slot: number;
  name: string;
  address?: number;
}

const MACHINES: Readonly<Record<number, string>> = {
  3: 'x86',
  8: 'mips',
  20: 'ppc',
  21: 'ppc64',
  22: 's390x',
  40: 'arm',
  62: 'x86_64',
  183: 'aarch64',
  243: 'riscv64',
  258: 'loongarch64',
};

const ET_TYPES: Readonly<Record<number, ElfInfo['type']>> = {
  1: 'relocatable',
  2: 'executable',
  3: 'shared',
  4: 'core',
};

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const PT_NOTE = 4;
const PF_X = 1;
const SHT_DYNSYM = 11;
const DT_NULL = 0;
const DT_NEEDED = 1;
const DT_STRTAB = 5;
const DT_SONAME = 14;
const DT_PLTRELSZ = 2;
const DT_RELA = 7;
const DT_RELASZ = 8;
const DT_RELAENT = 9;
const DT_INIT = 12;
const DT_FINI = 13;
const DT_JMPREL = 23;
const DT_INIT_ARRAY = 25;
const DT_FINI_ARRAY = 26;
const DT_INIT_ARRAYSZ = 27;
const DT_FINI_ARRAYSZ = 28;
const DT_PREINIT_ARRAY = 32;
const DT_PREINIT_ARRAYSZ = 33;
const DT_RELRSZ = 35;
const DT_RELR = 36;
const DT_RELRENT = 37;
const NT_GNU_BUILD_ID = 3;
const SHN_UNDEF = 0;
const STV_HIDDEN = 2;
const STV_INTERNAL = 1;

/** Bounds-checked reads in the file's byte order; `what` names the structure for the error. */
class Reader {
  private readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly file: string,
    readonly little: boolean,
    readonly wide: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  check(offset: number, length: number, what: string): void {
    if (offset < 0 || length < 0 || offset + length > this.bytes.length) {
      throw new InputError(
        this.file,
        undefined,
        `truncated ELF file: ${what} at byte ${offset} (+${length}) is past the end (${this.bytes.length} bytes)`,
      );
    }
  }
  u8(offset: number, what: string): number {
    this.check(offset, 1, what);
    return this.view.getUint8(offset);
  }
  u16(offset: number, what: string): number {
    this.check(offset, 2, what);
    return this.view.getUint16(offset, this.little);
  }
  u32(offset: number, what: string): number {
    this.check(offset, 4, what);
    return this.view.getUint32(offset, this.little);
  }
  /** A 64-bit field as a number: addresses and sizes of real files stay below 2^53. */
  u64(offset: number, what: string): number {
    this.check(offset, 8, what);
    const value = this.view.getBigUint64(offset, this.little);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new InputError(this.file, undefined, `corrupt ELF file: ${what} holds ${value}, too large`);
    }
    return Number(value);
  }
  /** A signed 64-bit field (a relocation's addend) as a number; refused beyond 2^53 either way. */
  i64(offset: number, what: string): number {
    this.check(offset, 8, what);
    const value = this.view.getBigInt64(offset, this.little);
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new InputError(this.file, undefined, `corrupt ELF file: ${what} holds ${value}, too large`);
    }
    return Number(value);
  }
  /** A raw unsigned 64-bit field (a relocation's r_info, a DT_RELR entry), bounds-checked. */
  view64(offset: number): bigint {
    this.check(offset, 8, 'relocation');
    return this.view.getBigUint64(offset, this.little);
  }
  /** A word that may hold anything (an init array's 0 or -1 marker): undefined when beyond 2^53. */
  looseWord(offset: number, what: string): number | undefined {
    if (!this.wide) return this.u32(offset, what);
    this.check(offset, 8, what);
    const value = this.view.getBigUint64(offset, this.little);
    return value > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(value);
  }
  /** A word: 4 bytes in a 32-bit file, 8 in a 64-bit one. */
  word(offset: number, what: string): number {
    return this.wide ? this.u64(offset, what) : this.u32(offset, what);
  }
  /** A NUL-terminated string starting at `offset`. */
  string(offset: number, what: string): string {
    this.check(offset, 1, what);
    const end = this.bytes.indexOf(0, offset);
    if (end < 0) throw new InputError(this.file, undefined, `truncated ELF file: ${what} has no end`);
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset + offset, end - offset).toString('latin1');
  }
}

interface ProgramHeader {
  type: number;
  flags: number;
  offset: number;
  address: number;
  fileSize: number;
  memSize: number;
  align: number;
}

interface SectionHeader {
  type: number;
  offset: number;
  size: number;
  link: number;
  entrySize: number;
}

function programHeaders(r: Reader): ProgramHeader[] {
  const phoff = r.word(r.wide ? 32 : 28, 'e_phoff');
  const entrySize = r.u16(r.wide ? 54 : 42, 'e_phentsize');
  const count = r.u16(r.wide ? 56 : 44, 'e_phnum');
  const headers: ProgramHeader[] = [];
  for (let i = 0; i < count; i++) {
    const at = phoff + i * entrySize;
    const what = `program header ${i}`;
    r.check(at, r.wide ? 56 : 32, what);
    headers.push(
      r.wide
        ? {
            type: r.u32(at, what),
            flags: r.u32(at + 4, what),
            offset: r.u64(at + 8, what),
            address: r.u64(at + 16, what),
            fileSize: r.u64(at + 32, what),
            memSize: r.u64(at + 40, what),
            align: r.u64(at + 48, what),
          }
        : {
            type: r.u32(at, what),
            offset: r.u32(at + 4, what),
            address: r.u32(at + 8, what),
            fileSize: r.u32(at + 16, what),
            memSize: r.u32(at + 20, what),
            flags: r.u32(at + 24, what),
            align: r.u32(at + 28, what),
          },
    );
  }
  return headers;
}

function sectionHeaders(r: Reader): SectionHeader[] {
  const shoff = r.word(r.wide ? 40 : 32, 'e_shoff');
  const entrySize = r.u16(r.wide ? 58 : 46, 'e_shentsize');
  const count = r.u16(r.wide ? 60 : 48, 'e_shnum');
  if (shoff === 0) return [];
  const headers: SectionHeader[] = [];
  for (let i = 0; i < count; i++) {
    const at = shoff + i * entrySize;
    const what = `section header ${i}`;
    r.check(at, r.wide ? 64 : 40, what);
    headers.push({
      type: r.u32(at + 4, what),
      offset: r.word(at + (r.wide ? 24 : 16), what),
      size: r.word(at + (r.wide ? 32 : 20), what),
      link: r.u32(at + (r.wide ? 40 : 24), what),
      entrySize: r.word(at + (r.wide ? 56 : 36), what),
    });
  }
  return headers;
}

/** The file offset of virtual address `address`, through the PT_LOAD segment that maps it. */
function fileOffsetOf(r: Reader, loads: readonly ProgramHeader[], address: number, what: string): number {
  const segment = loads.find((p) => address >= p.address && address < p.address + p.fileSize);
  if (!segment) throw new InputError(r.file, undefined, `corrupt ELF file: ${what} is in no loaded segment`);
  return segment.offset + (address - segment.address);
}

function buildIdOf(r: Reader, notes: readonly ProgramHeader[]): string | undefined {
  for (const note of notes) {
    const align = note.align === 8 ? 8 : 4;
    const pad = (n: number) => Math.ceil(n / align) * align;
    let at = note.offset;
    const end = note.offset + note.fileSize;
    while (at + 12 <= end) {
      const nameSize = r.u32(at, 'note header');
      const descSize = r.u32(at + 4, 'note header');
      const type = r.u32(at + 8, 'note header');
      const nameAt = at + 12;
      const descAt = nameAt + pad(nameSize);
      r.check(descAt, descSize, 'note');
      if (type === NT_GNU_BUILD_ID && nameSize === 4 && r.string(nameAt, 'note name') === 'GNU') {
        return Buffer.from(r.bytes.subarray(descAt, descAt + descSize)).toString('hex');
      }
      at = descAt + pad(descSize);
    }
  }
  return undefined;
}

interface DynamicFacts {
  needed: string[];
  soname?: string;
  /** The value of every other tag (the last one of a tag), for the relocation and init tables. */
  tags: Map<number, number>;
}

function dynamicOf(
  r: Reader,
  dynamic: ProgramHeader | undefined,
  loads: readonly ProgramHeader[],
): DynamicFacts {
  const tags = new Map<number, number>();
  if (!dynamic) return { needed: [], tags };
  const entrySize = r.wide ? 16 : 8;
  const neededOffsets: number[] = [];
  let sonameOffset: number | undefined;
  let strtab: number | undefined;
  for (let at = dynamic.offset; at + entrySize <= dynamic.offset + dynamic.fileSize; at += entrySize) {
    const tag = r.word(at, 'dynamic entry');
    const value = r.word(at + entrySize / 2, 'dynamic entry');
    if (tag === DT_NULL) break;
    if (tag === DT_NEEDED) neededOffsets.push(value);
    else if (tag === DT_SONAME) sonameOffset = value;
    else if (tag === DT_STRTAB) strtab = value;
    else tags.set(tag, value);
  }
  if (neededOffsets.length === 0 && sonameOffset === undefined) return { needed: [], tags };
  if (strtab === undefined)
    throw new InputError(r.file, undefined, 'corrupt ELF file: DT_NEEDED without DT_STRTAB');
  const base = fileOffsetOf(r, loads, strtab, 'DT_STRTAB');
  const facts: DynamicFacts = {
    needed: neededOffsets.map((offset) => r.string(base + offset, 'DT_NEEDED name')),
    tags,
  };
  if (sonameOffset !== undefined) facts.soname = r.string(base + sonameOffset, 'DT_SONAME');
  return facts;
}

const SYMBOL_TYPES: Readonly<Record<number, ElfSymbolType>> = {
  1: 'object',
  2: 'func',
  6: 'tls',
  10: 'ifunc',
};
const SYMBOL_BINDS: Readonly<Record<number, ElfSymbolBind>> = {
  0: 'local',
  1: 'global',
  2: 'weak',
  10: 'unique',
};

/** A dynamic symbol as a relocation names it, by its index in .dynsym. */
interface IndexedSymbol {
  /** Where its name starts in the file; 0 for the null symbol. */
  nameAt: number;
  defined: boolean;
  type: ElfSymbolType;
  address: number;
}

function dynamicSymbols(
  r: Reader,
  sections: readonly SectionHeader[],
): { imports: ElfSymbol[]; exports: ElfSymbol[]; table: IndexedSymbol[] } {
  const imports: ElfSymbol[] = [];
  const exports: ElfSymbol[] = [];
  const table: IndexedSymbol[] = [{ nameAt: 0, defined: false, type: 'other', address: 0 }];
  const dynsym = sections.find((s) => s.type === SHT_DYNSYM);
  if (!dynsym) return { imports, exports, table };
  const strings = sections[dynsym.link];
  if (!strings) throw new InputError(r.file, undefined, 'corrupt ELF file: .dynsym links to no string table');
  const entrySize = dynsym.entrySize || (r.wide ? 24 : 16);
  r.check(dynsym.offset, dynsym.size, '.dynsym');
  // Entry 0 is the reserved null symbol.
  for (let at = dynsym.offset + entrySize; at + entrySize <= dynsym.offset + dynsym.size; at += entrySize) {
    const nameOffset = r.u32(at, 'symbol');
    const info = r.u8(at + (r.wide ? 4 : 12), 'symbol');
    const other = r.u8(at + (r.wide ? 5 : 13), 'symbol');
    const section = r.u16(at + (r.wide ? 6 : 14), 'symbol');
    const address = r.wide ? r.u64(at + 8, 'symbol') : r.u32(at + 4, 'symbol');
    const size = r.wide ? r.u64(at + 16, 'symbol') : r.u32(at + 8, 'symbol');
    const bind = SYMBOL_BINDS[info >> 4];
    const type = SYMBOL_TYPES[info & 0xf] ?? 'other';
    table.push({
      nameAt: nameOffset === 0 ? 0 : strings.offset + nameOffset,
      defined: section !== SHN_UNDEF,
      type,
      address,
    });
    if (nameOffset === 0 || bind === undefined || bind === 'local') continue;
    const symbol: ElfSymbol = {
      name: r.string(strings.offset + nameOffset, 'symbol name'),
      type,
      bind,
      address,
      size,
    };
    const visibility = other & 3;
    if (section === SHN_UNDEF) imports.push(symbol);
    else if (visibility !== STV_HIDDEN && visibility !== STV_INTERNAL) exports.push(symbol);
  }
  return { imports, exports, table };
}

/** Relocation types, per machine: those that store a code address in data, and the PLT slot's. */
interface RelocationTypes {
  /** The address is the addend (B + A): RELATIVE, and IRELATIVE's resolver. */
  relative: ReadonlySet<number>;
  /** The address is a symbol's (S + A): absolute words and GOT entries. */
  symbolic: ReadonlySet<number>;
  /** GLOB_DAT: a GOT entry, which only code reads. */
  got: number;
}

const RELOCATION_TYPES: Readonly<Record<string, RelocationTypes>> = {
  // R_X86_64_RELATIVE, R_X86_64_IRELATIVE; R_X86_64_64, R_X86_64_GLOB_DAT (JUMP_SLOT 7 is a PLT call).
  x86_64: { relative: new Set([8, 37]), symbolic: new Set([1, 6]), got: 6 },
  // R_AARCH64_RELATIVE, R_AARCH64_IRELATIVE; R_AARCH64_ABS64, R_AARCH64_GLOB_DAT (JUMP_SLOT 1026).
  aarch64: { relative: new Set([1027, 1032]), symbolic: new Set([257, 1025]), got: 1025 },
};

interface CodePointers {
  initializers: number[];
  addressTaken: number[];
  functionsTaken: string[];
  gotEntries: GotEntry[];
}

/**
 * What the dynamic relocations and the init and fini tables say about code reached through data:
 * the constructors and destructors, and every code address or function symbol a relocation stores.
 * Tables are found through PT_DYNAMIC (DT_RELA/DT_RELASZ, DT_JMPREL/DT_PLTRELSZ, DT_RELR/DT_RELRSZ,
 * DT_INIT_ARRAY/DT_INIT_ARRAYSZ, …); every read is bounds-checked.
 */
function codePointers(
  r: Reader,
  tags: ReadonlyMap<number, number>,
  loads: readonly ProgramHeader[],
  machine: string,
  symbols: readonly IndexedSymbol[],
): CodePointers {
  const executable = loads.filter((p) => (p.flags & PF_X) !== 0);
  const inCode = (address: number) =>
    executable.some((p) => address >= p.address && address < p.address + p.memSize);
  const wordSize = r.wide ? 8 : 4;
  const initializers = new Set<number>();
  const addressTaken = new Set<number>();
  const functionsTaken = new Set<string>();
  const gotEntries: GotEntry[] = [];
  for (const tag of [DT_INIT, DT_FINI]) {
    const address = tags.get(tag);
    if (address !== undefined && inCode(address)) initializers.add(address);
  }
  // The init and fini arrays: their words, and whatever relocation fills one of their slots.
  const arrays: { start: number; end: number }[] = [];
  for (const [tag, sizeTag, name] of [
    [DT_PREINIT_ARRAY, DT_PREINIT_ARRAYSZ, 'DT_PREINIT_ARRAY'],
    [DT_INIT_ARRAY, DT_INIT_ARRAYSZ, 'DT_INIT_ARRAY'],
    [DT_FINI_ARRAY, DT_FINI_ARRAYSZ, 'DT_FINI_ARRAY'],
  ] as const) {
    const start = tags.get(tag);
    const size = tags.get(sizeTag) ?? 0;
    if (start === undefined || size === 0) continue;
    arrays.push({ start, end: start + size });
    const at = fileOffsetOf(r, loads, start, name);
    r.check(at, size, name);
    for (let slot = 0; slot + wordSize <= size; slot += wordSize) {
      const value = r.looseWord(at + slot, name);
      if (value !== undefined && inCode(value)) initializers.add(value);
    }
  }
  const stored = (where: number, value: number) => {
    if (!inCode(value)) return;
    addressTaken.add(value);
    if (arrays.some((array) => where >= array.start && where < array.end)) initializers.add(value);
  };

  const types = RELOCATION_TYPES[machine];
  if (types && r.wide) {
    const entrySize = tags.get(DT_RELAENT) ?? 24;
    if (entrySize < 24)
      throw new InputError(r.file, undefined, `corrupt ELF file: DT_RELAENT is ${entrySize}`);
    for (const [tableTag, sizeTag, name] of [
      [DT_RELA, DT_RELASZ, 'DT_RELA'],
      [DT_JMPREL, DT_PLTRELSZ, 'DT_JMPREL'],
    ] as const) {
      const address = tags.get(tableTag);
      const size = tags.get(sizeTag) ?? 0;
      if (address === undefined || size === 0) continue;
      const start = fileOffsetOf(r, loads, address, name);
      r.check(start, size, name);
      for (let at = start; at + entrySize <= start + size; at += entrySize) {
        const where = r.u64(at, 'relocation');
        const info = r.view64(at + 8);
        const type = Number(info & 0xffffffffn);
        const index = Number(info >> 32n);
        if (types.relative.has(type)) {
          stored(where, r.i64(at + 16, 'relocation addend'));
          continue;
        }
        if (!types.symbolic.has(type)) continue;
        const symbol = symbols[index];
        if (symbol === undefined) {
          throw new InputError(
            r.file,
            undefined,
            `corrupt ELF file: a relocation names symbol ${index}, past .dynsym`,
          );
        }
        const callable = symbol.type === 'func' || symbol.type === 'ifunc' || symbol.type === 'other';
        if (type === types.got && callable && symbol.nameAt !== 0) {
          const entry: GotEntry = { slot: where, name: r.string(symbol.nameAt, 'symbol name') };
          const address = symbol.address + r.i64(at + 16, 'relocation addend');
          if (symbol.defined && inCode(address)) entry.address = address;
          gotEntries.push(entry);
          continue;
        }
        if (symbol.nameAt !== 0 && callable) functionsTaken.add(r.string(symbol.nameAt, 'symbol name'));
        if (symbol.defined) stored(where, symbol.address + r.i64(at + 16, 'relocation addend'));
      }
    }
    // DT_RELR (packed relative relocations): an even word is an address, an odd one a bitmap of
    // the 63 words after the last address; the addend is the word already at the address.
    const relr = tags.get(DT_RELR);
    const relrSize = tags.get(DT_RELRSZ) ?? 0;
    if (relr !== undefined && relrSize > 0) {
      if ((tags.get(DT_RELRENT) ?? 8) !== 8)
        throw new InputError(r.file, undefined, 'corrupt ELF file: DT_RELRENT is not 8');
      const start = fileOffsetOf(r, loads, relr, 'DT_RELR');
      r.check(start, relrSize, 'DT_RELR');
      const apply = (where: number) => {
        const segment = loads.find((p) => where >= p.address && where + 8 <= p.address + p.fileSize);
        if (!segment) return;
        const value = r.looseWord(segment.offset + (where - segment.address), 'DT_RELR target');
        if (value !== undefined) stored(where, value);
      };
      let next = 0;
      for (let at = start; at + 8 <= start + relrSize; at += 8) {
        const entry = r.view64(at);
        if ((entry & 1n) === 0n) {
          const where = Number(entry);
          apply(where);
          next = where + 8;
          continue;
        }
        for (let bit = 1; bit < 64; bit++) {
          if ((entry >> BigInt(bit)) & 1n) apply(next + (bit - 1) * 8);
        }
        next += 63 * 8;
      }
    }
  }
  const sorted = (values: Set<number>) => [...values].sort((a, b) => a - b);
  return {
    initializers: sorted(initializers),
    addressTaken: sorted(addressTaken),
    functionsTaken: [...functionsTaken].sort(),
    gotEntries: gotEntries.sort((a, b) => a.slot - b.slot),
  };
}

export function parseElf(bytes: Uint8Array, file: string): ElfInfo {
  if (bytes.length < 4 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new InputError(file, undefined, 'not an ELF file (it does not start with \\x7fELF)');
  }
  if (bytes.length < 16)
    throw new InputError(file, undefined, 'truncated ELF file: the identification is cut short');
  const elfClass = bytes[4];
  const data = bytes[5];
  if (elfClass !== 1 && elfClass !== 2) {
    throw new InputError(file, undefined, `corrupt ELF file: class ${elfClass} is neither 32- nor 64-bit`);
  }
  if (data !== 1 && data !== 2) {
    throw new InputError(
      file,
      undefined,
      `corrupt ELF file: data encoding ${data} is neither little- nor big-endian`,
    );
  }
  const r = new Reader(bytes, file, data === 1, elfClass === 2);
  r.check(0, r.wide ? 64 : 52, 'ELF header');
  const machineCode = r.u16(18, 'e_machine');
  const phdrs = programHeaders(r);
  const loads = phdrs.filter((p) => p.type === PT_LOAD);
  const interp = phdrs.find((p) => p.type === PT_INTERP);
  const interpreter = interp ? r.string(interp.offset, 'PT_INTERP') : undefined;
  const dynamic = dynamicOf(
    r,
    phdrs.find((p) => p.type === PT_DYNAMIC),
    loads,
  );
  const machine = MACHINES[machineCode] ?? `machine-${machineCode}`;
  const { imports, exports, table } = dynamicSymbols(r, sectionHeaders(r));
  const pointers = codePointers(r, dynamic.tags, loads, machine, table);
  const buildId = buildIdOf(
    r,
    phdrs.filter((p) => p.type === PT_NOTE),
  );
  const info: ElfInfo = {
    file,
    elfClass: r.wide ? 64 : 32,
    endian: r.little ? 'little' : 'big',
    type: ET_TYPES[r.u16(16, 'e_type')] ?? 'other',
    machine,
    staticallyLinked:
      interpreter === undefined && dynamic.needed.length === 0 && dynamic.soname === undefined,
    needed: dynamic.needed,
    imports,
    exports,
    executableSegments: loads
      .filter((p) => (p.flags & PF_X) !== 0)
      .map((p) => ({ address: p.address, size: p.memSize, fileOffset: p.offset, fileSize: p.fileSize })),
    ...pointers,
  };
  if (interpreter !== undefined) info.interpreter = interpreter;
  if (buildId !== undefined) info.buildId = buildId;
  if (dynamic.soname !== undefined) info.soname = dynamic.soname;
  return info;
}

/** Reads and parses `path`; a file that cannot be read is an input error naming it. */
export async function readElf(path: string): Promise<ElfInfo> {
  return parseElf(await readBinaryFile(path), path);
}
