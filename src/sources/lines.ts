import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import split2 from 'split2';
import { InputError } from '../errors.js';

/** What consumes text a line at a time: every parser of the project's text inputs. */
export interface LineParser {
  push(line: string, lineNumber: number): void;
  /** Called once after the last line; throws if the input as a whole was not what the parser reads. */
  finish(): void;
}

/**
 * The one place where text is cut into lines, for the whole project: split2 does the cutting (a
 * line ends at LF, a CR before it is dropped, a UTF-8 character split between two chunks is kept
 * whole). Parsers read a stream with feedLines; live sources (a followed log, dmesg) push what they
 * read into a LineFeed.
 */

/** Longer lines are not text any of our sources print: strace truncates strings, audit caps records at 8970 bytes. */
export const MAX_LINE_BYTES = 512 * 1024;

/** Why an input was refused, in the words every reader of lines uses. */
export const BINARY = 'binary data (NUL byte): this is not a text log or trace';
export const TOO_LONG = `a line longer than ${MAX_LINE_BYTES} bytes: this is not a text log or trace`;

/**
 * Streams `input` line by line into `parser` with constant memory. Lines are handed over
 * synchronously from split2's data events: an async iterator would cost a promise per line.
 * Rejects with an InputError naming `source` and the line on binary data or an over-long line.
 */
export function feedLines(input: Readable, source: string, parser: LineParser): Promise<void> {
  return new Promise((resolve, reject) => {
    let lineNumber = 0;
    let failed = false;
    const splitter = split2({ maxLength: MAX_LINE_BYTES });
    const fail = (error: unknown): void => {
      if (failed) return;
      failed = true;
      input.unpipe(splitter);
      splitter.destroy();
      input.destroy();
      reject(error);
    };
    splitter.on('data', (line: string) => {
      if (failed) return;
      lineNumber++;
      // split2 only measures the unfinished tail of a chunk; a whole long line inside one chunk is caught here.
      if (line.length > MAX_LINE_BYTES) {
        fail(new InputError(source, lineNumber, TOO_LONG));
        return;
      }
      if (line.includes('\0')) {
        fail(new InputError(source, lineNumber, BINARY));
        return;
      }
      try {
        parser.push(line.endsWith('\r') ? line.slice(0, -1) : line, lineNumber);
      } catch (error) {
        fail(error);
      }
    });
    splitter.on('error', (error: Error) => {
      const problem = /maximum buffer/i.test(error.message) ? TOO_LONG : error.message;
      fail(new InputError(source, lineNumber + 1, problem));
    });
    input.on('error', (error: Error) =>
      fail(new InputError(source, undefined, `cannot read: ${error.message}`)),
    );
    splitter.on('end', () => {
      if (failed) return;
      try {
        parser.finish();
        resolve();
      } catch (error) {
        fail(error);
      }
    });
    input.pipe(splitter);
  });
}

/**
 * Lines of a live source, which hands over whatever it has read whenever it has read it. Lines
 * are numbered from 1 and handed on as they are: a live log is not checked for binary data.
 */
export class LineFeed {
  private splitter = split2();
  private lineNumber = 0;
  /** The first error `onLine` threw; raised by the next write or by end(), never lost in an event. */
  private failure: { error: unknown } | undefined;

  constructor(private readonly onLine: (line: string, lineNumber: number) => void) {
    this.listen();
  }

  write(chunk: Buffer | string): void {
    this.raise();
    this.splitter.write(chunk);
  }

  /** Forgets the unfinished last line (its file was truncated); the line numbers go on. */
  discardPartial(): void {
    this.splitter.destroy();
    this.splitter = split2();
    this.listen();
  }

  /** Hands over the last line, should it lack a newline, once every line before it is handed over. */
  async end(): Promise<void> {
    this.splitter.end();
    await finished(this.splitter);
    this.raise();
  }

  private listen(): void {
    this.splitter.on('data', (line: string) => {
      if (this.failure) return;
      try {
        this.onLine(line, ++this.lineNumber);
      } catch (error) {
        this.failure = { error };
      }
    });
  }

  private raise(): void {
    if (this.failure) throw this.failure.error;
  }
}

