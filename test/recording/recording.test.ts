import { describe, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };
import { RecordingBuilder } from '../../src/recording/builder.js';
import { RECORDING_FORMAT } from '../../src/recording/model.js';
import { MAX_COUNT, validateRecording } from '../../src/recording/schema.js';
import { parseJson } from '../../src/util/files.js';
import { VERSION } from '../../src/version.js';

const provenance = {
  source: 'audit' as const,
  inputs: ['audit.log'],
  host: { kernel: '6.1.0', arch: 'x86_64' as const },
  seccompLearn: VERSION,
};

describe('RecordingBuilder', () => {
  it('resolves raw numbers per ABI and turns unknown numbers into warnings', () => {
    const builder = new RecordingBuilder();
    builder.count('x86_64', 1, 2, 0);
    builder.count('x86_64', 'write', 1, 1);
    builder.count('x32', 0x40000027, 1, 1);
    builder.count('x86', 20, 1, undefined);
    builder.count('x86_64', 0xbad, 3, 3);
    builder.notice({
      code: 'lost-records',
      message: 'audit: 5 callbacks suppressed',
      count: 5,
      file: 'dmesg',
      line: 9,
    });
    const recording = builder.build(provenance);
    expect(recording.abis).toEqual({
      x86_64: { write: { calls: 3, errors: 1, runs: 1 } },
      x32: { getpid: { calls: 1, errors: 1, runs: 1 } },
      // Audit records of a call seccomp let through: whether it failed is unknown.
      x86: { getpid: { calls: 1, runs: 1 } },
    });
    expect(recording.warnings).toHaveLength(2);
    expect(recording.warnings[1]).toMatchObject({ code: 'unknown-syscall', abi: 'x86_64', count: 3 });
    expect(recording.warnings[1]?.message).toContain('2989 (0xbad)');
    expect(validateRecording(JSON.parse(JSON.stringify(recording)), 'r.json')).toEqual(recording);
  });
});

