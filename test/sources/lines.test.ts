import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { FileLines, feedLines, LineFeed, type LineParser, MAX_LINE_BYTES } from '../../src/sources/lines.js';

const dir = await mkdtemp(join(tmpdir(), 'sl-read-lines-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The lines FileLines hands over for `content`, as [text, number] pairs, or what it threw. */
async function fileLines(content: Buffer | string): Promise<{ lines: [string, number][]; error?: unknown }> {
  const file = join(dir, `f${Math.random().toString(36).slice(2)}`);
  await writeFile(file, content);
  const handle = await open(file, 'r');
  const lines: [string, number][] = [];
  try {
    await new FileLines(handle, 'in', (bytes, start, end, n) =>
      lines.push([bytes.toString('utf8', start, end), n]),
    ).read(0, true);
    return { lines };
  } catch (error) {
    return { lines, error };
  } finally {
    await handle.close();
  }
}

/** The lines feedLines (split2) hands over for the same content. */
async function streamLines(content: Buffer | string): Promise<[string, number][]> {
  const lines: [string, number][] = [];
  const parser: LineParser = { push: (line, n) => lines.push([line, n]), finish() {} };
  await feedLines(Readable.from([Buffer.from(content)]), 'in', parser);
  return lines;
}

describe('FileLines', () => {
  it('hands over what split2 does: CRLF, blank lines, UTF-8 and a last line without newline', async () => {
    const content = 'a\r\n\nbé\ncc\r\n\nlast';
    const { lines, error } = await fileLines(content);
    expect(error).toBeUndefined();
    expect(lines).toEqual([
      ['a', 1],
      ['', 2],
      ['bé', 3],
      ['cc', 4],
      ['', 5],
      ['last', 6],
    ]);
    expect(lines).toEqual(await streamLines(content));
    expect((await fileLines('x\n')).lines).toEqual([['x', 1]]);
    expect((await fileLines('')).lines).toEqual([]);
  });

  it('reads a file of several chunks without losing or joining a line at their edges', async () => {
    // Lines of every length from 1 to 997 bytes: chunk edges (every 4 MiB) fall at all sorts of places.
    const rows: string[] = [];
    for (let size = 0; size < 12 * 1024 * 1024; ) {
      const row = `${rows.length} ${'x'.repeat(rows.length % 997)}`;
      rows.push(row);
      size += row.length + 1;
    }
    const { lines, error } = await fileLines(`${rows.join('\n')}\n`);
    expect(error).toBeUndefined();
    expect(lines).toHaveLength(rows.length);
    expect(lines.every(([text, n]) => text === rows[n - 1])).toBe(true);
  });

  it('rejects binary data and over-long lines with the line number', async () => {
    const binary = await fileLines('a\nb\nc\0d\n');
    expect(binary.error).toEqual(
      new InputError('in', 3, 'binary data (NUL byte): this is not a text log or trace'),
    );
    const long = await fileLines(`a\n${'y'.repeat(MAX_LINE_BYTES + 1)}\nb\n`);
    expect((long.error as Error).message).toMatch(/^in:2: a line longer than/);
    const endless = await fileLines(`a\n${'y'.repeat(5 * 1024 * 1024)}`);
    expect((endless.error as Error).message).toMatch(/^in:2: a line longer than/);
  });

  it('stops before an unfinished last line unless the file is complete', async () => {
    const file = join(dir, 'growing');
    await writeFile(file, 'one\ntw');
    const handle = await open(file, 'r');
    const lines: string[] = [];
    const reader = new FileLines(handle, 'in', (bytes, start, end) =>
      lines.push(bytes.toString('utf8', start, end)),
    );
    expect(await reader.read(0, false)).toBe(4);
    expect(lines).toEqual(['one']);
    await handle.close();
  });
});

describe('LineFeed', () => {
  it('numbers the lines of chunks cut anywhere and hands over the last one at the end', async () => {
    const lines: [string, number][] = [];
    const feed = new LineFeed((line, n) => lines.push([line, n]));
    const bytes = Buffer.from('one\r\ntwo é\n\nthree');
    for (let at = 0; at < bytes.length; at += 3) feed.write(bytes.subarray(at, at + 3));
    await feed.end();
    expect(lines).toEqual([
      ['one', 1],
      ['two é', 2],
      ['', 3],
      ['three', 4],
    ]);
  });

  it('forgets an unfinished line on discardPartial and goes on counting', async () => {
    const lines: [string, number][] = [];
    const feed = new LineFeed((line, n) => lines.push([line, n]));
    feed.write('one\ntw');
    feed.discardPartial();
    feed.write('new\n');
    await feed.end();
    expect(lines).toEqual([
      ['one', 1],
      ['new', 2],
    ]);
  });

  it('raises what the line handler threw, from end() at the latest', async () => {
    const feed = new LineFeed((line) => {
      if (line === 'bad') throw new Error('refused');
    });
    feed.write('good\nbad\nlater');
    await expect(feed.end()).rejects.toThrow('refused');
  });
});
