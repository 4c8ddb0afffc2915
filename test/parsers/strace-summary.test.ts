import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  createStraceSummaryParser,
  isSummaryHeader,
  straceSyscall,
  summaryTitle,
} from '../../parsers/strace-summary.js';
import { InputError } from '../../src/errors.js';
import { feedLines } from '../../src/sources/lines.js';
import type { Abi } from '../../src/syscalls/abi.js';
import { CollectingSink } from '../helpers/collecting-sink.js';

const SAMPLES = new URL('../../samples/traces/strace-samples/', import.meta.url);
const OWN_SAMPLES = new URL('../../samples/traces/', import.meta.url);

async function parse(text: string, file = 'summary.txt', host: Abi = 'x86_64'): Promise<CollectingSink> {
  const sink = new CollectingSink();
  await feedLines(Readable.from([text]), file, createStraceSummaryParser(sink, { file, host }));
  return sink;
}

function sample(name: string, base = SAMPLES): string {
  return readFileSync(new URL(name, base), 'utf8');
}

/** Lines 1..`last` of `text`, newline-terminated, as a file cut after line `last` would be. */
function firstLines(text: string, last: number): string {
  return `${text.split('\n').slice(0, last).join('\n')}\n`;
}

interface Column {
  readonly header: string;
  readonly width: number;
  /** Left-aligned, as strace prints the syscall column. */
  readonly left?: boolean;
}

/** Prints a table the way strace's count.c call_summary_pers() does, for column sets no sample has. */
function printTable(columns: readonly Column[], rows: readonly string[][], total: readonly string[]): string {
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => {
        const column = columns[i] ?? { header: '', width: 0 };
        if (!column.left) return cell.padStart(column.width);
        return i === columns.length - 1 ? cell : cell.padEnd(column.width);
      })
      .join(' ');
  const divider = columns.map((column) => '-'.repeat(column.width)).join(' ');
  return [
    line(columns.map((column) => column.header)),
    divider,
    ...rows.map(line),
    divider,
    line(total),
    '',
  ].join('\n');
}

describe('strace -c summary tables from strace 6.1', () => {
  it('reads one table per personality: host, 32 bit and x32 (local-c-f-multipersonality)', async () => {
    const sink = await parse(sample('local-c-f-multipersonality.stderr.txt'));
    expect([...sink.counts.keys()]).toEqual(['x86_64', 'x86', 'x32']);
    expect(sink.of('x86_64')).toEqual({
      wait4: [5, 2],
      execve: [3, 0],
      read: [3, 0],
      write: [1, 0],
      close: [5, 0],
      mmap: [17, 0],
      mprotect: [7, 0],
      munmap: [2, 0],
      brk: [6, 0],
      rt_sigaction: [8, 0],
      rt_sigprocmask: [11, 0],
      rt_sigreturn: [2, 0],
      pread64: [4, 0],
      access: [2, 2],
      madvise: [1, 0],
      getpid: [1, 0],
      clone: [1, 0],
      vfork: [2, 0],
      getuid: [1, 0],
      getgid: [1, 0],
      geteuid: [2, 0],
      getegid: [1, 0],
      getppid: [1, 0],
      arch_prctl: [2, 0],
      futex: [1, 0],
      set_tid_address: [2, 0],
      clock_nanosleep: [1, 0],
      openat: [6, 1],
      newfstatat: [6, 0],
      set_robust_list: [4, 0],
      prlimit64: [2, 0],
      getrandom: [2, 0],
      rseq: [3, 0],
      clone3: [1, 0],
    });
    expect(Object.keys(sink.of('x86_64'))).toHaveLength(34);
    expect(sink.total('x86_64')).toEqual({ calls: 117, errors: 5 });
    expect(sink.of('x86')).toEqual({ getpid: [1, 0], open: [1, 1], write: [1, 0] });
    expect(sink.of('x32')).toEqual({ getpid: [1, 1] });
    expect(sink.notices).toEqual([]);
  });

  it('locates -U columns in any order, with -w and -S calls (local-c-w-S-calls-U)', async () => {
    const sink = await parse(sample('local-c-w-S-calls-U.stderr.txt'));
    expect([...sink.counts.keys()]).toEqual(['x86_64', 'x32']);
    expect(Object.keys(sink.of('x86_64'))).toHaveLength(26);
    expect(sink.total('x86_64')).toEqual({ calls: 54, errors: 2 });
    expect(sink.of('x86_64')).toMatchObject({ mmap: [9, 0], openat: [4, 1], access: [1, 1], clone3: [1, 0] });
    expect(sink.of('x32')).toEqual({ getpid: [1, 1] });
  });

  it('reads a summary the 32 bit personality of a non-x86 host calls "32 bit"', async () => {
    const sink = await parse(
      sample('local-c-f-multipersonality.stderr.txt').split('System call usage summary for x32')[0] ?? '',
      's.txt',
      'aarch64',
    );
    expect([...sink.counts.keys()]).toEqual(['aarch64', 'arm']);
    expect(sink.of('arm')).toEqual({ getpid: [1, 0], open: [1, 1], write: [1, 0] });
  });
});

