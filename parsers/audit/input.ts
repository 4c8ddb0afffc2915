import { type FileHandle, open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { InputError } from '../../src/errors.js';
import { FileLines, feedLines } from '../../src/sources/lines.js';
import type { AuditLineParser } from './types.js';

/**
 * Feeds an audit stream (a pipe, dmesg, journalctl) to `parser` line by line, then finishes it.
 * Rejects with an InputError on a NUL byte, an over-long line or a read error.
 */
export function feedAuditLines(input: Readable, source: string, parser: AuditLineParser): Promise<void> {
  return feedLines(input, source, parser);
}

/**
 * Reads the audit log at `path` into `parser`, then finishes it. A regular file hands the parser
 * each line's bytes in place (FileLines); anything else (a FIFO, /dev/stdin on a pipe) is read
 * as a stream. Rejects like feedAuditLines.
 */
export async function readAuditFile(path: string, parser: AuditLineParser, source = path): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new InputError(source, undefined, `cannot read: ${(error as Error).message}`);
  }
  try {
    if ((await handle.stat()).isFile()) {
      await new FileLines(handle, source, (bytes, start, end, lineNumber) =>
        parser.pushBytes(bytes, start, end, lineNumber),
      ).read(0, true);
      parser.finish();
    } else {
      await feedAuditLines(handle.createReadStream({ autoClose: false }), source, parser);
    }
  } finally {
    await handle.close();
  }
}
