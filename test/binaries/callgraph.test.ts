import { describe, expect, it } from 'vitest';
import type { ElfInfo, ElfSymbol } from '../../parsers/elf.js';
import { parseObjdump } from '../../parsers/objdump.js';
import { buildCallGraph } from '../../src/binaries/callgraph.js';

/** A stripped library in miniature: only exports are labelled, internal functions are call targets. */
const LISTING = `
Disassembly of section .plt:

0000000000001000 <malloc@plt>:
    1000:\tjmp    *0x2002(%rip)        # 3008 <x>
0000000000001010 <*ABS*+0x3000@plt>:
    1010:\tjmp    *0x2002(%rip)        # 3010 <x>

Disassembly of section .text:

0000000000002000 <calls_helper@@V1>:
    2000:\tendbr64
    2004:\tcall   2100 <calls_helper@@V1+0x100>
    2009:\tret
    200a:\tcs nopw 0x0(%rax,%rax,1)
    2100:\tmov    $0x4a,%eax
    2105:\tsyscall
    2107:\tret
0000000000002200 <tail_jumps@@V1>:
    2200:\tjmp    2300 <falls_through@@V1>
0000000000002300 <falls_through@@V1>:
    2300:\tcall   1000 <malloc@plt>
    2305:\tmov    $0x27,%eax
    230a:\tsyscall
    230c:\tcall   2400 <falls_through@@V1+0x100>
    2311:\tnop
    2400:\tmov    $0x3c,%eax
    2405:\tsyscall
    2407:\txor    %eax,%eax
    2409:\tsyscall
    240b:\tret
0000000000002500 <futex_loop@@V1>:
    2500:\tmov    $0xca,%r8d
    2506:\tmov    %r8d,%eax
    2509:\tsyscall
    250b:\ttest   %eax,%eax
    250d:\tjne    2506 <futex_loop@@V1+0x6>
    250f:\tret
0000000000002600 <computed@@V1>:
    2600:\tmov    %rdi,%rax
    2603:\tsyscall
    2605:\tret
0000000000002700 <uses_ifunc@@V1>:
    2700:\tcall   1010 <*ABS*+0x3000@plt>
    2705:\tcall   *0x10(%rax)
    2708:\tret
0000000000003000 <resolver@@V1>:
    3000:\tlea    0xfa(%rip),%rax        # 3100 <resolver@@V1+0x100>
    3007:\tret
    3100:\tmov    $0x66,%eax
    3105:\tsyscall
    3107:\tret
`.split('\n');

const fn = (name: string, address: number): ElfSymbol => ({
  name,
  type: 'func',
  bind: 'global',
  address,
  size: 0,
});

const ELF: ElfInfo = {
  file: 'libtiny.so',
  elfClass: 64,
  endian: 'little',
  type: 'shared',
  machine: 'x86_64',
  staticallyLinked: false,
  needed: [],
  soname: 'libtiny.so',
  imports: [{ name: 'malloc', type: 'func', bind: 'global', address: 0, size: 0 }],
  exports: [
    fn('calls_helper', 0x2000),
    fn('tail_jumps', 0x2200),
    fn('falls_through', 0x2300),
    fn('futex_loop', 0x2500),
    fn('computed', 0x2600),
    fn('uses_ifunc', 0x2700),
    { ...fn('resolver', 0x3000), type: 'ifunc' },
  ],
  executableSegments: [{ address: 0x1000, size: 0x3000, fileOffset: 0x1000, fileSize: 0x3000 }],
};

const graph = buildCallGraph(ELF, parseObjdump(LISTING));

describe('buildCallGraph', () => {
  it('follows a call into an unlabelled internal function and names the syscall from mov $N,%eax', () => {
    expect(graph.exports.calls_helper).toEqual({ syscalls: ['fsync'], imports: [], unknownNumber: false });
  });

  it('does not run on past a ret into the padding and the next function', () => {
    expect(graph.exports.calls_helper?.syscalls).not.toContain('getpid');
  });

  it('follows a tail jump, PLT imports, and a call that does not return (no fall-through after it)', () => {
    expect(graph.exports.tail_jumps).toEqual(graph.exports.falls_through);
    // xor %eax,%eax before syscall is read (0).
    expect(graph.exports.falls_through).toEqual({
      syscalls: ['exit', 'getpid', 'read'],
      imports: ['malloc'],
      unknownNumber: false,
    });
    expect(graph.exports.falls_through?.syscalls).not.toContain('futex');
  });

  it('finds a number set in a register before a loop, through the jump back into the block', () => {
    expect(graph.exports.futex_loop).toEqual({ syscalls: ['futex'], imports: [], unknownNumber: false });
  });

  it('records a computed number (syscall(2)) as an unknown site rather than guessing', () => {
    expect(graph.exports.computed).toEqual({ syscalls: [], imports: [], unknownNumber: true });
    expect(graph.unknownSites).toEqual([0x2603]);
  });

  it('reaches every variant an IFUNC resolver can pick, through the *ABS*@plt slot, and counts indirect calls (not the PLT’s own jumps)', () => {
    expect(graph.exports.uses_ifunc?.syscalls).toEqual(['getuid']);
    expect(graph.exports.resolver?.syscalls).toEqual(['getuid']);
    expect(graph.indirectCalls).toBe(1);
  });

  it('unites everything for the file taken whole, and can skip the per-export analysis', () => {
    expect(graph.whole).toEqual({
      syscalls: ['exit', 'fsync', 'futex', 'getpid', 'getuid', 'read'],
      imports: ['malloc'],
      unknownNumber: true,
    });
    expect(graph.syscallSites).toBe(7);
    const whole = buildCallGraph(ELF, parseObjdump(LISTING), { perExport: false });
    expect(whole.exports).toEqual({});
    expect(whole.whole).toEqual(graph.whole);
  });

  it('splits a cold fragment off the function before it, and keeps a jump table’s split-off cases', () => {
    const cold = `
Disassembly of section .text:

0000000000001000 <dies@@V1>:
    1000:\tmov    $0x3e,%eax
    1005:\tsyscall
    1007:\thlt
    1008:\tmov    $0x27,%eax
    100d:\tsyscall
    100f:\tjmp    2008 <hot@@V1+0x8>
0000000000002000 <hot@@V1>:
    2000:\ttest   %edi,%edi
    2002:\tjne    1008 <dies@@V1+0x8>
    2008:\tret
0000000000003000 <switch@@V1>:
    3000:\tnotrack jmp *%rax
    3003:\txor    %eax,%eax
    3005:\tsyscall
    3007:\tret
    3010:\tmov    $0x1,%eax
    3015:\tsyscall
    3017:\tret
0000000000004000 <shares_a_case@@V1>:
    4000:\tjmp    3010 <switch@@V1+0x10>
`.split('\n');
    const elf: ElfInfo = {
      ...ELF,
      exports: [fn('dies', 0x1000), fn('hot', 0x2000), fn('switch', 0x3000), fn('shares_a_case', 0x4000)],
    };
    const split = buildCallGraph(elf, parseObjdump(cold));
    // hot.cold (at 0x1008) belongs to hot, which jumps into it; dies does not run on into it.
    expect(split.exports.dies?.syscalls).toEqual(['kill']);
    expect(split.exports.hot?.syscalls).toEqual(['getpid']);
    expect(split.exports.switch?.syscalls).toEqual(['read', 'write']);
    expect(split.exports.shares_a_case?.syscalls).toEqual(['write']);
  });
});