describe('strace -c summaries captured for this project (samples/traces)', () => {
  it('reads strace-c-busybox-sh.txt', async () => {
    const sink = await parse(sample('strace-c-busybox-sh.txt', OWN_SAMPLES));
    expect(Object.keys(sink.of('x86_64'))).toHaveLength(23);
    expect(sink.total('x86_64')).toEqual({ calls: 55, errors: 0 });
    expect(sink.of('x86_64')).toMatchObject({
      brk: [10, 0],
      sendfile: [2, 0],
      execve: [2, 0],
      write: [1, 0],
    });
  });

  it('skips the trace lines of a -C output and reads its table (strace-C-busybox-sh.txt)', async () => {
    const sink = await parse(sample('strace-C-busybox-sh.txt', OWN_SAMPLES));
    expect(Object.keys(sink.of('x86_64'))).toHaveLength(26);
    expect(sink.total('x86_64')).toEqual({ calls: 80, errors: 2 });
    expect(sink.of('x86_64')).toMatchObject({ wait4: [2, 1], openat: [3, 1], brk: [15, 0] });
  });
});

describe('strace -c column sets and versions', () => {
  const wall: Column[] = [
    { header: 'calls', width: 9 },
    { header: 'errors', width: 9 },
    { header: 'wall-total', width: 11 },
    { header: 'wall-min', width: 8 },
    { header: 'wall-max', width: 8 },
    { header: 'wall-avg', width: 11 },
    { header: 'syscall', width: 16, left: true },
  ];

  it('reads strace 7.1 wall-* columns and reports a syscall_0x… row as its number', async () => {
    const text = printTable(
      wall,
      [
        ['3', '', '0.000300', '0.000050', '0.000150', '100', 'openat'],
        ['2', '2', '0.000020', '0.000010', '0.000010', '10', 'syscall_0xbad'],
      ],
      ['5', '2', '0.000320', '0.000010', '0.000150', '64', 'total'],
    );
    const sink = await parse(text);
    expect(sink.get('x86_64', 0xbad)).toEqual({ calls: 2, errors: 2 });
    expect(sink.get('x86_64', 'openat')).toEqual({ calls: 3, errors: 0 });
  });

  it('reads the syscall column first and errors last, also with trailing blanks stripped', async () => {
    const columns: Column[] = [
      { header: 'syscall', width: 16, left: true },
      { header: 'calls', width: 9 },
      { header: 'errors', width: 9 },
    ];
    const text = printTable(
      columns,
      [
        ['read', '4', ''],
        ['close', '2', '1'],
      ],
      ['total', '6', '1'],
    );
    expect((await parse(text)).of('x86_64')).toEqual({ read: [4, 0], close: [2, 1] });
    const stripped = text.replace(/ +$/gm, '');
    expect(stripped).not.toEqual(text);
    expect((await parse(stripped)).of('x86_64')).toEqual({ read: [4, 0], close: [2, 1] });
  });

  it('counts each row of a table without a calls column as one call (or its errors)', async () => {
    const columns: Column[] = [
      { header: '% time', width: 6 },
      { header: 'errors', width: 9 },
      { header: 'syscall', width: 16, left: true },
    ];
    const text = printTable(
      columns,
      [
        ['60.00', '', 'read'],
        ['40.00', '3', 'open'],
      ],
      ['100.00', '3', 'total'],
    );
    expect((await parse(text)).of('x86_64')).toEqual({ read: [1, 0], open: [3, 3] });
  });

  it('reads a table with no rows', async () => {
    const text = printTable(
      [
        { header: 'calls', width: 9 },
        { header: 'syscall', width: 16, left: true },
      ],
      [],
      ['0', 'total'],
    );
    const sink = await parse(text);
    expect(sink.counts.size).toBe(0);
  });
});

