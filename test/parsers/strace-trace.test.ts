import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createStraceSummaryParser } from '../../parsers/strace-summary.js';
import { createStraceTraceParser, straceLineKind } from '../../parsers/strace-trace.js';
import { InputError } from '../../src/errors.js';
import { feedLines } from '../../src/sources/lines.js';
import type { Abi } from '../../src/syscalls/abi.js';
import { CollectingSink } from '../helpers/collecting-sink.js';

const SAMPLES = new URL('../../samples/traces/strace-samples/', import.meta.url);
const OWN_SAMPLES = new URL('../../samples/traces/', import.meta.url);

interface Options {
  readonly file?: string;
  readonly host?: Abi;
  readonly pid?: number;
}

async function parse(
  text: string,
  { file = 'trace.txt', host = 'x86_64', pid }: Options = {},
): Promise<CollectingSink> {
  const sink = new CollectingSink();
  await feedLines(Readable.from([text]), file, createStraceTraceParser(sink, { file, host, pid }));
  return sink;
}

function sample(name: string, base = SAMPLES): string {
  return readFileSync(new URL(name, base), 'utf8');
}

/** What `./unk` (strace-samples/README.md) calls on x86_64, counted with grep from local-f-tt-T-y. */
const UNK_CALLS = {
  execve: [1, 0],
  brk: [3, 0],
  mmap: [9, 0],
  access: [1, 1],
  openat: [4, 1],
  newfstatat: [2, 0],
  close: [3, 0],
  read: [2, 0],
  pread64: [2, 0],
  arch_prctl: [1, 0],
  set_tid_address: [1, 0],
  set_robust_list: [3, 0],
  rseq: [2, 0],
  mprotect: [4, 0],
  prlimit64: [1, 0],
  munmap: [1, 0],
  rt_sigaction: [1, 0],
  rt_sigprocmask: [5, 0],
  getrandom: [1, 0],
  clone3: [1, 0],
  clone: [1, 0],
  wait4: [1, 0],
  write: [1, 0],
  clock_nanosleep: [1, 0],
  exit_group: [2, 0],
  futex: [1, 0],
  madvise: [1, 0],
  exit: [1, 0],
  // syscall(0xbad): strace prints syscall_0xbad, reported as the number 0xbad.
  2989: [1, 1],
};

describe('full traces from strace 6.1 (strace-samples)', () => {
  it('reads -f -tt -T -y on stderr: [pid N] prefixes, unfinished/resumed, split lines, x32 (local-f-tt-T-y)', async () => {
    const sink = await parse(sample('local-f-tt-T-y.stderr.txt'));
    expect([...sink.counts.keys()]).toEqual(['x86_64', 'x32']);
    expect(sink.of('x86_64')).toEqual(UNK_CALLS);
    // getpid was made in x32 mode, between the two personality notices.
    expect(sink.of('x32')).toEqual({ getpid: [1, 1] });
    expect(sink.get('x86_64', 0xbad)).toEqual({ calls: 1, errors: 1 });
    expect(sink.get('x86_64', 'syscall_0xbad')).toBeUndefined();
    expect(sink.notices).toEqual([]);
    // One sink.count per distinct syscall: the parser aggregates.
    expect(sink.countCalls).toBe(Object.keys(UNK_CALLS).length + 1);
  });

  it('reads -f -ttt -o: `PID  ` prefixes; without notices getpid stays on the host ABI (local-f-ttt-o)', async () => {
    const sink = await parse(sample('local-f-ttt-o.txt'));
    expect([...sink.counts.keys()]).toEqual(['x86_64']);
    expect(sink.of('x86_64')).toEqual({ ...UNK_CALLS, getpid: [1, 1] });
  });

  it('reads -ff -r files with the pid from the file name; together they are the -f trace (local-ff-r)', async () => {
    const total = new CollectingSink();
    for (const pid of [8836, 8837, 8838]) {
      const sink = await parse(sample(`local-ff-r/trace.${pid}`), { file: `trace.${pid}`, pid });
      for (const [syscall, tally] of sink.counts.get('x86_64') ?? []) {
        total.count('x86_64', syscall, tally.calls, tally.errors);
      }
      if (pid === 8838)
        expect(sink.of('x86_64')).toEqual({ set_robust_list: [1, 0], write: [1, 0], exit_group: [1, 0] });
    }
    expect(total.of('x86_64')).toEqual({ ...UNK_CALLS, getpid: [1, 1] });
  });

  it('reads -n syscall numbers before the name and before +++ lines (local-n-f-o)', async () => {
    const sink = await parse(sample('local-n-f-o.txt'));
    expect(sink.of('x86_64')).toEqual({ openat: [2, 0] });
  });

  it('reads -yy socket decorations (local-yy-socket)', async () => {
    const sink = await parse(sample('local-yy-socket.stderr.txt'));
    expect(sink.of('x86_64')).toEqual({ socket: [1, 0], connect: [1, 1], close: [1, 0] });
  });

  it('skips signals and a death by signal (local-killed-by-signal)', async () => {
    const sink = await parse(sample('local-killed-by-signal.stderr.txt'));
    expect(sink.of('x86_64')).toEqual({ kill: [1, 0] });
  });
});

