import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import split2 from 'split2';
import { InputError } from '../src/errors.js';
import type { LineParser } from './observation.js';

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
