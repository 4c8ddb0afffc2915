import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, SAMPLES } from '../helpers/cli.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sl-bad-'));
});

async function file(name: string, content: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

/** Every rejection is one clear line naming the file, a non-zero exit, no stack trace and no output files. */
async function expectRejected(args: string[], message: RegExp): Promise<void> {
  const prefix = join(dir, `out-${Math.random().toString(36).slice(2)}`);
  const result = await cli([...args, '-o', prefix]);
  expect(result.exitCode).toBe(2);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  await expect(readFile(`${prefix}.profile.json`)).rejects.toThrow();
}

describe('bad input', () => {
  it('an empty file', async () => {
    const path = await file('empty.txt', '');
    await expectRejected(['from-strace', path], new RegExp(`${path}: empty input: no strace output`));
  });

  it('binary garbage', async () => {
    const bytes = Buffer.alloc(4096);
    for (let index = 0; index < bytes.length; index++) bytes[index] = (index * 7919) % 256;
    const path = await file('garbage.bin', bytes);
    await expectRejected(['from-strace', path], new RegExp(`${path}:\\d+: binary data`));
  });

  it('a truncated -c table', async () => {
    const sample = await readFile(join(SAMPLES, 'strace-samples/local-c-w-S-calls-U.stderr.txt'), 'utf8');
    const cut = sample.split('\n').slice(0, 20).join('\n');
    const path = await file('cut.txt', cut);
    await expectRejected(['from-strace', path], new RegExp(`${path}:\\d+: truncated strace -c table`));
  });

  it('a 1 MB line', async () => {
    const path = await file('long.txt', `read(3, "${'x'.repeat(1024 * 1024)}", 5) = 5\n`);
    await expectRejected(['from-strace', path], new RegExp(`${path}:1: a line longer than 524288 bytes`));
  });

  it('a recording with a wrong version', async () => {
    const path = await file(
      'old.recording.json',
      JSON.stringify({ format: 'seccomp-learn/recording@0', runs: 1 }),
    );
    await expectRejected(
      ['generate', path],
      new RegExp(`${path}: unsupported recording format "seccomp-learn/recording@0"`),
    );
  });

  it('a recording that is not JSON', async () => {
    const path = await file(
      'broken.recording.json',
      '{\n  "format": "seccomp-learn/recording@1",\n  "runs": 1,,\n}',
    );
    await expectRejected(['generate', path], new RegExp(`${path}:3: invalid JSON`));
  });

  it('a file that does not exist', async () => {
    await expectRejected(['generate', join(dir, 'nope.json')], /nope\.json: cannot read: ENOENT/);
    await expectRejected(['from-strace', join(dir, 'nope.txt')], /nope\.txt: cannot read/);
  });

  it('usage errors of any command exit 2 with a hint; --help exits 0', async () => {
    for (const args of [
      ['bogus'],
      ['generate'],
      ['record', '--default-action', 'nope', '--', 'true'],
      ['diff'],
    ]) {
      const result = await cli(args);
      expect(result.exitCode, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/^error: .*\n\(run with --help for usage\)$/);
    }
    for (const args of [['--help'], ['record', '--help'], ['report', '--help']]) {
      const result = await cli(args);
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain('Examples:');
    }
  });
});