describe('full traces captured for this project (samples/traces)', () => {
  // Counted with: grep -cE '^[0-9]+ +[0-9:.]+ NAME\(' and, for errors, ' = (-1|\?) E[A-Z]' on both halves.
  it('reads strace-f-tt-T-yy-python-sockets.txt', async () => {
    const sink = await parse(sample('strace-f-tt-T-yy-python-sockets.txt', OWN_SAMPLES));
    expect([...sink.counts.keys()]).toEqual(['x86_64']);
    expect(sink.total('x86_64')).toEqual({ calls: 626, errors: 62 });
    expect(Object.keys(sink.of('x86_64'))).toHaveLength(46);
    expect(sink.of('x86_64')).toMatchObject({
      futex: [21, 3],
      socket: [3, 0],
      connect: [2, 1],
      accept4: [1, 0],
      openat: [45, 7],
      newfstatat: [168, 17],
      ioctl: [33, 31],
      clone3: [1, 0],
      exit: [1, 0],
      exit_group: [1, 0],
    });
  });

  it('reads strace-f-r-yy-python-sockets.stderr.txt, whose clone3 line strace split with "Process N attached"', async () => {
    const sink = await parse(sample('strace-f-r-yy-python-sockets.stderr.txt', OWN_SAMPLES));
    expect(sink.total('x86_64')).toEqual({ calls: 623, errors: 62 });
    expect(sink.of('x86_64')).toMatchObject({
      futex: [18, 3],
      socket: [3, 0],
      connect: [2, 1],
      clone3: [1, 0],
    });
    expect(sink.notices).toEqual([]);
  });

  it('counts a -C trace once and its counts agree with its own summary table (strace-C-busybox-sh.txt)', async () => {
    const text = sample('strace-C-busybox-sh.txt', OWN_SAMPLES);
    const trace = await parse(text);
    const table = new CollectingSink();
    await feedLines(
      Readable.from([text]),
      'C.txt',
      createStraceSummaryParser(table, { file: 'C.txt', host: 'x86_64' }),
    );
    // strace -c counts a call when it returns, so exit_group is in the trace only.
    const { exit_group: exits, ...returning } = trace.of('x86_64');
    expect(exits).toEqual([2, 0]);
    expect(returning).toEqual(table.of('x86_64'));
    expect(trace.total('x86_64')).toEqual({ calls: 82, errors: 2 });
  });
});

describe('a -C summary after the trace', () => {
  const x32Table =
    'System call usage summary for x32 mode:\n' +
    'calls    errors syscall\n' +
    '--------- --------- ----------------\n' +
    '        1         1 getpid\n' +
    '--------- --------- ----------------\n' +
    '        1         1 total\n';

  it('adds what only the table knows: the x32 calls of an -o trace, which has no personality notices', async () => {
    const sink = await parse(
      '5  getpid() = -1 ENOSYS (Function not implemented)\n5  exit_group(0) = ?\n5  +++ exited with 0 +++\n' +
        'calls    errors syscall\n--------- --------- ----------------\n' +
        '        1         1 getpid\n--------- --------- ----------------\n        1         1 total\n' +
        x32Table,
    );
    expect(sink.of('x86_64')).toEqual({ getpid: [1, 1], exit_group: [1, 0] });
    expect(sink.of('x32')).toEqual({ getpid: [1, 1] });
  });

  it('keeps a -c table whose program output looked like a trace line', async () => {
    const sink = await parse(
      'printf(hello) = 5\n' +
        'calls    errors syscall\n--------- --------- ----------------\n' +
        '        7         2 openat\n--------- --------- ----------------\n        7         2 total\n',
    );
    expect(sink.of('x86_64')).toEqual({ printf: [1, 0], openat: [7, 2] });
  });
});

