import type { Readable } from 'node:stream';
import { InputError } from '../src/errors.js';
import {
  type Abi,
  abiFromAuditArch,
  abiFromInterpretedArch,
  abiInfo,
  abisOfHost,
} from '../src/syscalls/abi.js';
import { libseccompNameOfAuditName } from '../src/syscalls/audit-names.js';
import type { LineParser, NoticeCode, ParseNotice } from './observation.js';
import { MAX_LINE_BYTES } from './read-lines.js';

/**
 * Reads Linux SECCOMP audit records (type 1326, and the older `type=1701 … reason="seccomp"`) in
 * every form they reach users: auditd's audit.log (raw and ENRICHED), `ausearch -i`, dmesg and
 * /dev/kmsg, syslog/audisp, journald short and JSON output. Sources: docs/upstream-facts.md §7 and the kernel's
 * kernel/auditsc.c, kernel/audit.c, include/uapi/linux/seccomp.h.
 *
 * Records are read from bytes, in place in the stream's chunks: an audit.log of a busy learning
 * run holds millions of them, and a string per line would cost more than reading the fields.
 */

export type SeccompAction =
  | 'kill-process'
  | 'kill-thread'
  | 'trap'
  | 'errno'
  | 'user-notif'
  | 'trace'
  | 'log'
  | 'allow'
  | 'unknown';

export interface SeccompAuditRecord {
  line: number;
  /** Epoch seconds with millisecond fraction. */
  timestamp?: number;
  serial?: number;
  pid?: number;
  /** As the kernel saw them; hex-encoded values are decoded. */
  comm?: string;
  exe?: string;
  abi: Abi;
  /** The raw number as the kernel printed it (ABI offsets included); a name only from `ausearch -i`. */
  syscall: string | number;
  action: SeccompAction;
  sig?: number;
  compat?: boolean;
  /** The record had no `arch=` (legacy type 1701): the ABI is the host's. */
  assumedAbi?: boolean;
}

export interface AuditParserOptions {
  /** Named in notices and errors. */
  file: string;
  /** Stands in for the missing `arch=` of legacy records. */
  host: Abi;
  onRecord(record: SeccompAuditRecord): void;
  onNotice(notice: ParseNotice): void;
}

export interface AuditLineParser extends LineParser {
  /** The line in `bytes` from `start` to `end` (no newline), read without turning it into a string. */
  pushBytes(bytes: Buffer, start: number, end: number, lineNumber: number): void;
}

/** SECCOMP_RET_ACTION_FULL values (include/uapi/linux/seccomp.h); the data bits are masked off first. */
export function seccompAction(code: number): SeccompAction {
  switch ((code & 0xffff0000) >>> 0) {
    case 0x80000000:
      return 'kill-process';
    case 0x00000000:
      return 'kill-thread';
    case 0x00030000:
      return 'trap';
    case 0x00050000:
      return 'errno';
    case 0x7fc00000:
      return 'user-notif';
    case 0x7ff00000:
      return 'trace';
    case 0x7ffc0000:
      return 'log';
    case 0x7fff0000:
      return 'allow';
    default:
      return 'unknown';
  }
}

/**
 * `ausearch -i` names (auparse seccomptab.h). Before audit 3.1.2 both KILL_THREAD and KILL_PROCESS
 * printed as `kill`; `kill` is the historic name of SECCOMP_RET_KILL, which is KILL_THREAD.
 */
const INTERPRETED_ACTIONS: Readonly<Record<string, SeccompAction>> = {
  kill: 'kill-thread',
  'kill-thread': 'kill-thread',
  'kill-process': 'kill-process',
  trap: 'trap',
  errno: 'errno',
  'user-notify': 'user-notif',
  'user-notif': 'user-notif',
  trace: 'trace',
  log: 'log',
  allow: 'allow',
};

/** How a record reached the text: journald and printk both carry every record when no auditd runs. */
const VIA_AUDITD = 0;
const VIA_PRINTK = 1;
const VIA_JOURNAL = 2;
const VIA_LEGACY = 3;

/**
 * The record types read, as printed after `type=`: by name, by number (the kernel's printk, and
 * auditd builds that predate the SECCOMP name), and the ANOM_ABEND that kernels before 3.x wrote
 * with reason="seccomp".
 */
