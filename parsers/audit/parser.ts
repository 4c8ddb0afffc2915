import { InputError } from '../../src/errors.js';
import { indexOfAt, SPACE, startsWithAt, type Word, word } from './fields.js';
import { journalFields, journalNumber, journalText } from './journald.js';
import { LossReader, PrintkTail } from './loss.js';
import { AuditNotices, type NoticeSink, replayNotices } from './notices.js';
import { TransportPairing } from './pairing.js';
import { RecordReader } from './record.js';
import { syslogTimestamp } from './timestamps.js';
import {
  type AuditLineParser,
  type AuditParserOptions,
  type RangeNotices,
  VIA_AUDITD,
  VIA_JOURNAL,
  VIA_LEGACY,
  VIA_PRINTK,
} from './types.js';

/**
 * The record types read, as printed after `type=`: by name, by number (the kernel's printk, and
 * auditd builds that predate the SECCOMP name), and the ANOM_ABEND that kernels before 3.x wrote
 * with reason="seccomp".
 */
const SECCOMP_TYPES: readonly { token: Word; via: number }[] = [
  { token: word('SECCOMP '), via: VIA_AUDITD },
  { token: word('1326 '), via: VIA_AUDITD },
  { token: word('UNKNOWN[1326] '), via: VIA_AUDITD },
  { token: word('1701 '), via: VIA_LEGACY },
  { token: word('ANOM_ABEND '), via: VIA_LEGACY },
];
/** Whether a byte starts one of the tokens above: any other type is told apart by one load. */
const TYPE_INITIALS = new Uint8Array(256);
for (const { token } of SECCOMP_TYPES) TYPE_INITIALS[token.bytes[0] as number] = 1;

const TYPE_KEY = word('type=');
const SPACED_TYPE_KEY = word(' type=');
const PRINTK_HEADER = word('audit(');
const SECCOMP = word('SECCOMP');
const AUDIT = word('audit');
const JOURNAL_SHORT = word(': SECCOMP ');

/**
 * Reads Linux SECCOMP audit records line by line, in every form parsers/audit.ts lists: finds the
 * records among the other lines, drops journald's second copy, and sums up what it could not read.
 */