describe('a trace cut on a line boundary', () => {
  const cut = (text: string, lines: number): string => `${text.split('\n').slice(0, lines).join('\n')}\n`;

  it('head -n 300 of a full -f trace: a process with no +++ exited line is a truncated-input notice', async () => {
    const full = sample('strace-f-tt-T-yy-python-sockets.txt', OWN_SAMPLES);
    expect((await parse(full)).notices).toEqual([]);
    const sink = await parse(cut(full, 300));
    expect(sink.notices).toEqual([
      expect.objectContaining({ code: 'truncated-input', file: 'trace.txt', line: 300 }),
    ]);
    expect(sink.notices[0]?.message).toContain('process 14667');
  });

  it('the stderr form, where the prefix comes and goes, ends complete or is cut', async () => {
    const full = sample('strace-f-r-yy-python-sockets.stderr.txt', OWN_SAMPLES);
    expect((await parse(full)).notices).toEqual([]);
    expect((await parse(sample('local-f-tt-T-y.stderr.txt'))).notices).toEqual([]);
    // Cut where only the first process ran, before any [pid N] prefix.
    expect((await parse(cut(full, 20))).notices).toMatchObject([
      { code: 'truncated-input', line: 20, message: expect.stringContaining('the traced process') },
    ]);
    // Cut after the second thread exited: the first one is still running.
    const lines = full.split('\n');
    const threadExit = lines.findIndex((line) => line.includes('+++ exited')) + 1;
    expect((await parse(cut(full, threadExit))).notices).toMatchObject([{ code: 'truncated-input' }]);
  });

  it('each -ff file ends with its process exit; a cut one says so', async () => {
    for (const pid of [8836, 8837, 8838]) {
      const text = sample(`local-ff-r/trace.${pid}`);
      expect((await parse(text, { file: `trace.${pid}`, pid })).notices).toEqual([]);
    }
    const cutFile = await parse(cut(sample('local-ff-r/trace.8836'), 10), { file: 'trace.8836', pid: 8836 });
    expect(cutFile.notices).toMatchObject([
      { code: 'truncated-input', message: expect.stringContaining('8836') },
    ]);
  });

  it('a trace strace detached from (-p, then Ctrl-C) is not cut: -o and stderr forms', async () => {
    for (const name of ['strace-f-o-p-detached.txt', 'strace-f-p-detached.stderr.txt']) {
      const sink = await parse(sample(name, OWN_SAMPLES));
      expect(sink.notices, name).toEqual([]);
      expect(sink.of('x86_64').clock_nanosleep, name).toBeDefined();
    }
  });

  it('attached: no exits are due even without a <detached ...> line', async () => {
    const text = '25114 wait4(-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 25148\n';
    expect((await parse(text)).notices).toMatchObject([{ code: 'truncated-input' }]);
    const sink = new CollectingSink();
    const parser = createStraceTraceParser(sink, { file: 'p.txt', host: 'x86_64', attached: true });
    await feedLines(Readable.from([text]), 'p.txt', parser);
    expect(sink.notices).toEqual([]);
  });
});

