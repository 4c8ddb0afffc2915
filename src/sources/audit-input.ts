import { fstatSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { UserError } from '../errors.js';
import { FileFollower } from './follow.js';
import { LineFeed } from './lines.js';

/**
 * Kernel log text to read to its end: a file (read in large chunks of whole lines), or a stream
 * (a pipe on standard input, what dmesg or journalctl print).
 */
export type AuditInput =
  | { kind: 'file'; name: string; path: string }
  | {
      kind: 'stream';
      name: string;
      stream: Readable;
      /** Settles when the program producing the text has ended; rejects when it failed. */
      done: Promise<unknown>;
    };

/** Where from-audit reads: a file (default auditd's log), `-` for stdin, or the kernel's own logs. */
export type AuditOrigin = { file: string } | { dmesg: true } | { journal: true };

/** execa loads only when a program is run: it is most of from-audit's start-up on a log file. */
async function commandInput(name: string, command: string, args: string[]): Promise<AuditInput> {
  const { execa } = await import('execa');
  const child = execa(command, args, { stdout: 'pipe', stderr: 'pipe', buffer: { stdout: false } });
  const done = child.catch((error: { shortMessage?: string; stderr?: string }) => {
    throw new UserError(`${name} failed: ${error.stderr?.trim() || error.shortMessage || 'unknown error'}`);
  });
  return { kind: 'stream', name, stream: child.stdout, done };
}

export async function openAuditInput(origin: AuditOrigin): Promise<AuditInput> {
  if ('dmesg' in origin) return commandInput('dmesg', 'dmesg', []);
  // The kernel transport carries the rate-limit notices; the audit transport the records when auditd is absent.
  if ('journal' in origin)
    return commandInput('journalctl', 'journalctl', [
      '--no-pager',
      '-o',
      'json',
      '_TRANSPORT=audit',
      '+',
      '_TRANSPORT=kernel',
    ]);
  if (origin.file !== '-') return { kind: 'file', name: origin.file, path: origin.file };
  const name = '<stdin>';
  // A file on stdin is read like any file; a pipe is a stream.
  if (fstatSync(0).isFile()) return { kind: 'file', name, path: '/dev/stdin' };
  return { kind: 'stream', name, stream: process.stdin, done: Promise.resolve() };
}

/** A source of kernel log lines, followed while a container runs and stopped once it is gone. */
export interface LineSource {
  name: string;
  stop(): Promise<void>;
}

export type LineHandler = (line: string, lineNumber: number) => void;

/** Follows auditd's log from its end, across rotations; `onGap` is told of records deleted before they were read. */
export async function followAuditLog(
  path: string,
  onLine: LineHandler,
  onGap: (message: string) => void,
): Promise<LineSource> {
  let follower: FileFollower;
  try {
    follower = await FileFollower.fromEnd(path, onLine, onGap);
  } catch (error) {
    throw new UserError(
      `cannot read the audit log ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`,
    );
  }
  follower.start();
  return { name: path, stop: () => follower.stop() };
}

/** Follows the kernel's ring buffer, where SECCOMP records go when auditd is not running. */
export async function followDmesg(onLine: LineHandler): Promise<LineSource> {
  const { execa } = await import('execa');
  const child = execa('dmesg', ['--follow-new'], { reject: false, buffer: false, stderr: 'ignore' });
  const lines = new LineFeed(onLine);
  child.stdout?.on('data', (chunk: Buffer) => lines.write(chunk));
  return {
    name: 'dmesg',
    async stop() {
      child.kill('SIGTERM');
      await child;
      await lines.end();
    },
  };
}