const SECCOMP_TYPES: readonly { token: string; via: number }[] = [
  { token: 'SECCOMP ', via: VIA_AUDITD },
  { token: '1326 ', via: VIA_AUDITD },
  { token: 'UNKNOWN[1326] ', via: VIA_AUDITD },
  { token: '1701 ', via: VIA_LEGACY },
  { token: 'ANOM_ABEND ', via: VIA_LEGACY },
];

const SPACE = 0x20;
const QUOTE = 0x22;
const DOT = 0x2e;
const COLON = 0x3a;
const EQUALS = 0x3d;
const GROUP_SEPARATOR = 0x1d;

/** Divisors for a fraction of 0..3 digits (the kernel prints milliseconds as %03lu). */
const DECIMAL_SCALE = [1, 10, 100, 1000];

/** End of the last value scanned; saves allocating a result per field. */
let scanEnd = 0;

function startsWithAt(bytes: Buffer, at: number, word: string): boolean {
  for (let i = 0; i < word.length; i++) if (bytes[at + i] !== word.charCodeAt(i)) return false;
  return true;
}

/** Like indexOf, but never past `end`: the bytes beyond are the chunk's next lines. */
function indexOfAt(bytes: Buffer, from: number, end: number, word: string): number {
  // Keys start with a space, which is everywhere; their first letter is a far rarer byte to look for.
  const skip = word.length > 1 && word.charCodeAt(0) === SPACE ? 1 : 0;
  const first = word.charCodeAt(skip);
  for (let i = from + skip, last = end - word.length + skip; i <= last; i++) {
    if (bytes[i] === first && startsWithAt(bytes, i - skip, word)) return i - skip;
  }
  return -1;
}

/**
 * Where `key` (" name=") is, at or after `from`. It is first looked for right at `from`, where the
 * kernel's fixed layout puts it; there the name's first and third characters and the '=' tell
 * every key read here from the others.
 */
function fieldAt(bytes: Buffer, key: string, from: number, end: number): number {
  const last = from + key.length - 1;
  if (
    last < end &&
    bytes[last] === EQUALS &&
    bytes[from + 1] === key.charCodeAt(1) &&
    bytes[from + 3] === key.charCodeAt(3) &&
    bytes[from] === SPACE
  ) {
    return from;
  }
  return indexOfAt(bytes, from, end, key);
}

function digitsAt(bytes: Buffer, at: number, end: number): number | undefined {
  let value = 0;
  let i = at;
  for (; i < end; i++) {
    const c = bytes[i] as number;
    if (c < 0x30 || c > 0x39) break;
    value = value * 10 + c - 0x30;
  }
  scanEnd = i;
  return i === at ? undefined : value;
}

function signedAt(bytes: Buffer, at: number, end: number): number | undefined {
  if (bytes[at] !== 0x2d) return digitsAt(bytes, at, end);
  const value = digitsAt(bytes, at + 1, end);
  return value === undefined ? undefined : -value;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

function endsValue(bytes: Buffer, at: number, end: number): boolean {
  return at >= end || bytes[at] === SPACE || bytes[at] === GROUP_SEPARATOR;
}

/**
 * A value of 1 to 8 hex digits, or undefined when it is a name (`ausearch -i`). ENRICHED logs may
 * glue `AUID="…"` straight onto the digits ("code=0x7ffc0000AUID="), so the digits stop there.
 */
function hexAt(bytes: Buffer, at: number, end: number): number | undefined {
  let value = 0;
  let i = at;
  for (const last = Math.min(at + 8, end); i < last; i++) {
    const c = bytes[i] as number;
    const digit = hexDigit(c);
    if (digit < 0 || (c === 0x41 && startsWithAt(bytes, i, 'AUID='))) break;
    value = value * 16 + digit;
  }
  scanEnd = i;
  if (i === at) return undefined;
  return endsValue(bytes, i, end) || startsWithAt(bytes, i, 'AUID=') ? value : undefined;
}

/** Where the value that starts at `at` ends: at a space, the enriched separator or the line's end. */
function tokenEnd(bytes: Buffer, at: number, end: number): number {
  let i = at;
  while (!endsValue(bytes, i, end)) i++;
  scanEnd = i;
  return i;
}

function latin1(bytes: Buffer, start: number, end: number): string {
  return bytes.toString('latin1', start, end);
}

function isEvenHex(bytes: Buffer, start: number, end: number): boolean {
  if (end <= start || (end - start) % 2 !== 0) return false;
  for (let i = start; i < end; i++) if (hexDigit(bytes[i] as number) < 0) return false;
  return true;
}

/** `sig=` in `ausearch -i` output; seccomp only ever sends SIGSYS, which is 12 on MIPS and PA-RISC. */
function signalNumber(name: string, abi: Abi): number | undefined {
  if (name === 'SIG0') return 0;
  if (name !== 'SIGSYS') return undefined;
  return abi.startsWith('mips') || abi.startsWith('parisc') ? 12 : 31;
}

/** `ausearch -i` prints local time with strftime's %x, whose year has two digits in the C locale. */
const INTERPRETED_STAMP = /^(\d\d)\/(\d\d)\/(\d\d(?:\d\d)?) (\d\d):(\d\d):(\d\d)\.(\d{3}):(\d+)\)/;

