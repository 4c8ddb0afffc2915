import type { Readable } from 'node:stream';
import { feedLines } from '../read-lines.js';
import type { AuditLineParser } from './types.js';

/**
 * Feeds an audit stream (stdin, dmesg, journalctl) to `parser` line by line, then finishes it.
 * Rejects with an InputError on a NUL byte, an over-long line or a read error.
 */
export function feedAuditLines(input: Readable, source: string, parser: AuditLineParser): Promise<void> {
  return feedLines(input, source, parser);
}