describe('strace -c input it must reject', () => {
  const multipersonality = sample('local-c-f-multipersonality.stderr.txt');

  it('rejects a table cut before its total line, naming file and line', async () => {
    const cut = parse(firstLines(multipersonality, 50), 'cut.txt');
    await expect(cut).rejects.toThrow(InputError);
    await expect(cut).rejects.toThrow(
      'cut.txt:50: truncated strace -c table (header at line 47): no total line',
    );
    await expect(parse(firstLines(multipersonality, 52), 'cut.txt')).rejects.toThrow(
      'cut.txt:52: truncated strace -c table',
    );
    await expect(parse(firstLines(multipersonality, 8), 'cut.txt')).rejects.toThrow(
      'cut.txt:8: truncated strace -c table',
    );
  });

  it('rejects a personality title with no table after it', async () => {
    await expect(parse(firstLines(multipersonality, 54), 'cut.txt')).rejects.toThrow(
      'cut.txt:54: truncated strace -c output: no table after line 54',
    );
    const interrupted = multipersonality.replace('System call usage summary for x32 mode:\n', '$&hello\n');
    await expect(parse(interrupted, 'x.txt')).rejects.toThrow('x.txt:55: garbled strace -c output');
  });

  it('rejects a garbled row with its line', async () => {
    const garbled = multipersonality.replace('         6           brk', '         6  x        brk');
    await expect(parse(garbled, 'garbled.txt')).rejects.toThrow(
      /^garbled\.txt:18: garbled strace -c row \(bad errors column\)/,
    );
    const shifted = multipersonality.replace('         6           brk', '          6          brk');
    await expect(parse(shifted, 'garbled.txt')).rejects.toThrow(
      'garbled.txt:18: garbled strace -c row (bad calls column)',
    );
    const bad = multipersonality.replace('clone3\n', 'clone3\nnot a row\n');
    await expect(parse(bad, 'garbled.txt')).rejects.toThrow('garbled.txt:44: garbled strace -c row');
  });

  it('rejects a table whose rows do not add up to its total line', async () => {
    const lost = multipersonality.replace(/^ {2}0\.00 {4}0\.000000 {11}0 {9}1 {11}madvise\n/m, '');
    expect(lost).not.toEqual(multipersonality);
    await expect(parse(lost, 'lost.txt')).rejects.toThrow(
      'lost.txt:44: strace -c table does not add up (rows: 116 calls, 5 errors; total line: 117 calls, 5 errors)',
    );
  });

  it('rejects a header without its divider and a total line that is not one', async () => {
    const noDivider = multipersonality.replace(/^-{6} .*\n(?= 66\.03)/m, '');
    await expect(parse(noDivider, 'x.txt')).rejects.toThrow('x.txt:9: garbled strace -c table');
    const noTotal = multipersonality.replace(
      /^100\.00 {4}0\.000468 .*total$/m,
      '  0.00    0.000000           0       117         5 mmap',
    );
    await expect(parse(noTotal, 'x.txt')).rejects.toThrow(
      'x.txt:45: garbled strace -c table: expected the total line',
    );
  });

  it('rejects a personality the host does not have', async () => {
    await expect(parse(multipersonality, 'arm.txt', 'aarch64')).rejects.toThrow(
      'arm.txt:54: strace personality "x32" does not exist on a aarch64 host',
    );
  });

  it('rejects input with no table at all', async () => {
    await expect(parse('hello\nstrace: Process 1 attached\n', 'none.txt')).rejects.toThrow(
      'none.txt: no strace -c summary table found',
    );
  });
});

describe('summary helpers', () => {
  it('recognises header lines of any column set and nothing else', () => {
    expect(isSummaryHeader('% time     seconds  usecs/call     calls    errors syscall')).toBe(true);
    expect(isSummaryHeader('syscall              calls    errors     seconds shortest  longest')).toBe(true);
    expect(isSummaryHeader('calls wall-avg syscall')).toBe(true);
    expect(isSummaryHeader('calls errors')).toBe(false);
    expect(isSummaryHeader('syscall calls syscall')).toBe(false);
    expect(isSummaryHeader('the syscall calls')).toBe(false);
  });

  it('reads personality titles and unnamed syscalls', () => {
    expect(summaryTitle('System call usage summary for 32 bit mode:')).toBe('32 bit');
    expect(summaryTitle('System call usage summary for x32 mode')).toBeUndefined();
    expect(straceSyscall('syscall_0xbad')).toBe(0xbad);
    expect(straceSyscall('syscall_335')).toBe(335);
    expect(straceSyscall('syscall')).toBe('syscall');
    expect(straceSyscall('openat')).toBe('openat');
  });
});
