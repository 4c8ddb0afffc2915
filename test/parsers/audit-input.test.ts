import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type AuditLineParser,
  createAuditParser,
  feedAuditLines,
  readAuditFile,
  type SeccompAuditRecord,
} from '../../parsers/audit.js';
import type { ParseNotice } from '../../parsers/observation.js';

const TRACES = fileURLToPath(new URL('../../samples/traces/', import.meta.url));
const dir = await mkdtemp(join(tmpdir(), 'sl-audit-input-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

interface Read {
  records: SeccompAuditRecord[];
  notices: ParseNotice[];
  error?: string;
}

async function read(how: (parser: AuditLineParser) => Promise<void>): Promise<Read> {
  const records: SeccompAuditRecord[] = [];
  const notices: ParseNotice[] = [];
  const parser = createAuditParser({
    file: 'in.log',
    host: 'x86_64',
    onRecord: (record) => records.push(record),
    onNotice: (notice) => notices.push(notice),
  });
  try {
    await how(parser);
    return { records, notices };
  } catch (error) {
    return { records, notices, error: (error as Error).message };
  }
}

const asFile = (path: string) => read((parser) => readAuditFile(path, parser, 'in.log'));
const asStream = (path: string) => read((parser) => feedAuditLines(createReadStream(path), 'in.log', parser));

describe('readAuditFile', () => {
  // Every audit capture of samples/traces: auditd raw and ENRICHED, ausearch -i, dmesg in three forms, journald.
  const captures = [
    'audit-docker-busybox.log',
    'audit-docker-busybox-actions.log',
    'audit-docker-busybox-actions-ausearch-i.log',
    'audit-docker-prw.log',
    'audit-docker-prw-ausearch-i.log',
    'dmesg-ratelimited.txt',
    'dmesg-T-ratelimited.txt',
    'dmesg-kmsg-ratelimited.txt',
    'journal-docker-busybox-short.txt',
    'journal-docker-busybox.json',
  ];

  it.each(captures)('reads %s to the same records and notices as the stream reader', async (name) => {
    const file = await asFile(join(TRACES, name));
    expect(file.error).toBeUndefined();
    expect(file.records.length).toBeGreaterThan(0);
    expect(file).toEqual(await asStream(join(TRACES, name)));
  });

  it('reads CRLF lines, a last line without newline and the line numbers as the stream reader does', async () => {
    const lines = (await readFile(join(TRACES, 'audit-docker-busybox-actions.log'), 'utf8')).split('\n');
    const path = join(dir, 'crlf.log');
    await writeFile(
      path,
      `\n${lines.slice(0, 40).join('\r\n')}\n\n${lines.slice(40, 60).join('\n').trimEnd()}`,
    );
    const file = await asFile(path);
    expect(file.records.length).toBeGreaterThan(10);
    expect(file).toEqual(await asStream(path));
  });

  it('rejects binary data with its line, and a file that cannot be opened', async () => {
    const path = join(dir, 'binary.log');
    await writeFile(path, 'type=CWD msg=audit(1.2:3): cwd="/"\n\0\n');
    expect((await asFile(path)).error).toBe(
      'in.log:2: binary data (NUL byte): this is not a text log or trace',
    );
    expect((await asFile(join(dir, 'missing.log'))).error).toMatch(/^in\.log: cannot read: ENOENT/);
  });

  it('reads what is not a regular file (a FIFO) as a stream', async () => {
    const text = await readFile(join(TRACES, 'audit-docker-busybox.log'));
    const path = join(dir, 'fifo');
    await execa('mkfifo', [path]);
    const [fromFifo] = await Promise.all([asFile(path), writeFile(path, text)]);
    expect(fromFifo.error).toBeUndefined();
    expect(fromFifo).toEqual(await asStream(join(TRACES, 'audit-docker-busybox.log')));
    expect(fromFifo.records).toHaveLength(196);
  });
});