describe('trace line forms', () => {
  it('joins a line that strace split with "strace: Process N attached"', async () => {
    const sink = await parse(
      '[pid  8824] 13:30:35.636644 set_robust_list(0x7fb6254469a0, 24strace: Process 8825 attached\n' +
        ') = 0 <0.000028>\n' +
        '[pid  8824] 13:30:35.636700 read(3, strace: Process 8826 attached\n' +
        '"x", 1) = -1 EINTR (Interrupted system call)\n' +
        '[pid  8824] 13:30:35.636800 +++ exited with 0 +++\n',
    );
    expect(sink.of('x86_64')).toEqual({ set_robust_list: [1, 0], read: [1, 1] });
    expect(sink.notices).toEqual([]);
  });

  it('takes the error of an unfinished call from its resumed half, counting it once', async () => {
    const sink = await parse(
      '[pid 10] read(3,  <unfinished ...>\n' +
        '[pid 11] read(4,  <unfinished ...>\n' +
        '[pid 11] <... read resumed>"", 10) = 0\n' +
        '[pid 10] <... read resumed>0x7ffc, 10) = ? ERESTARTSYS (To be restarted if SA_RESTART is set)\n' +
        '[pid 10] --- SIGINT {si_signo=SIGINT, si_code=SI_KERNEL} ---\n' +
        '[pid 10] restart_syscall(<... resuming interrupted read ...>) = 0\n' +
        '[pid 10] exit_group(0) = ?\n' +
        '[pid 11] <... futex resumed>) = ? <unavailable>\n',
    );
    // The futex started before the trace did (attached mid-call): its resumed half counts it.
    expect(sink.of('x86_64')).toEqual({
      read: [2, 1],
      restart_syscall: [1, 0],
      exit_group: [1, 0],
      futex: [1, 0],
    });
  });

  it('counts a call left unfinished at the end of the trace', async () => {
    const sink = await parse(
      '5 wait4(-1,  <unfinished ...>\n6 nanosleep({tv_sec=1, tv_nsec=0},  <detached ...>\n',
    );
    expect(sink.of('x86_64')).toEqual({ wait4: [1, 0], nanosleep: [1, 0] });
    expect(sink.notices).toEqual([]);
  });

  it('counts a last line cut in the middle and says the input was truncated', async () => {
    const sink = await parse('getpid() = 5\nopenat(AT_FDCWD, "/etc/pas');
    expect(sink.of('x86_64')).toEqual({ getpid: [1, 0], openat: [1, 0] });
    expect(sink.notices).toEqual([
      expect.objectContaining({ code: 'truncated-input', file: 'trace.txt', line: 2 }),
    ]);
    const cutInLeader = await parse('getpid() = 5\n[pid  88');
    expect(cutInLeader.notices).toMatchObject([{ code: 'truncated-input', line: 2 }]);
    const cutInSplit = await parse('getpid() = 5\nread(3, strace: Process 9 attached\n');
    expect(cutInSplit.of('x86_64')).toEqual({ getpid: [1, 0], read: [1, 0] });
    expect(cutInSplit.notices).toMatchObject([{ code: 'truncated-input', line: 2 }]);
  });

  it('skips every leader strace prints: -t with -r, --decode-pids=comm, -i, -n, SELinux context, -k frames', async () => {
    const sink = await parse(
      [
        '10:00:00 (+     0.000123) getpid() = 5',
        '[pid  5<cat>] 10:00:00.000001 getppid() = 1',
        '5<cat> 1700000000.000001 getuid() = 0',
        '[00007f1e2a3b4c5d] getgid() = 0',
        '[ 102] [00007f1e2a3b4c5d] geteuid() = 0',
        '[unconfined_u:unconfined_r:unconfined_t:s0] getegid() = 0',
        ' > /usr/lib/x86_64-linux-gnu/libc.so.6(getegid+0x7) [0xdc287]',
        '',
        '   ',
        'strace: Process 5 detached',
      ].join('\n'),
    );
    expect(sink.of('x86_64')).toEqual({
      getpid: [1, 0],
      getppid: [1, 0],
      getuid: [1, 0],
      getgid: [1, 0],
      geteuid: [1, 0],
      getegid: [1, 0],
    });
  });

  it('tells errors from other results', async () => {
    const sink = await parse(
      [
        'open("/x", O_RDONLY) = -1 ENOENT (No such file or directory)',
        'open("/y", O_RDONLY) = -1 (errno 13)',
        'write(1, "a = -1 EPERM", 12) = 12',
        'lseek(3, -1, SEEK_CUR) = -1 <0.000002>',
        'fcntl(3, F_GETFD) = 0x1 (flags FD_CLOEXEC)',
        'openat(AT_FDCWD</tmp>, "a = b", O_RDONLY) = 3</tmp/a = b>',
        'exit_group(0) = ?',
      ].join('\n'),
    );
    expect(sink.of('x86_64')).toEqual({
      open: [2, 2],
      write: [1, 0],
      lseek: [1, 0],
      fcntl: [1, 0],
      openat: [1, 0],
      exit_group: [1, 0],
    });
  });

  it('tracks personality per process, also once the pid prefix is gone', async () => {
    const sink = await parse(
      [
        '[pid    10] [ Process PID=10 runs in 32 bit mode. ]',
        '[pid    11] getpid() = 11',
        '[pid    10] getpid() = 10',
        '[pid    10] read(0,  <unfinished ...>',
        '[pid    10] [ Process PID=10 runs in 64 bit mode. ]',
        '[pid    11] [ Process PID=11 runs in x32 mode. ]',
        '[pid    10] <... read resumed>0x1, 1) = -1 EBADF (Bad file descriptor)',
        '[pid    10] getpid() = 10',
        '[pid    10] +++ exited with 0 +++',
        // Only pid 11 is left, so strace drops the prefix: these lines are 11's, still in x32 mode.
        'getppid() = 1',
        'exit_group(0) = ?',
      ].join('\n'),
    );
    expect(sink.of('x86')).toEqual({ getpid: [1, 0], read: [1, 1] });
    expect(sink.of('x86_64')).toEqual({ getpid: [2, 0] });
    expect(sink.of('x32')).toEqual({ getppid: [1, 0], exit_group: [1, 0] });
  });

  it('forgets a process personality when it exits, as its pid may be reused', async () => {
    const sink = await parse(
      '7 [ Process PID=7 runs in 32 bit mode. ]\n7 getpid() = 7\n7 +++ exited with 0 +++\n7 getpid() = 7\n',
    );
    expect(sink.of('x86')).toEqual({ getpid: [1, 0] });
    expect(sink.of('x86_64')).toEqual({ getpid: [1, 0] });
  });

  it('applies a -ff file personality notice to the file process', async () => {
    const sink = await parse('[ Process PID=42 runs in x32 mode. ]\ngetpid() = 42\n', { pid: 42 });
    expect(sink.of('x32')).toEqual({ getpid: [1, 0] });
  });

  it('maps "32 bit" by the host: arm on aarch64', async () => {
    const sink = await parse('getppid() = 1\n[ Process PID=3 runs in 32 bit mode. ]\ngetpid() = 3\n', {
      host: 'aarch64',
    });
    expect([...sink.counts.keys()]).toEqual(['aarch64', 'arm']);
    expect(sink.of('arm')).toEqual({ getpid: [1, 0] });
  });
});