function interpretedTimestamp(match: RegExpExecArray): number {
  const [month, day, year, hours, minutes, seconds, millis] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const fullYear = year < 100 ? 2000 + year : year;
  return new Date(fullYear, month - 1, day, hours, minutes, seconds, millis).getTime() / 1000;
}

const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec';
const SYSLOG_BSD = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d\d):(\d\d):(\d\d)(\.\d+)? /;
const SYSLOG_ISO = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)(Z|[+-]\d\d:?\d\d)? /;
const SYSLOG_UNIX = /^(\d{9,11}\.\d+) /;

/** The date a syslog or `journalctl` line starts with, as epoch seconds with milliseconds. */
function syslogTimestamp(line: string): number | undefined {
  const unix = SYSLOG_UNIX.exec(line);
  if (unix?.[1]) return Math.round(Number(unix[1]) * 1000) / 1000;
  const iso = SYSLOG_ISO.exec(line);
  if (iso?.[1]) {
    const zone =
      iso[2] === undefined || iso[2] === 'Z' ? (iso[2] ?? '') : `${iso[2].slice(0, 3)}:${iso[2].slice(-2)}`;
    const ms = Date.parse(`${iso[1]}${zone}`);
    return Number.isNaN(ms) ? undefined : ms / 1000;
  }
  const bsd = SYSLOG_BSD.exec(line);
  if (!bsd?.[1]) return undefined;
  const month = MONTHS.indexOf(bsd[1]) / 3;
  if (!Number.isInteger(month)) return undefined;
  const [day, hours, minutes, seconds] = bsd.slice(2, 6).map(Number) as [number, number, number, number];
  const millis = Math.round(Number(bsd[6] ?? 0) * 1000);
  const at = (year: number): number => new Date(year, month, day, hours, minutes, seconds, millis).getTime();
  // RFC 3164 dates carry no year: take the latest one not in the future, as journalctl and rsyslog do.
  const now = Date.now();
  const thisYear = new Date(now).getFullYear();
  return (at(thisYear) > now + 86_400_000 ? at(thisYear - 1) : at(thisYear)) / 1000;
}

/** What a journald entry (`journalctl -o json`) says about a record outside its MESSAGE. */
interface JournalFields {
  timestamp?: number;
  serial?: number;
  pid?: number;
  comm?: string;
  exe?: string;
  /** The record's own fields, in the kernel's order, should MESSAGE lack them. */
  fields: string;
}

/** journald stores a field that is not valid UTF-8 as an array of byte values. */
function journalText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) {
    return Buffer.from(value as number[]).toString('utf8');
  }
  return undefined;
}

function journalNumber(value: unknown): number | undefined {
  return typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : undefined;
}

function journalFields(entry: Record<string, unknown>): JournalFields {
  const realtime = journalNumber(entry.__REALTIME_TIMESTAMP);
  const fields = ['SIG', 'ARCH', 'SYSCALL', 'COMPAT', 'IP', 'CODE']
    .map((name) => {
      const value = entry[`_AUDIT_FIELD_${name}`];
      return typeof value === 'string' ? ` ${name.toLowerCase()}=${value}` : '';
    })
    .join('');
  return {
    // journald stamps an audit-transport entry with the record's own time (journald-audit.c).
    timestamp: realtime === undefined ? undefined : Math.round(realtime / 1000) / 1000,
    serial: journalNumber(entry._AUDIT_ID),
    pid: journalNumber(entry._PID),
    comm: journalText(entry._COMM),
    exe: journalText(entry._EXE),
    fields,
  };
}

/** Kernel messages that say audit records were dropped (kernel/audit.c audit_log_lost and callers). */
const LOSS_PHRASES = [
  'rate limit exceeded',
  'backlog limit exceeded',
  'hold queue overflow',
  'printk limit exceeded',
  'out of memory in audit_log_start',
  'auditd disappeared',
];

