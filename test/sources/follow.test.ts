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

/** A follower of `file` from its current end, the lines it has handed over so far and the gaps it reported. */
async function follow(file: string): Promise<{ follower: FileFollower; lines: string[]; gaps: string[] }> {
  const lines: string[] = [];
  const gaps: string[] = [];
  const follower = await FileFollower.fromEnd(
    file,
    (line) => lines.push(line),
    (gap) => gaps.push(gap),
  );
  return { follower, lines, gaps };
}

/**
 * What auditd does when the log reaches max_log_file with max_log_file_action = ROTATE: `.N-2` to
 * `.N-1` (replacing, that is deleting, the oldest copy), …, `.1` to `.2`, the log to `.1`, then a new
 * log holding `firstLine`.
 */
async function rotate(file: string, numLogs: number, firstLine: string): Promise<void> {
  for (let number = numLogs - 2; number >= 1; number--) {
    await rename(`${file}.${number}`, `${file}.${number + 1}`).catch(() => undefined);
  }
  await rename(file, `${file}.1`);
  await writeFile(file, `${firstLine}\n`);
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

  it('reads every file of several rotations that came between two looks, oldest first', async () => {
    const file = await logFile();
    const { follower, lines, gaps } = await follow(file);
    // Not started: nothing is read until stop(), by which time the log has rotated three times.
    await appendFile(file, 'one\n');
    await rotate(file, 5, 'two');
    await rotate(file, 5, 'three');
    // The renamed "two" file, still written after the rename.
    await appendFile(`${file}.1`, 'two and a half\n');
    await rotate(file, 5, 'four');
    await appendFile(file, 'five\n');
    await follower.stop();
    expect(lines).toEqual(['one', 'two', 'two and a half', 'three', 'four', 'five']);
    expect(gaps).toEqual([]);
  });

  it('says records are missing when copies were deleted before they were read (num_logs)', async () => {
    const file = await logFile();
    const { follower, lines, gaps } = await follow(file);
    await appendFile(file, 'one\n');
    // num_logs 3 keeps the log, .1 and .2: four rotations delete the file being read and the one after it.
    for (const line of ['two', 'three', 'four', 'five']) await rotate(file, 3, line);
    await follower.stop();
    // "one" is read through the descriptor held open; "two" was deleted unread.
    expect(lines).toEqual(['one', 'three', 'four', 'five']);
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toContain("rotated more times than its copies are kept (auditd's num_logs)");
  });

  it('keeps the copies it has seen while the log rotates faster than it reads', async () => {
    const file = await logFile();
    const { follower, lines, gaps } = await follow(file);
    follower.start();
    const written: string[] = [];
    for (let round = 0; round < 6; round++) {
      const line = `line ${round}`;
      written.push(line);
      await rotate(file, 3, line);
      // Each rotation is seen before the next: no copy is deleted unseen, however many rotations.
      await waitUntil(async () => lines.includes(line), line);
    }
    await follower.stop();
    expect(lines).toEqual(written);
    expect(gaps).toEqual([]);
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