describe('full-trace input it must reject', () => {
  it('rejects a line that is no trace line, naming file and line', async () => {
    const text = 'getpid() = 5\nhello world\ngetppid() = 1\n';
    await expect(parse(text, { file: 'bad.txt' })).rejects.toThrow(InputError);
    await expect(parse(text, { file: 'bad.txt' })).rejects.toThrow(
      'bad.txt:2: not a strace trace line: "hello world"',
    );
    await expect(parse('getpid() = 5\nHello(1) = 2\nx() = 1\n', { file: 'b.txt' })).rejects.toThrow(
      'b.txt:2: not',
    );
    await expect(parse('getpid() = 5\n[pid 12 getpid() = 5\nx() = 1\n', { file: 'b.txt' })).rejects.toThrow(
      'b.txt:2: not',
    );
  });

  it('rejects a cut line in the middle of a trace', async () => {
    await expect(
      parse('getpid() = 5\nopenat(AT_FDCWD, "/etc/pas\ngetpid() = 5\n', { file: 'cut.txt' }),
    ).rejects.toThrow('cut.txt:2: incomplete strace line (no return value): "openat(AT_FDCWD, \\"/etc/pas"');
  });

  it('rejects a personality the host does not have', async () => {
    await expect(
      parse('[ Process PID=3 runs in x32 mode. ]\ngetpid() = 3\n', { file: 'p.txt', host: 'aarch64' }),
    ).rejects.toThrow('p.txt:1: strace personality "x32" does not exist on a aarch64 host');
  });

  it('rejects input without a single trace line', async () => {
    await expect(parse('strace: Process 5 attached\n\n', { file: 'none.txt' })).rejects.toThrow(
      'none.txt: no strace trace lines found',
    );
  });

  it('rejects a -C table that is cut', async () => {
    const text = sample('strace-C-busybox-sh.txt', OWN_SAMPLES);
    const cut = text.slice(0, text.indexOf('  0.00    0.000000           0         3           readlink'));
    const lines = cut.split('\n').length - 1;
    await expect(parse(cut, { file: 'C.txt' })).rejects.toThrow(`C.txt:${lines}: truncated strace -c table`);
  });
});

describe('straceLineKind', () => {
  it('classifies lines as the trace parser reads them', () => {
    expect(
      straceLineKind('8829  1795354235.702619 getpid()        = -1 ENOSYS (Function not implemented)'),
    ).toBe('call');
    expect(straceLineKind('[pid  8824] 13:30:35.636491 <... rseq resumed>) = 0 <0.000107>')).toBe('resumed');
    expect(straceLineKind('--- SIGSEGV {si_signo=SIGSEGV, si_code=SI_USER, si_pid=8937, si_uid=0} ---')).toBe(
      'signal',
    );
    expect(straceLineKind('8988  [ 231] +++ exited with 0 +++')).toBe('exit');
    expect(straceLineKind('[pid  8844] [ Process PID=8844 runs in x32 mode. ]')).toBe('personality');
    expect(straceLineKind('strace: Process 8844 attached')).toBe('ignored');
    expect(straceLineKind('')).toBe('ignored');
    expect(straceLineKind('% time     seconds  usecs/call     calls    errors syscall')).toBe('unknown');
    expect(straceLineKind(' 66.03    0.000309          61         5         2 wait4')).toBe('unknown');
    expect(straceLineKind('Hello(world)')).toBe('unknown');
    expect(straceLineKind('hello world(1) = 2')).toBe('unknown');
  });
});