/** Receives a line as bytes [start, end) of `bytes`, its newline (and a CR before it) left out. */
export type ByteLineHandler = (bytes: Buffer, start: number, end: number, lineNumber: number) => void;

/**
 * Large reads: at 250 MB, 64 KiB ones cost a fifth of the run. Larger than MAX_LINE_BYTES, so a
 * read that holds no newline holds a line too long to read.
 */
const CHUNK_BYTES = 4 * 1024 * 1024;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Reads a file line by line from `position`, as bytes in place: no string per line, which at
 * hundreds of MB would be most of the run time. The file is read in large chunks, the next while
 * this one's lines are handed over, and each chunk starts where the last whole line of the one
 * before ended: no line is ever put together from pieces, so this is not a second line splitter
 * beside split2, which streams need. Throws an InputError naming `source` and the line on binary
 * data or an over-long line.
 */
export class FileLines {
  /** The number of the last line handed over. */
  lineNumber = 0;
  private readonly buffers = [Buffer.allocUnsafe(CHUNK_BYTES), Buffer.allocUnsafe(CHUNK_BYTES)] as const;

  constructor(
    private readonly handle: FileHandle,
    private readonly source: string,
    private readonly onLine: ByteLineHandler,
  ) {}

  /**
   * Hands over the lines from `position` to the end of the file, or to `end` (a position just
   * after a newline, where a range of the file ends); a last line without a newline only when
   * `last` (the file is complete). Returns where the lines not handed over begin.
   */
  async read(position: number, last: boolean, end = Number.POSITIVE_INFINITY): Promise<number> {
    let index: 0 | 1 = 0;
    let chunk = await this.chunk(index, position, end);
    while (chunk.length > 0) {
      const nul = chunk.indexOf(0);
      if (nul >= 0) throw new InputError(this.source, this.lineNumber + linesUpTo(chunk, nul), BINARY);
      const lastNewline = chunk.lastIndexOf(NEWLINE);
      if (lastNewline < 0) {
        if (chunk.length > MAX_LINE_BYTES) throw new InputError(this.source, this.lineNumber + 1, TOO_LONG);
        if (!last) return position;
        this.lines(chunk, chunk.length);
        return position + chunk.length;
      }
      position += lastNewline + 1;
      index = index === 0 ? 1 : 0;
      const next = this.chunk(index, position, end);
      try {
        this.lines(chunk, lastNewline + 1);
      } catch (error) {
        await next.catch(() => undefined);
        throw error;
      }
      chunk = await next;
    }
    return position;
  }

  private async chunk(index: 0 | 1, position: number, end: number): Promise<Buffer> {
    const buffer = this.buffers[index];
    const length = Math.min(CHUNK_BYTES, end - position);
    if (length <= 0) return buffer.subarray(0, 0);
    try {
      const { bytesRead } = await this.handle.read(buffer, 0, length, position);
      return buffer.subarray(0, bytesRead);
    } catch (error) {
      throw new InputError(this.source, undefined, `cannot read: ${(error as Error).message}`);
    }
  }

  /** The lines in bytes [0, end), each ended by a newline but perhaps the last. */
  private lines(bytes: Buffer, end: number): void {
    const onLine = this.onLine;
    let at = 0;
    while (at < end) {
      let lineEnd = bytes.indexOf(NEWLINE, at);
      if (lineEnd < 0 || lineEnd >= end) lineEnd = end;
      const lineNumber = ++this.lineNumber;
      if (lineEnd - at > MAX_LINE_BYTES) throw new InputError(this.source, lineNumber, TOO_LONG);
      onLine(
        bytes,
        at,
        lineEnd > at && bytes[lineEnd - 1] === CARRIAGE_RETURN ? lineEnd - 1 : lineEnd,
        lineNumber,
      );
      at = lineEnd + 1;
    }
  }
}

/** The number, counted from the chunk's start, of the line that holds byte `at`. */
function linesUpTo(chunk: Buffer, at: number): number {
  let lines = 1;
  for (let i = chunk.indexOf(NEWLINE); i >= 0 && i < at; i = chunk.indexOf(NEWLINE, i + 1)) lines++;
  return lines;
}
