import { describe, expect, it } from 'vitest';
import { KernelTypes } from '../../src/sources/kernel-btf.js';

/**
 * BTF written as linux/include/uapi/linux/btf.h lays it out, with the shapes the kernel's own types
 * have where the reader must take care: a declaration (FWD) named like the structure, members inside
 * anonymous unions and structures, typedef and const chains, arrays, bitfields (kind_flag), and kinds
 * the reader skips over (ENUM, FUNC_PROTO). The live kernel's BTF is read in test/e2e/record-bpf.test.ts,
 * where the offsets must make bpftrace read what its own BTF names read.
 */
class BtfWriter {
  private readonly types: Buffer[] = [];
  private readonly strings: string[] = [''];
  private stringLength = 1;

  private name(text: string): number {
    if (text === '') return 0;
    const offset = this.stringLength;
    this.strings.push(text);
    this.stringLength += Buffer.byteLength(text) + 1;
    return offset;
  }

  private add(
    name: string,
    kind: number,
    vlen: number,
    sizeOrType: number,
    extra: number[],
    kindFlag = false,
  ): number {
    const words = [this.name(name), ((kindFlag ? 1 : 0) << 31) | (kind << 24) | vlen, sizeOrType, ...extra];
    const buffer = Buffer.alloc(4 * words.length);
    words.forEach((word, index) => {
      buffer.writeUInt32LE(word >>> 0, 4 * index);
    });
    this.types.push(buffer);
    return this.types.length;
  }

  int(name: string, size: number): number {
    return this.add(name, 1, 0, size, [size * 8]);
  }
  pointer(to: number): number {
    return this.add('', 2, 0, to, []);
  }
  array(of: number, count: number, index: number): number {
    return this.add('', 3, 0, 0, [of, index, count]);
  }
  struct(
    name: string,
    size: number,
    members: Array<[string, number, number]>,
    kindFlag = false,
    union = false,
  ): number {
    return this.add(
      name,
      union ? 5 : 4,
      members.length,
      size,
      members.flatMap(([member, type, bitOffset]) => [this.name(member), type, bitOffset]),
      kindFlag,
    );
  }
  declaration(name: string): number {
    return this.add(name, 7, 0, 0, []);
  }
  typedef(name: string, to: number): number {
    return this.add(name, 8, 0, to, []);
  }
  constant(to: number): number {
    return this.add('', 10, 0, to, []);
  }
  enumeration(name: string, values: string[]): number {
    return this.add(
      name,
      6,
      values.length,
      4,
      values.flatMap((value, index) => [this.name(value), index]),
    );
  }
  prototype(returns: number, parameters: number[]): number {
    return this.add(
      '',
      13,
      parameters.length,
      returns,
      parameters.flatMap((type) => [0, type]),
    );
  }

  write(): Buffer {
    const types = Buffer.concat(this.types);
    const strings = Buffer.from(`${this.strings.join('\0')}\0`);
    const header = Buffer.alloc(24);
    header.writeUInt16LE(0xeb9f, 0);
    header.writeUInt8(1, 2);
    header.writeUInt32LE(24, 4);
    header.writeUInt32LE(0, 8);
    header.writeUInt32LE(types.length, 12);
    header.writeUInt32LE(types.length, 16);
    header.writeUInt32LE(strings.length, 20);
    return Buffer.concat([header, types, strings]);
  }
}

function kernelLike(): Buffer {
  const btf = new BtfWriter();
  btf.declaration('task_struct');
  const u32 = btf.int('unsigned int', 4);
  const u64 = btf.int('long unsigned int', 8);
  const int = btf.int('int', 4);
  const char = btf.int('char', 1);
  btf.enumeration('pid_type', ['PIDTYPE_PID', 'PIDTYPE_TGID']);
  btf.prototype(int, [u64, u32]);
  const u32Typedef = btf.typedef('u32', u32);
  const threadInfo = btf.struct('thread_info', 24, [
    ['flags', u64, 0],
    ['syscall_work', u64, 64],
    ['status', btf.constant(u32Typedef), 128],
  ]);
  const seccomp = btf.struct('seccomp', 16, [
    ['mode', int, 0],
    ['filter_count', u32, 32],
  ]);
  const nsproxy = btf.declaration('nsproxy');
  // Bitfields (kind_flag): the top 8 bits of an offset are the field's width.
  const bits = btf.struct(
    '',
    4,
    [
      ['in_execve', u32, (1 << 24) | 0],
      ['in_iowait', u32, (1 << 24) | 1],
    ],
    true,
  );
  const anonymousUnion = btf.struct('', 8, [['comm_pointer', btf.pointer(char), 0]], false, true);
  btf.struct('task_struct', 2048, [
    ['thread_info', threadInfo, 0],
    ['', bits, 256],
    ['', anonymousUnion, 320],
    ['seccomp', seccomp, 1024],
    ['nsproxy', btf.pointer(nsproxy), 1536],
    ['comm', btf.array(char, 16, u32), 1600],
  ]);
  return btf.write();
}

describe('the kernel types read from BTF', () => {
  const types = KernelTypes.parse(kernelLike(), 'kernel-like.btf');

  it('finds a structure by name past its declaration, and a field through typedefs and qualifiers', () => {
    expect(types.field('task_struct', ['thread_info', 'status'])).toEqual({
      offset: 16,
      size: 4,
      pointer: false,
    });
    expect(types.field('task_struct', ['seccomp', 'mode'])).toEqual({ offset: 128, size: 4, pointer: false });
  });

  it('tells pointers and arrays apart, with their sizes', () => {
    expect(types.field('task_struct', ['nsproxy'])).toEqual({ offset: 192, size: 8, pointer: true });
    expect(types.field('task_struct', ['comm'])).toEqual({ offset: 200, size: 16, pointer: false });
  });

  it('looks through anonymous unions and structures, adding their offsets', () => {
    expect(types.field('task_struct', ['comm_pointer'])).toEqual({ offset: 40, size: 8, pointer: true });
  });

  it('refuses bitfields and names what is missing', () => {
    expect(() => types.field('task_struct', ['in_iowait'])).toThrow('task_struct.in_iowait is a bitfield');
    expect(() => types.field('task_struct', ['seccomp', 'filter'])).toThrow(
      "the kernel's BTF has no task_struct.seccomp.filter (filter is missing)",
    );
    // Only declared, never defined: no members to read.
    expect(() => types.field('nsproxy', ['mnt_ns'])).toThrow("the kernel's BTF has no struct nsproxy");
  });

  it('refuses what is not BTF', () => {
    expect(() => KernelTypes.parse(Buffer.from('not btf at all, not btf at all'), 'x.btf')).toThrow(
      'x.btf: no BTF magic',
    );
    const cut = kernelLike().subarray(0, 40);
    expect(() => KernelTypes.parse(cut, 'cut.btf')).toThrow('cut.btf: sections past its end');
  });
});
