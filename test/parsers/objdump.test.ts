import { describe, expect, it } from 'vitest';
import { parseInstructionLine, parseObjdump, splitOperands } from '../../parsers/objdump.js';

/** Lines as binutils 2.40 prints them for Debian 12's libc.so.6 (`objdump -d --no-show-raw-insn`). */
const LISTING = [
  '',
  '/lib/x86_64-linux-gnu/libc.so.6:     file format elf64-x86-64',
  '',
  '',
  'Disassembly of section .plt:',
  '',
  '0000000000026010 <*ABS*+0x9f550@plt>:',
  '   26010:\tjmp    *0x1acfea(%rip)        # 1d3000 <h_errlist@@GLIBC_2.2.5+0xda0>',
  '   26016:\tpush   $0x34',
  '',
  'Disassembly of section .text:',
  '',
  '00000000000fec10 <fsync@@GLIBC_2.2.5>:',
  '   fec10:\tendbr64',
  '   fec17:\tje     fec30 <fsync@@GLIBC_2.2.5+0x20>',
  '   fec1b:\tmov    $0x4a,%eax',
  '   fec20:\tsyscall',
  '   fec22:\tnotrack jmp *%rax',
  '   fec25:\tlock cmpxchg %edx,(%r9)',
  '   fec2a:\tcs nopw 0x0(%rax,%rax,1)',
  '\t...',
];

describe('parseInstructionLine', () => {
  it('reads address, mnemonic and operands, with a direct target and its symbol', () => {
    expect(parseInstructionLine('   fec17:\tje     fec30 <fsync@@GLIBC_2.2.5+0x20>')).toEqual({
      address: 0xfec17,
      mnemonic: 'je',
      operands: 'fec30 <fsync@@GLIBC_2.2.5+0x20>',
      target: 0xfec30,
      targetSymbol: 'fsync@@GLIBC_2.2.5+0x20',
    });
  });

  it('takes the address of a RIP-relative operand from the comment and drops the comment', () => {
    expect(
      parseInstructionLine(
        '   26010:\tjmp    *0x1acfea(%rip)        # 1d3000 <h_errlist@@GLIBC_2.2.5+0xda0>',
      ),
    ).toEqual({
      address: 0x26010,
      mnemonic: 'jmp',
      operands: '*0x1acfea(%rip)',
      reference: 0x1d3000,
    });
  });

  it('strips prefixes from the mnemonic', () => {
    expect(parseInstructionLine('   fec22:\tnotrack jmp *%rax')).toMatchObject({
      mnemonic: 'jmp',
      operands: '*%rax',
    });
    expect(parseInstructionLine('   fec25:\tlock cmpxchg %edx,(%r9)')).toMatchObject({ mnemonic: 'cmpxchg' });
    expect(parseInstructionLine('   fec2a:\tcs nopw 0x0(%rax,%rax,1)')).toMatchObject({ mnemonic: 'nopw' });
    expect(parseInstructionLine('   fec20:\tsyscall')).toEqual({
      address: 0xfec20,
      mnemonic: 'syscall',
      operands: '',
    });
  });

  it('is undefined for anything that is not an instruction', () => {
    for (const line of [
      '',
      '\t...',
      'Disassembly of section .text:',
      '00000000000fec10 <fsync@@GLIBC_2.2.5>:',
    ]) {
      expect(parseInstructionLine(line)).toBeUndefined();
    }
  });
});

describe('parseObjdump', () => {
  it('collects labels with their sections, and every instruction', () => {
    const listing = parseObjdump(LISTING);
    expect(listing.labels).toEqual([
      { address: 0x26010, name: '*ABS*+0x9f550@plt', section: '.plt' },
      { address: 0xfec10, name: 'fsync@@GLIBC_2.2.5', section: '.text' },
    ]);
    expect(listing.instructions.map((instruction) => instruction.mnemonic)).toEqual([
      'jmp',
      'push',
      'endbr64',
      'je',
      'mov',
      'syscall',
      'jmp',
      'cmpxchg',
      'nopw',
    ]);
  });
});

describe('splitOperands', () => {
  it('splits at top-level commas only', () => {
    expect(splitOperands('0x8(%rsp,%rax,4),%eax')).toEqual(['0x8(%rsp,%rax,4)', '%eax']);
    expect(splitOperands('$0x4a,%eax')).toEqual(['$0x4a', '%eax']);
    expect(splitOperands('')).toEqual([]);
  });

  it('keeps aarch64 brackets together and trims the operands', () => {
    expect(splitOperands('x29, x30, [sp, #-32]!')).toEqual(['x29', 'x30', '[sp, #-32]!']);
  });
});

describe('aarch64 lines (aarch64-linux-gnu-objdump, binutils 2.40)', () => {
  it('splits the mnemonic at the tab and drops the // comment', () => {
    expect(parseInstructionLine('   e0dc0:\tmov\tx8, #0x52                  \t// #82')).toEqual({
      address: 0xe0dc0,
      mnemonic: 'mov',
      operands: 'x8, #0x52',
    });
    expect(parseInstructionLine('   e0dc4:\tsvc\t#0x0')).toMatchObject({ mnemonic: 'svc', operands: '#0x0' });
  });

  it('takes a branch target that follows other operands or precedes a comment', () => {
    expect(parseInstructionLine('   e0db8:\tcbz\tw1, e0de4 <fsync@@GLIBC_2.17+0x44>')).toMatchObject({
      mnemonic: 'cbz',
      target: 0xe0de4,
      targetSymbol: 'fsync@@GLIBC_2.17+0x44',
    });
    expect(parseInstructionLine('   e0dcc:\tb.hi\te0e1c <fsync@@GLIBC_2.17+0x7c>  // b.pmore')).toMatchObject(
      { mnemonic: 'b.hi', target: 0xe0e1c },
    );
  });
});
