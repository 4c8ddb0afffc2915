import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeRecordings, RecordingMerger } from '../../src/merge/recordings.js';
import { RECORDING_FORMAT, type Recording } from '../../src/recording/model.js';
import { MAX_COUNT, validateRecording } from '../../src/recording/schema.js';
import { parseJson } from '../../src/util/files.js';
import { stringifyJson } from '../../src/util/json-exact.js';

const host = { kernel: '6.1.0', arch: 'x86_64' as const };

const statsArbitrary = fc
  .record({ calls: fc.nat(1000), errors: fc.nat(1000), runs: fc.constant(1) })
  .map((stats) => ({ ...stats, errors: Math.min(stats.errors, stats.calls) }));

const recordingArbitrary: fc.Arbitrary<Recording> = fc
  .record({
    x86_64: fc.dictionary(
      fc.constantFrom('read', 'write', 'openat', 'close', 'mmap', 'futex'),
      statsArbitrary,
    ),
    x86: fc.dictionary(fc.constantFrom('read', 'getpid', '_llseek'), statsArbitrary),
    command: fc.array(fc.string({ maxLength: 5 }), { minLength: 1, maxLength: 3 }),
    lost: fc.option(fc.nat(20), { nil: undefined }),
  })
  .map(({ x86_64, x86, command, lost }) => ({
    format: RECORDING_FORMAT,
    runs: 1,
    abis: Object.keys(x86).length > 0 ? { x86_64, x86 } : { x86_64 },
    provenance: [{ source: 'strace-summary', command, inputs: [], host, seccompLearn: '0.1.0' }],
    warnings: lost === undefined ? [] : [{ code: 'lost-records', message: `${lost} lost`, count: lost }],
  }));

describe('mergeRecordings', () => {
  it('sums counts, counts runs per syscall and keeps every provenance and warning', () => {
    const a: Recording = {
      format: RECORDING_FORMAT,
      runs: 1,
      abis: { x86_64: { read: { calls: 3, errors: 1, runs: 1 }, write: { calls: 1, errors: 0, runs: 1 } } },
      provenance: [{ source: 'strace-summary', command: ['a'], inputs: [], host, seccompLearn: '0.1.0' }],
      warnings: [],
    };
    const b: Recording = {
      ...a,
      abis: {
        x86_64: { read: { calls: 2, errors: 0, runs: 1 } },
        x86: { getpid: { calls: 1, errors: 0, runs: 1 } },
      },
      provenance: [{ source: 'audit', inputs: ['audit.log'], host, seccompLearn: '0.1.0' }],
      warnings: [{ code: 'lost-records', message: '3 lost', count: 3 }],
    };
    const merged = mergeRecordings([a, b, a]);
    expect(merged.runs).toBe(3);
    expect(merged.abis.x86_64?.read).toEqual({ calls: 8, errors: 2, runs: 3 });
    expect(merged.abis.x86_64?.write).toEqual({ calls: 2, errors: 0, runs: 2 });
    expect(merged.abis.x86?.getpid).toEqual({ calls: 1, errors: 0, runs: 1 });
    expect(merged.provenance).toHaveLength(3);
    expect(merged.warnings).toEqual([{ code: 'lost-records', message: '3 lost', count: 3 }]);
  });

  it('is commutative', () => {
    fc.assert(
      fc.property(recordingArbitrary, recordingArbitrary, (a, b) => {
        expect(mergeRecordings([a, b])).toEqual(mergeRecordings([b, a]));
      }),
    );
  });

  it('is associative', () => {
    fc.assert(
      fc.property(recordingArbitrary, recordingArbitrary, recordingArbitrary, (a, b, c) => {
        expect(mergeRecordings([mergeRecordings([a, b]), c])).toEqual(
          mergeRecordings([a, mergeRecordings([b, c])]),
        );
      }),
    );
  });

  it('refuses to sum counts beyond what a recording holds, naming the input and the syscall', () => {
    const one = (calls: number, runs = 1): Recording => ({
      format: RECORDING_FORMAT,
      runs,
      abis: { x86_64: { read: { calls, errors: 0, runs } } },
      provenance: [],
      warnings: [],
    });
    const merger = new RecordingMerger().add(one(MAX_COUNT - 1), 'a.json');
    expect(() => merger.add(one(2), 'b.json')).toThrow(
      'b.json: calls of read (x86_64) would add up to more than 9007199254740991, the largest count a recording holds exactly: not merged',
    );
    // Up to the limit, what merge writes reads back.
    const merged = mergeRecordings([one(MAX_COUNT - 1), one(1)]);
    const text = stringifyJson(merged);
    expect(validateRecording(parseJson(text, 'm.json'), 'm.json').abis.x86_64?.read?.calls).toBe(MAX_COUNT);
    expect(() => new RecordingMerger().add(one(1, MAX_COUNT), 'c.json').add(one(1), 'd.json')).toThrow(
      /^d\.json: runs would add up to more than 9007199254740991/,
    );
  });
});

describe('mergeRecordings at scale and with unknown errors', () => {
  const run = (source: 'strace-summary' | 'audit', abis: Recording['abis']): Recording => ({
    format: RECORDING_FORMAT,
    runs: 1,
    abis,
    provenance: [{ source, inputs: [], host, seccompLearn: '0.1.0' }],
    warnings: [],
  });

  it('keeps errors unknown where any input did not know them', () => {
    const merged = mergeRecordings([
      run('strace-summary', {
        x86_64: { read: { calls: 2, errors: 1, runs: 1 }, write: { calls: 1, errors: 0, runs: 1 } },
      }),
      run('audit', { x86_64: { read: { calls: 3, runs: 1 }, exit: { calls: 1, runs: 1 } } }),
    ]);
    expect(merged.abis.x86_64).toEqual({
      exit: { calls: 1, runs: 1 },
      read: { calls: 5, runs: 2 },
      write: { calls: 1, errors: 0, runs: 1 },
    });
  });

  it('merges 100,000 distinct names correctly (speed is bench/scale.mjs)', () => {
    const count = 100_000;
    const names = Array.from({ length: count }, (_, index) => `made_up_${index.toString(36)}`);
    const table = (from: number, to: number) =>
      Object.fromEntries(
        names.slice(from, to).map((name, index) => [name, { calls: index + 1, errors: 0, runs: 1 }]),
      );
    const half = count / 2;
    const merged = mergeRecordings([
      run('strace-summary', { x86_64: table(0, 3 * (count / 4)) }),
      run('strace-summary', { x86_64: table(count / 4, count) }),
    ]);
    const result = merged.abis.x86_64 ?? {};
    const keys = Object.keys(result);
    expect(keys).toHaveLength(count);
    expect(keys).toEqual([...names].sort());
    expect(result[names[0] as string]).toEqual({ calls: 1, errors: 0, runs: 1 });
    // In both runs: index 50,000 is the 50,001st of the first and the 25,001st of the second.
    expect(result[names[half] as string]).toEqual({ calls: half + 1 + count / 4 + 1, errors: 0, runs: 2 });
    expect(result[names[count - 1] as string]).toEqual({ calls: 3 * (count / 4), errors: 0, runs: 1 });
  });
});
