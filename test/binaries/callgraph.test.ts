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
  initializers: [],
  addressTaken: [],
  functionsTaken: [],
  gotEntries: [],
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
    // The number is the caller's first argument: a parameter site, unknown only where it is entered
    // from outside (an export) rather than from a caller that sets it.
    expect(graph.unknownSites).toEqual([]);
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

/** musl's shape: wrappers pass the number in %edi to __syscall_cp, which passes it on in %rsi. */
const MUSL_LISTING = `
Disassembly of section .text:

0000000000001000 <fsync>:
    1000:\tmovslq %edi,%rsi
    1003:\tmov    $0x4a,%edi
    1008:\tcall   1100 <fsync+0x100>
    100d:\tret
0000000000001020 <read>:
    1020:\txor    %edi,%edi
    1022:\tcall   1100 <fsync+0x100>
    1027:\tret
0000000000001040 <from_data>:
    1040:\tmov    0x8(%rsi),%rdi
    1044:\tcall   1100 <fsync+0x100>
    1049:\tret
    1100:\tjmp    1200 <fsync+0x200>
    1200:\tpush   %r12
    1202:\tmov    %rdi,%r12
    1205:\tmov    %r12,%rsi
    1208:\tcall   1300 <fsync+0x300>
    120d:\tpop    %r12
    120f:\tret
    1300:\tmov    %rsi,%rax
    1303:\tsyscall
    1305:\tret
0000000000001400 <stdio_read>:
    1400:\tmov    %rdx,%rax
    1403:\ttest   %rax,%rax
    1406:\tje     1410 <stdio_read+0x10>
    1408:\tmov    $0x13,%eax
    140d:\tsyscall
    140f:\tret
    1410:\tsyscall
    1412:\tret
`.split('\n');

describe('buildCallGraph on musl-like and aarch64 code', () => {
  const musl = buildCallGraph(
    {
      ...ELF,
      soname: undefined,
      exports: [fn('fsync', 0x1000), fn('read', 0x1020), fn('from_data', 0x1040), fn('stdio_read', 0x1400)],
    },
    parseObjdump(MUSL_LISTING),
  );

  it('finds a syscall number passed as an argument through __syscall_cp and __syscall_cp_asm', () => {
    expect(musl.exports.fsync).toEqual({ syscalls: ['fsync'], imports: [], unknownNumber: false });
    expect(musl.exports.read).toEqual({ syscalls: ['read'], imports: [], unknownNumber: false });
    expect(musl.exports.from_data).toEqual({ syscalls: [], imports: [], unknownNumber: true });
    expect(musl.unknownSites).toEqual([]);
  });

  it('knows a register is zero on the branch a `test; je` takes (musl’s __stdio_read: read or readv)', () => {
    expect(musl.exports.stdio_read).toEqual({
      syscalls: ['read', 'readv'],
      imports: [],
      unknownNumber: false,
    });
  });

  it('reads aarch64: svc #0 with the number in x8, bl and b, names from the aarch64 table', () => {
    const listing = `
Disassembly of section .text:

0000000000002000 <fsync@@GLIBC_2.17>:
    2000:\tstp\tx29, x30, [sp, #-32]!
    2004:\tcbz\tw1, 2014 <fsync@@GLIBC_2.17+0x14>
    2008:\tmov\tx8, #0x52                  \t// #82
    200c:\tsvc\t#0x0
    2010:\tret
    2014:\tbl\t2100 <fsync@@GLIBC_2.17+0x100>
    2018:\tmov\tw8, #0x52                  \t// #82
    201c:\tsvc\t#0x0
    2020:\tret
    2100:\tmov\tx8, #0xac                  \t// #172
    2104:\tsvc\t#0x0
    2108:\tret
0000000000002200 <open@@GLIBC_2.17>:
    2200:\tmov\tx8, #0x38                  \t// #56
    2204:\tb\t2300 <open@@GLIBC_2.17+0x100>
    2300:\tsvc\t#0x0
    2304:\tret
0000000000002400 <computed@@GLIBC_2.17>:
    2400:\tldr\tx8, [x0]
    2404:\tsvc\t#0x0
    2408:\tret
`.split('\n');
    const elf: ElfInfo = {
      ...ELF,
      machine: 'aarch64',
      exports: [fn('fsync', 0x2000), fn('open', 0x2200), fn('computed', 0x2400)],
    };
    const a64 = buildCallGraph(elf, parseObjdump(listing));
    expect(a64.exports.fsync).toEqual({ syscalls: ['fsync', 'getpid'], imports: [], unknownNumber: false });
    expect(a64.exports.open).toEqual({ syscalls: ['openat'], imports: [], unknownNumber: false });
    expect(a64.exports.computed?.unknownNumber).toBe(true);
    expect(a64.unknownSites).toEqual([0x2404]);
  });
});