describe('validateRecording', () => {
  const good = new RecordingBuilder().build(provenance);

  it('names the file and the problem', () => {
    expect(() => validateRecording({ ...good, format: 'seccomp-learn/recording@9' }, 'old.json')).toThrow(
      'old.json: unsupported recording format "seccomp-learn/recording@9": this seccomp-learn reads seccomp-learn/recording@1',
    );
    expect(() =>
      validateRecording({ ...good, abis: { x86_64: { read: { calls: -1, errors: 0, runs: 1 } } } }, 'r.json'),
    ).toThrow(/^r\.json: not a valid recording: abis\.x86_64\.read\.calls: /);
    expect(() => validateRecording({ ...good, abis: { vax: {} } }, 'r.json')).toThrow(
      /r\.json: not a valid recording: abis/,
    );
    expect(() => validateRecording([], 'r.json')).toThrow(/r\.json: not a valid recording/);
    const entry = (stats: unknown, name = 'read') =>
      validateRecording({ ...good, abis: { x86_64: { [name]: stats } } }, 'r.json');
    expect(() => entry({ calls: 1, runs: 1, sometimes: 2 })).toThrow(
      'r.json: not a valid recording: abis.x86_64.read: Unrecognized key: "sometimes"',
    );
    expect(() => entry({ calls: 1 })).toThrow(
      'r.json: not a valid recording: abis.x86_64.read.runs: must be a whole number',
    );
    expect(() => entry({ calls: 1, runs: 1, errors: 0.5 })).toThrow(
      'r.json: not a valid recording: abis.x86_64.read.errors: must be a whole number',
    );
    expect(() => entry([1, 1])).toThrow('r.json: not a valid recording: abis.x86_64.read: must be an object');
    expect(() => entry({ calls: 1, runs: 1 }, '')).toThrow(
      'r.json: not a valid recording: abis.x86_64.: a syscall name is empty',
    );
    expect(() => entry({ calls: 1, runs: 1, args: { 0: { values: ['0xZZ'] } } }, 'socket')).toThrow(
      'r.json: not a valid recording: abis.x86_64.socket.args.0.values.0: must be a value like 0x2a',
    );
    expect(() =>
      validateRecording({ ...good, abis: { x86_64: { read: { calls: 1, errors: 0, runs: 2 } } } }, 'r.json'),
    ).toThrow('abis.x86_64.read.runs is 2, more than runs 1');
  });

  it('keeps the version in one place', () => {
    expect(VERSION).toBe(pkg.version);
    expect(good.format).toBe(RECORDING_FORMAT);
  });

  it('refuses counts beyond 2^53-1 with the field, never reading them rounded', () => {
    const text = `{"format":"${RECORDING_FORMAT}","runs":1,"abis":{"x86_64":{"read":{"calls":9007199254740993,"errors":0,"runs":1}}},"provenance":[],"warnings":[]}`;
    expect(() => validateRecording(parseJson(text, 'big.json'), 'big.json')).toThrow(
      'big.json: not a valid recording: abis.x86_64.read.calls: must be a whole number from 0 to 9007199254740991',
    );
    const largest = text.replace('9007199254740993', String(MAX_COUNT));
    expect(validateRecording(parseJson(largest, 'max.json'), 'max.json').abis.x86_64?.read?.calls).toBe(
      MAX_COUNT,
    );
  });

  it('ignores an entry with 0 calls in 0 runs, with a warning naming the file and the syscall', () => {
    const warnings: string[] = [];
    const recording = validateRecording(
      {
        ...good,
        abis: {
          x86_64: { read: { calls: 0, errors: 0, runs: 0 }, write: { calls: 2, errors: 0, runs: 1 } },
        },
      },
      'zero.json',
      (message) => warnings.push(message),
    );
    // An audit recording's errors 0 reads as unknown (validateRecording), hence no errors field.
    expect(recording.abis).toEqual({ x86_64: { write: { calls: 2, runs: 1 } } });
    expect(warnings).toEqual([
      'zero.json: read (x86_64) has 0 calls in 0 runs: ignored, it is not allowed for it',
    ]);
  });

  it('refuses an entry with calls seen in no run', () => {
    expect(() =>
      validateRecording({ ...good, abis: { x86_64: { read: { calls: 3, errors: 0, runs: 0 } } } }, 'r.json'),
    ).toThrow('r.json: abis.x86_64.read has 3 call(s) but was seen in 0 runs');
  });
});

describe('errors in recordings', () => {
  const recordingFrom = (source: string, errors: number | undefined) => ({
    format: RECORDING_FORMAT,
    runs: 1,
    abis: { x86_64: { read: { calls: 2, ...(errors === undefined ? {} : { errors }), runs: 1 } } },
    provenance: [{ source, inputs: [], host: { kernel: '6.1.0', arch: 'x86_64' }, seccompLearn: '0.1.0' }],
    warnings: [],
  });

  it('reads errors as unknown when absent', () => {
    expect(validateRecording(recordingFrom('audit', undefined), 'r.json').abis.x86_64?.read).toEqual({
      calls: 2,
      runs: 1,
    });
  });

  it("reads an older audit recording's errors 0 as unknown, and keeps strace's 0 and counted refusals", () => {
    expect(validateRecording(recordingFrom('audit', 0), 'r.json').abis.x86_64?.read).toEqual({
      calls: 2,
      runs: 1,
    });
    expect(validateRecording(recordingFrom('container', 0), 'r.json').abis.x86_64?.read).toEqual({
      calls: 2,
      runs: 1,
    });
    expect(validateRecording(recordingFrom('audit', 2), 'r.json').abis.x86_64?.read?.errors).toBe(2);
    expect(validateRecording(recordingFrom('strace-summary', 0), 'r.json').abis.x86_64?.read?.errors).toBe(0);
  });

  it('accepts syscall names libseccomp does not know (another kernel)', () => {
    const recording = recordingFrom('strace-summary', 0);
    const abis = { x86_64: { made_up_call: { calls: 1, errors: 0, runs: 1 } } };
    expect(validateRecording({ ...recording, abis }, 'r.json').abis).toEqual(abis);
  });
});
