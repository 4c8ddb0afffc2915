import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { expressionValue, straceArgumentValue } from '../../parsers/strace-args.js';
import { createStraceTraceParser } from '../../parsers/strace-trace.js';
import { RecordingBuilder } from '../../src/recording/builder.js';
import { validateRecording } from '../../src/recording/schema.js';
import { feedLines } from '../../src/sources/lines.js';
import { learnedArgumentsOf } from '../../src/syscalls/arguments.js';

const argumentOn = (line: string): bigint | undefined => {
  const name = line.slice(line.lastIndexOf(']') + 1, line.indexOf('(')).trim();
  const [argument] = learnedArgumentsOf(name) ?? [];
  if (!argument) throw new Error(`no learned argument for ${name}`);
  return straceArgumentValue(line, line.indexOf('('), argument);
};

async function recordingOf(text: string) {
  const builder = new RecordingBuilder();
  await feedLines(
    Readable.from([text]),
    't.txt',
    createStraceTraceParser(builder, { file: 't.txt', host: 'x86_64', attached: true }),
  );
  const recording = builder.build({
    source: 'strace-trace',
    inputs: ['t.txt'],
    host: { kernel: '6.1.0', arch: 'x86_64' },
    seccompLearn: 'test',
  });
  // What is written reads back.
  return validateRecording(JSON.parse(JSON.stringify(recording)), 't.txt');
}

describe('strace argument decoding', () => {
  it('reads symbolic values, |-joined flags and the exit signal', () => {
    expect(argumentOn('socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_TCP) = 3')).toBe(2n);
    expect(argumentOn('socket(AF_UNIX, SOCK_STREAM, 0) = 3')).toBe(1n);
    expect(
      argumentOn(
        'clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f) = 24850',
      ),
    ).toBe(0x1200011n);
    expect(argumentOn('unshare(CLONE_NEWUSER|CLONE_NEWNS) = 0')).toBe(0x10020000n);
    expect(argumentOn('setns(3</proc/1/ns/net>, CLONE_NEWNET) = 0')).toBe(0x40000000n);
    expect(argumentOn('setns(-1, 0) = -1 EBADF (Bad file descriptor)')).toBe(0n);
    expect(argumentOn('personality(PER_LINUX32|ADDR_NO_RANDOMIZE) = 0 (PER_LINUX)')).toBe(0x40008n);
    expect(argumentOn('personality(0xffffffff)                 = 0 (PER_LINUX)')).toBe(0xffffffffn);
    expect(argumentOn('prctl(PR_SET_NAME, "a, b) = 1")             = 0')).toBe(15n);
    expect(
      argumentOn(
        'clone3({flags=CLONE_VM|CLONE_VFORK, exit_signal=SIGCHLD, stack=0x7fc6f5f30000, stack_size=0x9000}, 88) = 25214',
      ),
    ).toBe(0x4100n);
  });

  it('reads -X raw and -X verbose forms', () => {
    expect(argumentOn('socket(0x2, 0x2|0x80000, 0)             = 3')).toBe(2n);
    expect(argumentOn('clone(child_stack=NULL, flags=0x1200000|17, child_tidptr=0x7f) = 1')).toBe(0x1200011n);
    expect(
      argumentOn('socket(0x1 /* AF_UNIX */, 0x1 /* SOCK_STREAM */|0x80000 /* SOCK_CLOEXEC */, 0) = 3'),
    ).toBe(1n);
    expect(
      argumentOn(
        'clone(child_stack=NULL, flags=0x1200000 /* CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID */|17 /* SIGCHLD */, child_tidptr=0x7f) = 1',
      ),
    ).toBe(0x1200011n);
    expect(argumentOn('unshare(0x10000000 /* CLONE_NEWUSER */) = 0')).toBe(0x10000000n);
    expect(
      argumentOn('clone3({flags=0x4100 /* CLONE_VM|CLONE_VFORK */, exit_signal=17 /* SIGCHLD */}, 88) = 1'),
    ).toBe(0x4100n);
    expect(argumentOn('prctl(0xf /* PR_SET_NAME */, "hello")   = 0')).toBe(15n);
  });

  it('reads an unfinished half and leaves what it cannot read undefined', () => {
    expect(argumentOn('[pid 7] socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE <unfinished ...>')).toBe(16n);
    expect(argumentOn('clone3(NULL, 0) = -1 EINVAL (Invalid argument)')).toBeUndefined();
    expect(argumentOn('socket(AF_NEWFANGLED, SOCK_STREAM, 0) = 3')).toBeUndefined();
    expect(expressionValue('010', new Map())).toBe(8n);
    expect(expressionValue('0x10000000000000000', new Map())).toBeUndefined();
  });

  it('records each argument value set per syscall, bounded and marked unbounded past the bound', async () => {
    const sockets = Array.from({ length: 17 }, (_, i) => `prctl(${i + 1}, 0) = 0\n`).join('');
    const recording = await recordingOf(
      [
        'socket(AF_UNIX, SOCK_STREAM, 0) = 3',
        'socket(AF_INET, SOCK_DGRAM, 0) = 4',
        'socket(AF_UNIX, SOCK_DGRAM, 0) = 5',
        'clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f) = 9',
        'clone3(NULL, 0) = -1 EINVAL (Invalid argument)',
        'read(3, "", 10) = 0',
        '',
      ].join('\n') + sockets,
    );
    const table = recording.abis.x86_64 ?? {};
    expect(table.socket?.args).toEqual({ '0': { values: ['0x1', '0x2'] } });
    expect(table.clone?.args).toEqual({ '0': { values: ['0x1200011'] } });
    expect(table.clone3?.args).toEqual({ flags: { unbounded: 'unreadable' } });
    expect(table.prctl?.args).toEqual({ '0': { unbounded: 'too-many' } });
    expect(table.read?.args).toBeUndefined();
  });
});
