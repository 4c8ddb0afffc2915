import { appendFile, mkdtemp, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileFollower } from '../../src/sources/follow.js';
import { waitUntil } from '../helpers/wait.js';

async function logFile(): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'sl-follow-')), 'audit.log');
  await writeFile(file, 'before the start\n');
  return file;
}

/** A follower of `file` from its current end, and the lines it has handed over so far. */
async function follow(file: string): Promise<{ follower: FileFollower; lines: string[] }> {
  const lines: string[] = [];
  return { follower: await FileFollower.fromEnd(file, (line) => lines.push(line)), lines };
}

describe('FileFollower', () => {
  it('reads the renamed log to its end, then the new one, across a rotation (tail -F)', async () => {
    const file = await logFile();
    const { follower, lines } = await follow(file);
    follower.start();
    await appendFile(file, 'one\n');
    await waitUntil(async () => lines.includes('one'), 'the first line');
    await appendFile(file, 'two\n');
    await rename(file, `${file}.1`);
    // auditd may still write to the renamed file before it opens the new one.
    await appendFile(`${file}.1`, 'three\n');
    await writeFile(file, 'four\n');
    await waitUntil(async () => lines.includes('four'), 'the new file');
    await appendFile(file, 'five\n');
    await follower.stop();
    expect(lines).toEqual(['one', 'two', 'three', 'four', 'five']);
    await rm(`${file}.1`);
  });

  it('waits out the moment between the rename and the new file instead of failing', async () => {
    const file = await logFile();
    const { follower, lines } = await follow(file);
    await appendFile(file, 'one\n');
    await rename(file, `${file}.1`);
    await follower.stop(); // the path is missing now: the lines already written still arrive
    expect(lines).toEqual(['one']);
  });

  it('starts again from the beginning when the file is truncated in place', async () => {
    const file = await logFile();
    const { follower, lines } = await follow(file);
    follower.start();
    await appendFile(file, 'one\n');
    await waitUntil(async () => lines.includes('one'), 'the first line');
    await truncate(file, 0);
    await appendFile(file, 'x\n');
    await follower.stop();
    expect(lines).toEqual(['one', 'x']);
  });
});
