import { InputError } from '../../src/errors.js';
import { abisOfHost } from '../../src/syscalls/abi.js';
import type { NoticeCode } from '../observation.js';
import { indexOfAt, SPACE, startsWithAt, type Word, word } from './fields.js';
import { journalFields, journalNumber, journalText } from './journald.js';
import { LossReader } from './loss.js';
import { TransportPairing } from './pairing.js';
import { RecordReader } from './record.js';
import { syslogTimestamp } from './timestamps.js';
import {
  type AuditLineParser,
  type AuditParserOptions,
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
/** The first bytes of the tokens above: any other type is told apart by one byte. */
const TYPE_INITIALS = new Set(SECCOMP_TYPES.map(({ token }) => token.bytes[0]));

const TYPE_KEY = word('type=');
const SPACED_TYPE_KEY = word(' type=');
const PRINTK_HEADER = word('audit(');
const SECCOMP = word('SECCOMP');
const AUDIT = word('audit');
const JOURNAL_SHORT = word(': SECCOMP ');

/** Per-line notices of one kind beyond this many are summed into one, so a flood cannot bury the rest. */
const NOTICES_PER_CODE = 100;

/**
 * The kernel prints audit records itself only at printk's default rate: a burst of 10 per 5 s
 * (kauditd_printk_skb is ratelimited with DEFAULT_RATELIMIT_INTERVAL/BURST).
 */
const PRINTK_BURST = 10;
const PRINTK_INTERVAL_S = 5;

/**
 * Reads Linux SECCOMP audit records line by line, in every form parsers/audit.ts lists: finds the
 * records among the other lines, drops journald's second copy, and sums up what it could not read.
 */
export function createAuditParser(options: AuditParserOptions): AuditLineParser {
  const { file, host, onRecord, onNotice } = options;
  let records = 0;
  const legacy = { count: 0, firstLine: 0, compat: 0 };
  const unknownArches = new Map<string, { count: number; firstLine: number }>();
  const emitted = new Map<NoticeCode, number>();
  const withheld = { notices: 0, suppressed: 0 };
  const pairing = new TransportPairing();
  // When the kernel printed records itself, the times of the last burst of them, and whether
  // journald's own copy of every record is there too.
  const printkTimes: number[] = [];
  let journalRecords = 0;

  const notice = (
    code: NoticeCode,
    message: string,
    line: number,
    count?: number,
    timestamp?: number,
  ): void => {
    const sent = emitted.get(code) ?? 0;
    if (sent >= NOTICES_PER_CODE) {
      withheld.notices++;
      if (count !== undefined) withheld.suppressed += count;
      return;
    }
    emitted.set(code, sent + 1);
    onNotice({
      code,
      message,
      file,
      line,
      ...(count === undefined ? {} : { count }),
      ...(timestamp === undefined ? {} : { timestamp }),
    });
  };

  const unreadable = (line: number, problem: string): void =>
    notice(
      'unreadable-line',
      `a SECCOMP record that cannot be read (${problem}): its system call is not counted`,
      line,
    );

  const reader = new RecordReader(host, {
    unreadable,
    unknownArch(arch, line) {
      const seen = unknownArches.get(arch);
      if (seen) seen.count++;
      else unknownArches.set(arch, { count: 1, firstLine: line });
    },
    legacy(line, compat) {
      if (legacy.count === 0) legacy.firstLine = line;
      legacy.count++;
      if (compat) legacy.compat++;
    },
  });

  const loss = new LossReader((line, message, count, timestamp) =>
    notice('lost-records', message, line, count, timestamp),
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
    if (via === VIA_PRINTK && record.timestamp !== undefined) {
      if (printkTimes.length === PRINTK_BURST) printkTimes.shift();
      printkTimes.push(record.timestamp);
    } else if (via === VIA_JOURNAL) {
      journalRecords++;
    }
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
        unreadable(line, 'a line that starts like journald JSON but is not JSON');
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
        unreadable(line, 'journald entry with neither a readable MESSAGE nor _AUDIT_FIELD_SYSCALL');
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
      readJournalEntry(bytes, start, end, line);
      return;
    }
    const typeKey = startsWithAt(bytes, start, end, TYPE_KEY)
      ? start
      : indexOfAt(bytes, start, end, SPACED_TYPE_KEY);
    if (typeKey >= 0) {
      const typeAt = typeKey + (bytes[typeKey] === SPACE ? 6 : 5);
      // Most lines of an audit.log are of other types.
      if (!TYPE_INITIALS.has(bytes[typeAt])) return;
      for (const { token, via } of SECCOMP_TYPES) {
        if (!startsWithAt(bytes, typeAt, end, token)) continue;
        // printk writes "type=1326 audit(…)"; auditd and its relays write "msg=audit(…)".
        const printk =
          via === VIA_AUDITD && startsWithAt(bytes, typeAt + token.bytes.length, end, PRINTK_HEADER);
        readRecord(bytes, start, end, line, typeAt, printk ? VIA_PRINTK : via);
        return;
      }
      return;
    }
    // journald short output of the audit transport: "audit[7053]: SECCOMP auid=…".
    const journal = indexOfAt(bytes, start, end, JOURNAL_SHORT);
    if (journal >= 0) {
      readRecord(bytes, start, end, line, journal + 2, VIA_JOURNAL);
      return;
    }
    if (indexOfAt(bytes, start, end, AUDIT) >= 0) {
      const text = bytes.toString('utf8', start, end);
      loss.read(text, line, at ?? syslogTimestamp(text));
    }
  };

  const finish = (): void => {
    if (legacy.count > 0) {
      const compat =
        legacy.compat > 0 ? ` (${legacy.compat} with compat=1: ${abisOfHost(host)[1] ?? host})` : '';
      onNotice({
        code: 'assumed-abi',
        message:
          `${legacy.count} legacy type=1701 seccomp record(s) have no arch= field: ` +
          `assumed they came from the host ABI ${host}${compat}`,
        file,
        line: legacy.firstLine,
        abi: host,
        count: legacy.count,
      });
    }
    for (const [arch, { count, firstLine }] of unknownArches) {
      onNotice({
        code: 'unknown-syscall',
        message:
          `${count} record(s) with arch=${arch}, an architecture seccomp-learn does not know: ` +
          'their system calls are not counted',
        file,
        line: firstLine,
        count,
      });
    }
    // "N callbacks suppressed" is printed with the next message the kernel lets through, so a log
    // that ends in a full burst may have lost what followed it without saying so.
    const first = printkTimes[0];
    const last = printkTimes[printkTimes.length - 1];
    if (
      journalRecords === 0 &&
      printkTimes.length === PRINTK_BURST &&
      first !== undefined &&
      last !== undefined &&
      last - first < PRINTK_INTERVAL_S
    ) {
      onNotice({
        code: 'lost-records',
        message:
          `the log ends with ${PRINTK_BURST} records the kernel printed within ${PRINTK_INTERVAL_S} s, its printk rate limit: ` +
          'records after them were probably suppressed, and the kernel reports that only with its next audit message. ' +
          'Run auditd (auditd; auditctl -b 8192) to keep every record',
        file,
      });
    }
    if (withheld.notices > 0) {
      const more =
        withheld.suppressed > 0 ? `, standing for at least ${withheld.suppressed} missing record(s)` : '';
      onNotice({
        code: 'lost-records',
        message: `${withheld.notices} further notice(s) about lost or unreadable records were not listed one by one${more}`,
        file,
        ...(withheld.suppressed > 0 ? { count: withheld.suppressed } : {}),
      });
    }
    if (records === 0) {
      const lostNotices = emitted.get('lost-records') ?? 0;
      throw new InputError(
        file,
        undefined,
        'no SECCOMP audit records (type=1326) in this input' +
          (lostNotices > 0 ? ', and the kernel says it dropped some' : '') +
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
    finish,
  };
}