export function createAuditParser(options: AuditParserOptions): AuditLineParser {
  const { file, host, onRecord, onNotice, range } = options;
  let records = 0;
  const notices = new AuditNotices(file, onNotice);
  const sink: NoticeSink = range?.notices ?? notices;
  const reader = new RecordReader(host, sink, options.processNames ?? true);
  const pairing = new TransportPairing();
  const tail = new PrintkTail();
  const loss = new LossReader((line, message, count, timestamp) =>
    sink.line('lost-records', message, line, count, timestamp),
  );

  const readRecord = (
    bytes: Buffer,
    start: number,
    end: number,
    line: number,
    typeAt: number,
    via: number,
    journal?: ReturnType<typeof journalFields>,
  ): void => {
    const record = reader.read(bytes, start, end, line, typeAt, via, journal);
    if (record === undefined) return;
    if (
      (via === VIA_PRINTK || via === VIA_JOURNAL) &&
      pairing.isSecondCopy(via, `${record.abi} ${record.syscall} ${record.pid} ${reader.ip} ${record.action}`)
    ) {
      return;
    }
    if (via === VIA_PRINTK && record.timestamp !== undefined) tail.printed(record.timestamp);
    else if (via === VIA_JOURNAL) tail.journal();
    records++;
    onRecord(record);
  };

  const readJournalEntry = (bytes: Buffer, start: number, end: number, line: number): void => {
    if (indexOfAt(bytes, start, end, SECCOMP) < 0 && indexOfAt(bytes, start, end, AUDIT) < 0) return;
    let entry: unknown;
    try {
      entry = JSON.parse(bytes.toString('utf8', start, end));
    } catch {
      if (indexOfAt(bytes, start, end, SECCOMP) >= 0) {
        sink.unreadable(line, 'a line that starts like journald JSON but is not JSON');
      }
      return;
    }
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return;
    const fields = entry as Record<string, unknown>;
    const message = journalText(fields.MESSAGE);
    if (fields._AUDIT_TYPE_NAME === 'SECCOMP' || fields._AUDIT_TYPE === '1326') {
      const journal = journalFields(fields);
      const text = message?.includes(' syscall=') ? message : `SECCOMP${journal.fields}`;
      if (!text.includes(' syscall=')) {
        sink.unreadable(line, 'journald entry with neither a readable MESSAGE nor _AUDIT_FIELD_SYSCALL');
        return;
      }
      const record = Buffer.from(text, 'utf8');
      readRecord(record, 0, record.length, line, 0, VIA_JOURNAL, journal);
      return;
    }
    // Kernel transport: the printk text of a record or of a loss message.
    if (message !== undefined) {
      const text = Buffer.from(message, 'utf8');
      const realtime = journalNumber(fields.__REALTIME_TIMESTAMP);
      readLine(text, 0, text.length, line, realtime === undefined ? undefined : realtime / 1e6);
    }
  };

  const readLine = (bytes: Buffer, start: number, end: number, line: number, at?: number): void => {
    if (bytes[start] === 0x7b) {
      range?.onOrderedLine();
      readJournalEntry(bytes, start, end, line);
      return;
    }
    const typeKey = startsWithAt(bytes, start, end, TYPE_KEY)
      ? start
      : indexOfAt(bytes, start, end, SPACED_TYPE_KEY);
    if (typeKey >= 0) {
      const typeAt = typeKey + (bytes[typeKey] === SPACE ? 6 : 5);
      // Most lines of an audit.log are of other types.
      if (TYPE_INITIALS[bytes[typeAt] as number] !== 1) return;
      for (const { token, via } of SECCOMP_TYPES) {
        if (!startsWithAt(bytes, typeAt, end, token)) continue;
        // printk writes "type=1326 audit(…)"; auditd and its relays write "msg=audit(…)".
        const printk =
          via === VIA_AUDITD && startsWithAt(bytes, typeAt + token.bytes.length, end, PRINTK_HEADER);
        if (printk) range?.onOrderedLine();
        readRecord(bytes, start, end, line, typeAt, printk ? VIA_PRINTK : via);
        return;
      }
      return;
    }
    // journald short output of the audit transport: "audit[7053]: SECCOMP auid=…".
    const journal = indexOfAt(bytes, start, end, JOURNAL_SHORT);
    if (journal >= 0) {
      range?.onOrderedLine();
      readRecord(bytes, start, end, line, journal + 2, VIA_JOURNAL);
      return;
    }
    if (indexOfAt(bytes, start, end, AUDIT) >= 0) {
      range?.onOrderedLine();
      const text = bytes.toString('utf8', start, end);
      loss.read(text, line, at ?? syslogTimestamp(text));
    }
  };

  const finish = (): void => {
    notices.finish(host, tail.notice(file));
    if (records === 0 && (options.requireRecords ?? true)) {
      throw new InputError(
        file,
        undefined,
        'no SECCOMP audit records (type=1326) in this input' +
          (notices.lostNotices > 0 ? ', and the kernel says it dropped some' : '') +
          ': were the calls logged (defaultAction SCMP_ACT_LOG), and is this the audit log, dmesg or journal of the run?',
      );
    }
  };

  return {
    push(line: string, lineNumber: number): void {
      const bytes = Buffer.from(line, 'utf8');
      readLine(bytes, 0, bytes.length, lineNumber);
    },
    pushBytes(bytes: Buffer, start: number, end: number, lineNumber: number): void {
      readLine(bytes, start, end, lineNumber);
    },
    absorb(read: RangeNotices, lineOffset: number): void {
      records += read.records;
      replayNotices(read.events, notices, lineOffset);
    },
    get records() {
      return records;
    },
    finish,
  };
}
