import { readFile } from 'node:fs/promises';

/**
 * Where the running kernel keeps a structure's fields, read from its BTF (/sys/kernel/btf/vmlinux,
 * the format of linux/include/uapi/linux/btf.h). bpftrace resolves `curtask->field` through the same
 * BTF, but parsing all of it costs every bpftrace start-up about 1.5 s; the bpf backend reads the few
 * offsets it needs here, once, and gives bpftrace plain pointer arithmetic.
 */

const BTF_MAGIC = 0xeb9f;

/** BTF kinds (BTF_KIND_*) and the bytes each adds after the 12-byte `struct btf_type`. */
const KIND = {
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;

/** Kinds that only name or qualify another type. */
const MODIFIERS: ReadonlySet<number> = new Set([
  KIND.TYPEDEF,
  KIND.VOLATILE,
  KIND.CONST,
  KIND.RESTRICT,
  KIND.TYPE_TAG,
]);

function trailingBytes(kind: number, vlen: number): number {
  switch (kind) {
    case KIND.INT:
    case KIND.VAR:
    case KIND.DECL_TAG:
      return 4;
    case KIND.ARRAY:
      return 12;
    case KIND.STRUCT:
    case KIND.UNION:
    case KIND.DATASEC:
    case KIND.ENUM64:
      return 12 * vlen;
    case KIND.ENUM:
    case KIND.FUNC_PROTO:
      return 8 * vlen;
    default:
      return 0;
  }
}

interface BtfType {
  kind: number;
  /** `size` for sized kinds, `type` for the others. */
  sizeOrType: number;
  members: Array<{ name: string; type: number; bitOffset: number }>;
  /** ARRAY: element type and count. */
  array?: { type: number; count: number };
}

/** A field: its byte offset from the start of the structure named, and its size in bytes. */
export interface KernelField {
  offset: number;
  size: number;
  /** The field is a pointer (the next structure of a path is reached through it). */
  pointer: boolean;
}

/**
 * The kernel's types, decoded only where a lookup goes: vmlinux has over 100,000 of them and the
 * bpf backend reads a dozen fields.
 */
export class KernelTypes {
  private readonly u32: (at: number) => number;

  private constructor(
    private readonly data: Buffer,
    little: boolean,
    /** Where each type id's `struct btf_type` starts (id 0, void, has none). */
    private readonly starts: Uint32Array,
    private readonly strings: { start: number; end: number },
  ) {
    this.u32 = little ? (at) => data.readUInt32LE(at) : (at) => data.readUInt32BE(at);
  }

  /** Reads the kernel's BTF; throws with the reason when the file is missing or not BTF. */
  static async load(path: string): Promise<KernelTypes> {
    return KernelTypes.parse(await readFile(path), path);
  }

  static parse(data: Buffer, path: string): KernelTypes {
    if (data.length < 24) throw new Error(`${path}: too short for a BTF header`);
    const little = data.readUInt16LE(0) === BTF_MAGIC;
    if (!little && data.readUInt16BE(0) !== BTF_MAGIC) throw new Error(`${path}: no BTF magic`);
    const u32 = (at: number): number => (little ? data.readUInt32LE(at) : data.readUInt32BE(at));
    const headerLength = u32(4);
    const typeStart = headerLength + u32(8);
    const typeEnd = typeStart + u32(12);
    const stringStart = headerLength + u32(16);
    const stringEnd = stringStart + u32(20);
    if (typeEnd > data.length || stringEnd > data.length) throw new Error(`${path}: sections past its end`);
    const starts: number[] = [0];
    for (let at = typeStart; at < typeEnd; ) {
      starts.push(at);
      const info = u32(at + 4);
      at += 12 + trailingBytes((info >>> 24) & 0x1f, info & 0xffff);
    }
    return new KernelTypes(data, little, Uint32Array.from(starts), { start: stringStart, end: stringEnd });
  }

  private name(offset: number): string {
    const start = this.strings.start + offset;
    const end = this.data.indexOf(0, start);
    return this.data.toString('latin1', start, end < 0 || end > this.strings.end ? this.strings.end : end);
  }

  private type(id: number): BtfType {
    const at = this.starts[id];
    if (at === undefined || id === 0) throw new Error(`BTF type ${id} is missing`);
    const info = this.u32(at + 4);
    const kind = (info >>> 24) & 0x1f;
    const type: BtfType = { kind, sizeOrType: this.u32(at + 8), members: [] };
    if (kind === KIND.STRUCT || kind === KIND.UNION) {
      const bitfields = (info & 0x80000000) !== 0;
      for (let index = 0; index < (info & 0xffff); index++) {
        const member = at + 12 + 12 * index;
        const offset = this.u32(member + 8);
        type.members.push({
          name: this.name(this.u32(member)),
          type: this.u32(member + 4),
          // With kind_flag the top 8 bits are a bitfield's size, the low 24 its bit offset.
          bitOffset: bitfields ? offset & 0xffffff : offset,
        });
      }
    } else if (kind === KIND.ARRAY) {
      type.array = { type: this.u32(at + 12), count: this.u32(at + 20) };
    }
    return type;
  }

  /** The id of the structure with members named `name` (a declaration alone has none). */
  private struct(name: string): number | undefined {
    const wanted = Buffer.from(`${name}\0`, 'latin1');
    for (let id = 1; id < this.starts.length; id++) {
      const at = this.starts[id] ?? 0;
      const info = this.u32(at + 4);
      const kind = (info >>> 24) & 0x1f;
      if (kind !== KIND.STRUCT || (info & 0xffff) === 0) continue;
      const start = this.strings.start + this.u32(at);
      if (this.data.compare(wanted, 0, wanted.length, start, start + wanted.length) === 0) return id;
    }
    return undefined;
  }

  /** The type under typedefs and qualifiers. */
  private resolved(id: number): BtfType {
    let type = this.type(id);
    for (let depth = 0; MODIFIERS.has(type.kind); depth++) {
      if (depth > 32) throw new Error(`BTF type ${id} does not resolve`);
      type = this.type(type.sizeOrType);
    }
    return type;
  }

  private sizeOf(type: BtfType): number {
    if (type.kind === KIND.PTR) return 8;
    if (type.array) return type.array.count * this.sizeOf(this.resolved(type.array.type));
    return type.sizeOrType;
  }

  /** A named member, looked for through anonymous structures and unions too (their offsets add up). */
  private findMember(type: BtfType, name: string): { type: number; bitOffset: number } | undefined {
    for (const member of type.members) {
      if (member.name === name) return member;
      if (member.name === '') {
        const inner = this.findMember(this.resolved(member.type), name);
        if (inner) return { type: inner.type, bitOffset: member.bitOffset + inner.bitOffset };
      }
    }
    return undefined;
  }

  /** `struct name` with its members; throws when the kernel's BTF has none. */
  private structType(struct: string): BtfType {
    const id = this.struct(struct);
    if (id === undefined) throw new Error(`the kernel's BTF has no struct ${struct}`);
    return this.resolved(id);
  }

  /** The size of `struct name`. */
  size(struct: string): number {
    return this.sizeOf(this.structType(struct));
  }

  /**
   * The field `path` (members of embedded structures, e.g. ['thread_info', 'status']) of `struct name`.
   * Throws naming what is missing; a bitfield is refused (it has no byte offset).
   */
  field(struct: string, path: readonly string[]): KernelField {
    let type = this.structType(struct);
    let bitOffset = 0;
    for (const name of path) {
      const member = this.findMember(type, name);
      if (!member)
        throw new Error(`the kernel's BTF has no ${struct}.${path.join('.')} (${name} is missing)`);
      bitOffset += member.bitOffset;
      type = this.resolved(member.type);
    }
    if (bitOffset % 8 !== 0) throw new Error(`${struct}.${path.join('.')} is a bitfield`);
    return { offset: bitOffset / 8, size: this.sizeOf(type), pointer: type.kind === KIND.PTR };
  }
}
