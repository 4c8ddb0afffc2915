import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RECORDING_FORMAT } from '../../src/recording/model.js';
import { VERSION } from '../../src/version.js';
import { cli } from '../helpers/cli.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sl-exact-'));
});

type Table = Record<string, { calls: number | string; errors: number; runs: number }>;

/** A recording as a file; counts given as strings are written as bare JSON integers, beyond 2^53 too. */
async function recordingFile(name: string, x86_64: Table, runs = 1): Promise<string> {
  const path = join(dir, name);
  const recording = {
    format: RECORDING_FORMAT,
    runs,
    abis: { x86_64 },
    provenance: [
      {
        source: 'strace-summary',
        command: ['true'],
        inputs: [],
        host: { kernel: '6.1.0', arch: 'x86_64' },
        seccompLearn: VERSION,
      },
    ],
    warnings: [],
  };
  await writeFile(path, JSON.stringify(recording, null, 2).replace(/"calls": "(\d+)"/g, '"calls": $1'));
  return path;
}

const MAX = '18446744073709551615';

describe('argument values stay exact through the CLI', () => {
  it('merge writes 0xFFFFFFFFFFFFFFFF as 18446744073709551615, and reads it back', async () => {
    const filtered = join(dir, 'filtered.json');
    await writeFile(
      filtered,
      `{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"syscalls":[{"names":["ioctl"],"action":"SCMP_ACT_ALLOW","args":[{"index":1,"value":${MAX},"valueTwo":${MAX},"op":"SCMP_CMP_MASKED_EQ"}]}]}`,
    );
    const plain = join(dir, 'plain.json');
    await writeFile(
      plain,
      '{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]}',
    );
    const out = join(dir, 'merged.json');
    const merged = await cli(['merge', filtered, plain, '-o', out]);
    expect(merged.exitCode, merged.stderr).toBe(0);
    const text = await readFile(out, 'utf8');
    expect(text).toContain(`"value": ${MAX},`);
    expect(text).toContain(`"valueTwo": ${MAX},`);
    expect(text).not.toContain('18446744073709552000');
    // Merging the result again changes nothing: what merge writes, merge reads exactly.
    const again = join(dir, 'again.json');
    expect((await cli(['merge', out, plain, '-o', again])).exitCode).toBe(0);
    expect(await readFile(again, 'utf8')).toBe(text);
    const diff = await cli(['diff', out, '--json', '--kernel', '6.1']);
    expect(diff.exitCode, diff.stderr).toBe(0);
    expect(diff.stdout).not.toContain('18446744073709552000');
  });
});

describe('recording counts: one rule for reading and merging', () => {
  it('merge refuses a sum beyond 2^53-1 instead of writing a recording it cannot read', async () => {
    const a = await recordingFile('a.recording.json', {
      read: { calls: '9007199254740990', errors: 0, runs: 1 },
    });
    const b = await recordingFile('b.recording.json', { read: { calls: 5, errors: 0, runs: 1 } });
    const out = join(dir, 'ab.recording.json');
    const result = await cli(['merge', a, b, '-o', out]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(
      `${b}: calls of read (x86_64) would add up to more than 9007199254740991, the largest count a recording holds exactly`,
    );
  });

  it('keeps an unknown provenance field beyond 2^53 exact through merge', async () => {
    const file = await recordingFile('extra.recording.json', { read: { calls: 1, errors: 0, runs: 1 } });
    const text = (await readFile(file, 'utf8')).replace(
      '"inputs": []',
      '"inputs": [], "inode": 12345678901234567891',
    );
    await writeFile(file, text);
    const out = join(dir, 'extra-merged.recording.json');
    const result = await cli(['merge', file, file, '-o', out]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await readFile(out, 'utf8')).toContain('"inode": 12345678901234567891');
  });

  it('reading refuses the same counts', async () => {
    const big = await recordingFile('big.recording.json', {
      read: { calls: '9007199254740995', errors: 0, runs: 1 },
    });
    const result = await cli(['generate', big, '--runtime', 'none']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(
      'abis.x86_64.read.calls: must be a whole number from 0 to 9007199254740991',
    );
  });
});

describe('entries that are no evidence', () => {
  it('an entry with 0 calls in 0 runs is ignored with a warning naming the file and the syscall', async () => {
    const file = await recordingFile('zero.recording.json', {
      chmod: { calls: 0, errors: 0, runs: 0 },
      read: { calls: 3, errors: 0, runs: 1 },
    });
    const result = await cli(['generate', file, '--runtime', 'none']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(`${file}: chmod (x86_64) has 0 calls in 0 runs: ignored`);
    const names = JSON.parse(result.stdout).syscalls[0].names;
    expect(names).toContain('read');
    expect(names).not.toContain('chmod');
  });
});

describe('generate and merge --check agree on names unknown to libseccomp', () => {
  it('a profile generated from a recording passes the check against that recording', async () => {
    const file = await recordingFile('unknown.recording.json', {
      read: { calls: 3, errors: 0, runs: 1 },
      no_such_call: { calls: 1, errors: 1, runs: 1 },
    });
    const profile = join(dir, 'unknown.profile.json');
    const generated = await cli(['generate', file, '--runtime', 'none', '-o', profile]);
    expect(generated.exitCode, generated.stderr).toBe(0);
    expect(generated.stderr).toContain('no_such_call');
    const check = await cli(['merge', '--check', '--json', profile, file]);
    expect(check.exitCode, check.stderr).toBe(0);
    expect(check.stderr).toContain(
      `${file}: no_such_call is unknown to libseccomp on x86_64, cannot be allowed`,
    );
    const report = JSON.parse(check.stdout);
    expect(report).toMatchObject({ covers: true, gaps: [] });
    expect(report.unknown).toEqual([expect.objectContaining({ abi: 'x86_64', name: 'no_such_call' })]);
  });
});
