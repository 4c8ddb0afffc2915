import { createReadStream, readdirSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { groupFfFiles, learnFromStrace, straceFfPid } from '../../parsers/strace.js';
import { InputError } from '../../src/errors.js';
import { CollectingSink } from '../helpers/collecting-sink.js';

const SAMPLES = new URL('../../samples/traces/strace-samples/', import.meta.url);
const OWN_SAMPLES = new URL('../../samples/traces/', import.meta.url);

async function learn(input: Readable, file: string, pid?: number) {
  const sink = new CollectingSink();
  const form = await learnFromStrace(input, file, sink, { host: 'x86_64', pid });
  return { form, sink };
}

function fromText(text: string | Buffer, file = 'input.txt') {
  return learn(Readable.from([text]), file);
}

describe('learnFromStrace on every strace sample', () => {
  // calls and errors summed over all ABIs of the file.
  const expected: Record<
    string,
    { form: 'summary' | 'trace'; calls: number; errors: number; abis: string[] }
  > = {
    'local-c-f-multipersonality.stderr.txt': {
      form: 'summary',
      calls: 121,
      errors: 7,
      abis: ['x86_64', 'x86', 'x32'],
    },
    'local-c-w-S-calls-U.stderr.txt': { form: 'summary', calls: 55, errors: 3, abis: ['x86_64', 'x32'] },
    'local-f-tt-T-y.stderr.txt': { form: 'trace', calls: 59, errors: 4, abis: ['x86_64', 'x32'] },
    'local-f-ttt-o.txt': { form: 'trace', calls: 59, errors: 4, abis: ['x86_64'] },
    'local-killed-by-signal.stderr.txt': { form: 'trace', calls: 1, errors: 0, abis: ['x86_64'] },
    'local-n-f-o.txt': { form: 'trace', calls: 2, errors: 0, abis: ['x86_64'] },
    'local-yy-socket.stderr.txt': { form: 'trace', calls: 3, errors: 1, abis: ['x86_64'] },
    'local-ff-r/trace.8836': { form: 'trace', calls: 49, errors: 4, abis: ['x86_64'] },
    'local-ff-r/trace.8837': { form: 'trace', calls: 7, errors: 0, abis: ['x86_64'] },
    'local-ff-r/trace.8838': { form: 'trace', calls: 3, errors: 0, abis: ['x86_64'] },
  };

  it('covers every file in strace-samples', () => {
    const files = readdirSync(SAMPLES, { recursive: true, encoding: 'utf8' })
      .filter((name) => name !== 'README.md' && statSync(new URL(name, SAMPLES)).isFile())
      .sort();
    expect(files).toEqual(Object.keys(expected).sort());
  });

  for (const [name, want] of Object.entries(expected)) {
    it(`reads ${name} as a ${want.form}`, async () => {
      const { form, sink } = await learn(createReadStream(new URL(name, SAMPLES)), name, straceFfPid(name));
      expect(form).toBe(want.form);
      expect([...sink.counts.keys()]).toEqual(want.abis);
      const sum = want.abis.reduce(
        (total, abi) => {
          const { calls, errors } = sink.total(abi as 'x86_64');
          return { calls: total.calls + calls, errors: total.errors + errors };
        },
        { calls: 0, errors: 0 },
      );
      expect(sum).toEqual({ calls: want.calls, errors: want.errors });
    });
  }
});

describe('learnFromStrace on the samples captured for this project', () => {
  it.each([
    ['strace-c-busybox-sh.txt', 'summary', 55, 0],
    ['strace-C-busybox-sh.txt', 'trace', 82, 2],
    ['strace-f-tt-T-yy-python-sockets.txt', 'trace', 626, 62],
    ['strace-f-r-yy-python-sockets.stderr.txt', 'trace', 623, 62],
  ])('reads %s as a %s', async (name, wantForm, calls, errors) => {
    const { form, sink } = await learn(createReadStream(new URL(name, OWN_SAMPLES)), name);
    expect(form).toBe(wantForm);
    expect(sink.total('x86_64')).toEqual({ calls, errors });
  });
});

describe('telling a summary from a trace', () => {
  it('skips the program output before a -c table', async () => {
    const { form, sink } = await fromText(
      'hello from the program\n[ Process PID=5 runs in x32 mode. ]\nstrace: Process 5 detached\n' +
        'calls syscall\n--------- ----------------\n        2 read\n--------- ----------------\n        2 total\n',
    );
    expect(form).toBe('summary');
    expect(sink.of('x86_64')).toEqual({ read: [2, 0] });
  });

  it('replays the personality notices held back before the first trace line', async () => {
    const { form, sink } = await fromText(
      'strace: Process 5 attached\n[ Process PID=5 runs in x32 mode. ]\ngetpid() = -1 ENOSYS (Function not implemented)\n',
    );
    expect(form).toBe('trace');
    expect(sink.of('x32')).toEqual({ getpid: [1, 1] });
  });

  it('decides on a personality title line too', async () => {
    const { form, sink } = await fromText(
      'System call usage summary for 32 bit mode:\ncalls syscall\n--------- ----------------\n' +
        '        1 open\n--------- ----------------\n        1 total\n',
    );
    expect(form).toBe('summary');
    expect(sink.of('x86')).toEqual({ open: [1, 0] });
  });
});

describe('learnFromStrace rejects bad input with an InputError naming the file', () => {
  it('rejects empty input', async () => {
    await expect(fromText('', 'empty.txt')).rejects.toThrow(InputError);
    await expect(fromText('', 'empty.txt')).rejects.toThrow('empty.txt: empty input: no strace output');
    await expect(fromText('\n  \n\n', 'blank.txt')).rejects.toThrow(
      'blank.txt: empty input: no strace output',
    );
  });

  it('rejects binary garbage', async () => {
    const binary = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00, 0x0a]);
    await expect(fromText(binary, 'a.out')).rejects.toThrow('a.out:1: binary data (NUL byte)');
    const noNul = Buffer.from(Array.from({ length: 4096 }, (_, i) => 0x80 + ((i * 7) % 0x7f)));
    await expect(fromText(noNul, 'random.bin')).rejects.toThrow(InputError);
    await expect(fromText(noNul, 'random.bin')).rejects.toThrow(
      /^random\.bin:1: not strace output: no trace line/,
    );
  });

  it('rejects text that is no strace output', async () => {
    await expect(fromText('strace: Process 5 attached\n# notes\n', 'notes.txt')).rejects.toThrow(
      'notes.txt:2: not strace output: no trace line and no -c summary table (first unrecognised line: "# notes")',
    );
    await expect(fromText('strace: Process 5 attached\n', 'only.txt')).rejects.toThrow(
      'only.txt: not strace output: no trace line and no -c summary table',
    );
  });

  it('rejects a line before the first trace line that no trace has', async () => {
    await expect(fromText('# captured on host A\ngetpid() = 5\n', 'x.txt')).rejects.toThrow(
      'x.txt:1: not strace output: "# captured on host A"',
    );
  });

  it('rejects a 1 MB line', async () => {
    const line = `write(1, "${'a'.repeat(1024 * 1024)}", 1048576) = 1048576\n`;
    const chunks = Array.from({ length: Math.ceil(line.length / 65536) }, (_, i) =>
      line.slice(i * 65536, (i + 1) * 65536),
    );
    const result = learn(Readable.from(['getpid() = 5\n', ...chunks]), 'long.txt');
    await expect(result).rejects.toThrow(InputError);
    await expect(result).rejects.toThrow(/^long\.txt:2: a line longer than \d+ bytes/);
  });

  it('rejects a truncated -c table', async () => {
    const cut =
      '% time     seconds  usecs/call     calls    errors syscall\n' +
      '------ ----------- ----------- --------- --------- ----------------\n' +
      ' 66.03    0.000309          61         5         2 wait4\n';
    await expect(fromText(cut, 'cut.txt')).rejects.toThrow(
      'cut.txt:3: truncated strace -c table (header at line 1): no total line',
    );
  });

  it('rejects a garbled -c row', async () => {
    const garbled =
      '% time     seconds  usecs/call     calls    errors syscall\n' +
      '------ ----------- ----------- --------- --------- ----------------\n' +
      ' 66.03    0.000309          61        5x         2 wait4\n';
    await expect(fromText(garbled, 'garbled.txt')).rejects.toThrow('garbled.txt:3: garbled strace -c row');
  });

  it('rejects a garbled trace line', async () => {
    await expect(fromText('getpid() = 5\ngetpid) = 5\ngetpid() = 5\n', 'g.txt')).rejects.toThrow(
      'g.txt:2: not a strace trace line',
    );
  });
});

describe('strace -ff file names', () => {
  it('reads the pid from prefix.PID', () => {
    expect(straceFfPid('local-ff-r/trace.8836')).toBe(8836);
    expect(straceFfPid('/tmp/out.1')).toBe(1);
    expect(straceFfPid('trace.txt')).toBeUndefined();
    expect(straceFfPid('trace.0')).toBeUndefined();
    expect(straceFfPid('v1.2/trace')).toBeUndefined();
  });

  it('groups -ff files by prefix, ordered by pid', () => {
    const { groups, others } = groupFfFiles([
      'ff/trace.8838',
      'ff/trace.8836',
      'other.txt',
      'b/x.12',
      'ff/trace.8837',
    ]);
    expect([...groups.keys()]).toEqual(['ff/trace', 'b/x']);
    expect(groups.get('ff/trace')?.map((file) => file.pid)).toEqual([8836, 8837, 8838]);
    expect(groups.get('b/x')).toEqual([{ path: 'b/x.12', pid: 12 }]);
    expect(others).toEqual(['other.txt']);
  });
});
