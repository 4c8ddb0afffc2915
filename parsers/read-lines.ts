import type { Readable } from 'node:stream';
import split2 from 'split2';
import { InputError } from '../src/errors.js';
import type { LineParser } from './observation.js';

/** Longer lines are not text any of our sources print: strace truncates strings, audit caps records at 8970 bytes. */
export const MAX_LINE_BYTES = 512 * 1024;

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
        fail(
          new InputError(
            source,
            lineNumber,
            `a line longer than ${MAX_LINE_BYTES} bytes: this is not a text log or trace`,
          ),
        );
        return;
      }
      if (line.includes('\0')) {
        fail(new InputError(source, lineNumber, 'binary data (NUL byte): this is not a text log or trace'));
        return;
      }
      try {
        parser.push(line.endsWith('\r') ? line.slice(0, -1) : line, lineNumber);
      } catch (error) {
        fail(error);
      }
    });
    splitter.on('error', (error: Error) => {
      const problem = /maximum buffer/i.test(error.message)
        ? `a line longer than ${MAX_LINE_BYTES} bytes: this is not a text log or trace`
        : error.message;
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