/** Per-line notices of one kind beyond this many are summed into one, so a flood cannot bury the rest. */
const NOTICES_PER_CODE = 100;

/** How many recent unmatched records are remembered to pair journald's copy with the kernel's. */
const PAIRING_WINDOW = 256;

/**
 * The kernel prints audit records itself only at printk's default rate: a burst of 10 per 5 s
 * (kauditd_printk_skb is ratelimited with DEFAULT_RATELIMIT_INTERVAL/BURST).
 */
const PRINTK_BURST = 10;
const PRINTK_INTERVAL_S = 5;

/** comm/exe strings kept for reuse: a log names few programs, over and over. */
const STRING_CACHE_SIZE = 4096;

export function createAuditParser(options: AuditParserOptions): AuditLineParser {
  const { file, host, onRecord, onNotice } = options;
  let records = 0;
  const legacy = { count: 0, firstLine: 0, compat: 0 };
  const unknownArches = new Map<string, { count: number; firstLine: number }>();
  const emitted = new Map<NoticeCode, number>();
  const withheld = { notices: 0, suppressed: 0 };
  let lostSinceBoot = 0;
  const strings = new Map<number, string>();
  // When the kernel printed records itself, the times of the last burst of them, and whether
  // journald's own copy of every record is there too.
  const printkTimes: number[] = [];
  let journalRecords = 0;

  // Without auditd the kernel prints each record and journald also receives it over netlink, so
  // journal output holds two copies; they are paired off by content, oldest first.
  const pending = [new Map<string, number>(), new Map<string, number>()];
  const pendingOrder: { side: number; key: string }[] = [];

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

  const unknownArch = (arch: string, line: number): void => {
    const seen = unknownArches.get(arch);
    if (seen) seen.count++;
    else unknownArches.set(arch, { count: 1, firstLine: line });
  };

  /** True when the same call was already counted from the other transport. */
  const isSecondCopy = (via: number, key: string): boolean => {
    const side = via === VIA_PRINTK ? 0 : 1;
    const other = pending[1 - side] as Map<string, number>;
    const waiting = other.get(key);
    if (waiting !== undefined) {
      if (waiting === 1) other.delete(key);
      else other.set(key, waiting - 1);
      return true;
    }
    const own = pending[side] as Map<string, number>;
    own.set(key, (own.get(key) ?? 0) + 1);
    pendingOrder.push({ side, key });
    const oldest = pendingOrder.length > PAIRING_WINDOW ? pendingOrder.shift() : undefined;
    if (oldest) {
      const map = pending[oldest.side] as Map<string, number>;
      const left = map.get(oldest.key) ?? 0;
      if (left <= 1) map.delete(oldest.key);
      else map.set(oldest.key, left - 1);
    }
    return false;
  };

  /**
   * The quoted comm/exe value whose opening quote is at `at`, from the cache when the same bytes
   * were seen before; finding the closing quote and hashing take one pass.
   */
  const quotedAt = (bytes: Buffer, at: number, end: number): string => {
    const start = at + 1;
    let hash = 0;
    let high = 0;
    let i = start;
    for (; i < end; i++) {
      const c = bytes[i] as number;
      if (c === QUOTE) break;
      hash = (Math.imul(hash, 31) + c) | 0;
      high |= c;
    }
    scanEnd = i < end ? i + 1 : end;
    if (high >= 0x80) return bytes.toString('utf8', start, i);
    const cached = strings.get(hash);
    if (cached !== undefined && cached.length === i - start) {
      let same = true;
      for (let k = 0; same && k < cached.length; k++) same = cached.charCodeAt(k) === bytes[start + k];
      if (same) return cached;
    }
    const value = latin1(bytes, start, i);
    if (strings.size >= STRING_CACHE_SIZE) strings.clear();
    strings.set(hash, value);
    return value;
  };

  /**
   * comm= and exe= values. The kernel quotes a value, or prints it as unquoted hex when it holds
   * spaces, quotes or control bytes (audit_log_untrustedstring); `ausearch -i` prints it decoded
   * and unquoted, spaces included, so there it runs up to the next field.
   */
  const stringAt = (
    bytes: Buffer,
    at: number,
    end: number,
    interpreted: boolean,
    nextField: number,
  ): string | undefined => {
    if (bytes[at] === QUOTE) return quotedAt(bytes, at, end);
    const valueEnd = interpreted && nextField >= 0 ? nextField : tokenEnd(bytes, at, end);
    scanEnd = valueEnd;
    if (valueEnd === at || (valueEnd - at === 6 && startsWithAt(bytes, at, '(null)'))) return undefined;
    if (!interpreted && isEvenHex(bytes, at, valueEnd)) {
      return Buffer.from(latin1(bytes, at, valueEnd), 'hex').toString('utf8');
    }
    return bytes.toString('utf8', at, valueEnd);
  };

  /**
   * The one reader of a SECCOMP record, in bytes [start, end) of one line. `typeAt` is where the
   * record type starts (after `type=`, or at `SECCOMP` in journald text); `journal` holds what a
   * journald entry says outside its MESSAGE.
   */
  const readRecord = (
    bytes: Buffer,
    start: number,
    end: number,
    line: number,
    typeAt: number,
    via: number,
    journal?: JournalFields,
  ): void => {
    let timestamp: number | undefined;
    let serial: number | undefined;
    let interpreted = false;
    let next = typeAt;
    const header = via === VIA_JOURNAL ? -1 : indexOfAt(bytes, typeAt, end, 'audit(');
    if (header >= 0) {
      const stampAt = header + 6;
      const seconds = digitsAt(bytes, stampAt, end);
      if (seconds !== undefined && bytes[scanEnd] === DOT) {
        const millisAt = scanEnd + 1;
        const millis = digitsAt(bytes, millisAt, end) ?? 0;
        timestamp = seconds + millis / (DECIMAL_SCALE[scanEnd - millisAt] ?? 10 ** (scanEnd - millisAt));
        if (bytes[scanEnd] === COLON) serial = digitsAt(bytes, scanEnd + 1, end);
        next = scanEnd;
      } else {
        const stamp = INTERPRETED_STAMP.exec(latin1(bytes, stampAt, Math.min(stampAt + 40, end)));
        if (!stamp) {
          unreadable(line, 'no audit(time:serial) header');
          return;
        }
        interpreted = true;
        timestamp = interpretedTimestamp(stamp);
        serial = Number(stamp[8]);
        next = stampAt + stamp[0].length;
      }
    } else if (via !== VIA_JOURNAL) {
      unreadable(line, 'no audit(time:serial) header');
      return;
    } else if (journal) {
      timestamp = journal.timestamp;
      serial = journal.serial;
    } else if (typeAt > start) {
      timestamp = syslogTimestamp(latin1(bytes, start, typeAt));
    }

    // Fields are looked up in the order the kernel prints them, each after the previous one, so
    // nothing in subj= (which may hold spaces, parentheses and '=') is taken for a field. Raw
    // values end at a space; `ausearch -i` values may hold spaces and end where the next key is.
    let pid: number | undefined;
    const pidAt = indexOfAt(bytes, next, end, ' pid=');
    if (pidAt >= 0) {
      pid = digitsAt(bytes, pidAt + 5, end);
      next = scanEnd;
    }
    let comm: string | undefined;
    const commAt = fieldAt(bytes, ' comm=', next, end);
    if (commAt >= 0) {
      next = commAt + 6;
      if (!interpreted) {
        comm = stringAt(bytes, next, end, false, -1);
        next = scanEnd;
      }
    }
    let exe: string | undefined;
    const exeAt = fieldAt(bytes, ' exe=', next, end);
    if (exeAt >= 0) {
      next = exeAt + 5;
      if (!interpreted) {
        exe = stringAt(bytes, next, end, false, -1);
        next = scanEnd;
      }
    }
    if (via === VIA_LEGACY) {
      const reasonAt = fieldAt(bytes, ' reason=', next, end);
      if (reasonAt < 0) return;
      next = reasonAt + 8;
      if (!startsWithAt(bytes, next, '"seccomp"') && !startsWithAt(bytes, next, 'seccomp ')) return;
    }
    const sigAt = fieldAt(bytes, ' sig=', next, end);
    let sig: number | undefined;
    if (sigAt >= 0) {
      sig = digitsAt(bytes, sigAt + 5, end);
      next = scanEnd;
    }
    let archCode: number | undefined;
    const archAt = via === VIA_LEGACY ? -1 : fieldAt(bytes, ' arch=', next, end);
    if (archAt >= 0) {
      archCode = hexAt(bytes, archAt + 6, end);
      next = scanEnd;
    }
    let syscall: string | number | undefined;
    const syscallAt = fieldAt(bytes, ' syscall=', next, end);
    if (syscallAt >= 0) {
      syscall = signedAt(bytes, syscallAt + 9, end);
      next = scanEnd;
    }
    const compatAt = fieldAt(bytes, ' compat=', next, end);
    if (compatAt >= 0) next = compatAt + 9;
    let ip = '';
    if (via === VIA_PRINTK || via === VIA_JOURNAL) {
      const ipAt = fieldAt(bytes, ' ip=', next, end);
      if (ipAt >= 0) {
        ip = latin1(bytes, ipAt + 4, tokenEnd(bytes, ipAt + 4, end));
        next = scanEnd;
      }
    }
    const codeAt = fieldAt(bytes, ' code=', next, end);

    if (interpreted) {
      const afterComm = exeAt >= 0 ? exeAt : sigAt >= 0 ? sigAt : archAt;
      if (commAt >= 0) comm = stringAt(bytes, commAt + 6, end, true, afterComm);
      if (exeAt >= 0) exe = stringAt(bytes, exeAt + 5, end, true, sigAt);
    }
    if (journal) {
      pid ??= journal.pid;
      comm ??= journal.comm;
      exe ??= journal.exe;
    }

    // syscall=: a number, or in `ausearch -i` a name or unknown-syscall(N).
    if (syscall === undefined) {
      if (syscallAt < 0) {
        unreadable(line, 'no syscall= field');
        return;
      }
      const name = latin1(bytes, syscallAt + 9, tokenEnd(bytes, syscallAt + 9, end));
      syscall = name.startsWith('unknown-syscall(') ? Number.parseInt(name.slice(16), 10) : name;
      if (Number.isNaN(syscall) || syscall === '') {
        unreadable(line, `syscall=${name}`);
        return;
      }
    }
    const number = typeof syscall === 'number' ? syscall : undefined;
    const compat = compatAt < 0 ? undefined : bytes[compatAt + 8] === 0x31;

    // arch=: hex AUDIT_ARCH, or in `ausearch -i` the machine name; legacy records have none.
    let abi: Abi | undefined;
    let assumedAbi: boolean | undefined;
    if (via === VIA_LEGACY) {
      const caller = compat ? (abisOfHost(host)[1] ?? host) : host;
      abi = abiFromAuditArch(abiInfo(caller).auditArch, number ?? 0) ?? caller;
      assumedAbi = true;
      if (legacy.count === 0) legacy.firstLine = line;
      legacy.count++;
      if (compat) legacy.compat++;
    } else if (archAt < 0) {
      unreadable(line, 'no arch= field');
      return;
    } else {
      abi =
        archCode !== undefined
          ? abiFromAuditArch(archCode, number ?? 0)
          : abiFromInterpretedArch(latin1(bytes, archAt + 6, tokenEnd(bytes, archAt + 6, end)), number);
      if (abi === undefined) {
        unknownArch(latin1(bytes, archAt + 6, tokenEnd(bytes, archAt + 6, end)), line);
        return;
      }
    }

    // `ausearch -i` names are audit-userspace's, some differ from libseccomp's (x86_64 pread: pread64).
    if (typeof syscall === 'string') syscall = libseccompNameOfAuditName(abi, syscall);

    // code=: hex filter return, or in `ausearch -i` an action name.
    let action: SeccompAction = 'unknown';
    if (codeAt >= 0) {
      const codeStart = codeAt + 6;
      const code = startsWithAt(bytes, codeStart, '0x') ? hexAt(bytes, codeStart + 2, end) : undefined;
      if (code !== undefined) {
        action = seccompAction(code);
      } else {
        const name = latin1(bytes, codeStart, tokenEnd(bytes, codeStart, end));
        const unknown = /^unknown-seccomp-code\(0x([0-9a-f]{1,8})\)$/.exec(name);
        action = unknown?.[1]
          ? seccompAction(Number.parseInt(unknown[1], 16))
          : (INTERPRETED_ACTIONS[name] ?? 'unknown');
      }
    }

    if (sig === undefined && sigAt >= 0) {
      sig = signalNumber(latin1(bytes, sigAt + 5, tokenEnd(bytes, sigAt + 5, end)), abi);
    }

    if (
      (via === VIA_PRINTK || via === VIA_JOURNAL) &&
      isSecondCopy(via, `${abi} ${syscall} ${pid} ${ip} ${action}`)
    ) {
      return;
    }

    if (via === VIA_PRINTK && timestamp !== undefined) {
      if (printkTimes.length === PRINTK_BURST) printkTimes.shift();
      printkTimes.push(timestamp);
    } else if (via === VIA_JOURNAL) {
      journalRecords++;
    }
    records++;
    onRecord({ line, timestamp, serial, pid, comm, exe, abi, syscall, action, sig, compat, assumedAbi });
  };

  const lost = (line: number, message: string, count?: number, timestamp?: number): void =>
    notice('lost-records', message, line, count, timestamp);

  /** Kernel messages about audit records it dropped; these lines are never records themselves. */
  /** `at`: when the kernel said it (epoch seconds), so a time window can leave out older losses. */
  const readLoss = (text: string, line: number, at = syslogTimestamp(text)): void => {
    const suppressed = text.indexOf(' callbacks suppressed');
    if (suppressed >= 0) {
      // "<function>: N callbacks suppressed" from printk_ratelimit; only audit's own functions count.
      const colon = text.lastIndexOf(': ', suppressed);
      const fn = colon < 0 ? '' : text.slice(text.lastIndexOf(' ', colon - 1) + 1, colon);
      const count = Number(text.slice(colon + 2, suppressed));
      if (fn.includes('audit') && Number.isInteger(count)) {
        lost(
          line,
          `the kernel suppressed ${count} audit message(s) (${fn}: printk rate limit): ` +
            `at least ${count} record(s) are missing from this log`,
          count,
          at,
        );
      }
      return;
    }
    const prefix = text.indexOf('audit: ');
    if (prefix < 0) return;
    const rest = text.slice(prefix + 7).trim();
    const lostCount = /^audit_lost=(\d+)/.exec(rest);
    if (lostCount?.[1]) {
      const count = Number(lostCount[1]);
      // audit_lost counts since boot and is repeated with each later loss: the news is its growth
      // (all of it the first time, or after a reboot reset it).
      if (count === lostSinceBoot) return;
      const added = count > lostSinceBoot ? count - lostSinceBoot : count;
      lostSinceBoot = count;
      lost(
        line,
        `the kernel reports audit_lost=${count} (records it dropped since boot, at its backlog or rate limit): ` +
          `${added} more record(s) missing`,
        added,
        at,
      );
      return;
    }
    if (rest.startsWith('audit_backlog=') || LOSS_PHRASES.some((phrase) => rest.includes(phrase))) {
      lost(line, `the kernel dropped audit records: "${rest}"`, undefined, at);
    }
  };

  const readJournalEntry = (bytes: Buffer, start: number, end: number, line: number): void => {
    if (indexOfAt(bytes, start, end, 'SECCOMP') < 0 && indexOfAt(bytes, start, end, 'audit') < 0) return;
    let entry: unknown;
    try {
      entry = JSON.parse(bytes.toString('utf8', start, end));
    } catch {
      if (indexOfAt(bytes, start, end, 'SECCOMP') >= 0) {
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
    const typeKey = startsWithAt(bytes, start, 'type=') ? start : indexOfAt(bytes, start, end, ' type=');
    if (typeKey >= 0) {
      const typeAt = typeKey + (bytes[typeKey] === SPACE ? 6 : 5);
      for (const { token, via } of SECCOMP_TYPES) {
        if (!startsWithAt(bytes, typeAt, token)) continue;
        // printk writes "type=1326 audit(…)"; auditd and its relays write "msg=audit(…)".
        const printk = via === VIA_AUDITD && startsWithAt(bytes, typeAt + token.length, 'audit(');
        readRecord(bytes, start, end, line, typeAt, printk ? VIA_PRINTK : via);
        return;
      }
      return;
    }
    // journald short output of the audit transport: "audit[7053]: SECCOMP auid=…".
    const journal = indexOfAt(bytes, start, end, ': SECCOMP ');
    if (journal >= 0) {
      readRecord(bytes, start, end, line, journal + 2, VIA_JOURNAL);
      return;
    }
    if (indexOfAt(bytes, start, end, 'audit') >= 0) {
      const text = bytes.toString('utf8', start, end);
      readLoss(text, line, at ?? syslogTimestamp(text));
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
    finish(): void {
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
    },
  };
}

/**
 * Feeds an audit stream to `parser` like `feedLines` does, but splits Buffers itself and hands the
 * parser each line's bytes in place: no string per line, which at hundreds of MB is most of
 * split2's run time. Rejects with an InputError on a NUL byte, an over-long line or a read error.
 */
export function feedAuditLines(input: Readable, source: string, parser: AuditLineParser): Promise<void> {
  return new Promise((resolve, reject) => {
    let lineNumber = 0;
    let failed = false;
    let carry: Buffer | undefined;

    const fail = (error: unknown): void => {
      if (failed) return;
      failed = true;
      input.destroy();
      reject(error);
    };

    /** The lines in [start, end) of `bytes`; `end` is where the last of them ends. */
    const scan = (bytes: Buffer, start: number, end: number): void => {
      let at = start;
      while (at < end) {
        let lineEnd = bytes.indexOf(10, at);
        if (lineEnd < 0 || lineEnd > end) lineEnd = end;
        lineNumber++;
        const last = lineEnd > at && bytes[lineEnd - 1] === 0x0d ? lineEnd - 1 : lineEnd;
        parser.pushBytes(bytes, at, last, lineNumber);
        at = lineEnd + 1;
      }
    };

    const take = (data: Buffer | string): void => {
      const chunk = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      const nul = chunk.indexOf(0);
      if (nul >= 0) {
        let line = lineNumber + 1;
        for (let i = chunk.indexOf(10); i >= 0 && i < nul; i = chunk.indexOf(10, i + 1)) line++;
        throw new InputError(source, line, 'binary data (NUL byte): this is not a text log or trace');
      }
      const firstNewline = chunk.indexOf(10);
      if (firstNewline < 0) {
        carry = carry ? Buffer.concat([carry, chunk]) : chunk;
        if (carry.length > MAX_LINE_BYTES) {
          throw new InputError(
            source,
            lineNumber + 1,
            `a line longer than ${MAX_LINE_BYTES} bytes: this is not a text log or trace`,
          );
        }
        return;
      }
      const lastNewline = chunk.lastIndexOf(10);
      if (carry) {
        const joined = Buffer.concat([carry, chunk.subarray(0, firstNewline)]);
        carry = undefined;
        scan(joined, 0, joined.length);
        scan(chunk, firstNewline + 1, lastNewline);
      } else {
        scan(chunk, 0, lastNewline);
      }
      carry = lastNewline + 1 < chunk.length ? chunk.subarray(lastNewline + 1) : undefined;
    };

    // Chunks are parsed a turn of the event loop after they arrive, so that the stream has already
    // asked for the next one: reading (on libuv's thread pool) then overlaps parsing. At most two
    // chunks wait; beyond that the stream is paused.
    const queue: (Buffer | string)[] = [];
    let ended = false;
    let scheduled = false;
    const drain = (): void => {
      scheduled = false;
      if (failed) return;
      try {
        for (let chunk = queue.shift(); chunk !== undefined; chunk = queue.shift()) take(chunk);
        if (ended) {
          if (carry && carry.length > 0) scan(carry, 0, carry.length);
          parser.finish();
          resolve();
        } else if (input.isPaused()) {
          input.resume();
        }
      } catch (error) {
        fail(error);
      }
    };
    const schedule = (): void => {
      if (scheduled) return;
      scheduled = true;
      setImmediate(drain);
    };

    input.on('data', (data: Buffer | string) => {
      if (failed) return;
      queue.push(data);
      if (queue.length > 1) input.pause();
      schedule();
    });
    input.on('error', (error: Error) =>
      fail(new InputError(source, undefined, `cannot read: ${error.message}`)),
    );
    input.on('end', () => {
      ended = true;
      schedule();
    });
  });
}

export interface AuditStatus {
  lost: number;
  backlog?: number;
  backlogLimit?: number;
  enabled?: number;
}

/**
 * Reads `auditctl -s`: one `name value` per line (audit 2.3 and later), or the older single
 * `AUDIT_STATUS: enabled=1 … lost=0 backlog=0` line.
 */
export function parseAuditStatus(text: string): AuditStatus {
  const value = (name: string): number | undefined => {
    const match = new RegExp(`(?:^|[\\s:])${name}[ =](\\d+)`, 'm').exec(text);
    return match?.[1] === undefined ? undefined : Number(match[1]);
  };
  const lost = value('lost');
  if (lost === undefined) {
    throw new InputError(
      'auditctl -s output',
      undefined,
      'no "lost" value: this is not what `auditctl -s` prints',
    );
  }
  const status: AuditStatus = { lost };
  const backlog = value('backlog');
  if (backlog !== undefined) status.backlog = backlog;
  const backlogLimit = value('backlog_limit');
  if (backlogLimit !== undefined) status.backlogLimit = backlogLimit;
  const enabled = value('enabled');
  if (enabled !== undefined) status.enabled = enabled;
  return status;
}
