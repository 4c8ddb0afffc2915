import { isAscii } from 'node:buffer';
import type { Readable } from 'node:stream';
import { InputError } from '../src/errors.js';
import {
  type Abi,
  abiFromAuditArch,
  abiFromInterpretedArch,
  abiInfo,
  abisOfHost,
} from '../src/syscalls/abi.js';
import type { LineParser, NoticeCode, ParseNotice } from './observation.js';
import { MAX_LINE_BYTES } from './read-lines.js';

/**
 * Reads Linux SECCOMP audit records (type 1326, and the pre-3.x `type=1701 … reason="seccomp"`) in
 * every form they reach users: auditd's audit.log (raw and ENRICHED), `ausearch -i`, dmesg and
 * /dev/kmsg, syslog/audisp, journald short and JSON output. Sources: FACTS.md §7 and the kernel's
 * kernel/auditsc.c, kernel/audit.c, include/uapi/linux/seccomp.h.
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
  /**
   * comm/exe as the kernel saw them (hex-encoded values decoded). Long values can share memory with
   * the chunk of input they came from, so copy them before keeping many for long.
   */
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

/** A LineParser for audit input; only such a parser may be fed through `feedAuditLines`. */
export interface AuditLineParser extends LineParser {
  readonly reads: 'seccomp-audit';
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
const NOT_SECCOMP = -1;

/**
 * The record types read, as printed after `type=`: by name, by number (the kernel's printk, and
 * auditd builds that predate the SECCOMP name), and the legacy ANOM_ABEND that older kernels wrote
 * with reason="seccomp". Both readLine and the stream's pre-filter decide from this one list.
 */
const SECCOMP_TYPES: readonly { token: string; via: number }[] = [
  { token: 'SECCOMP ', via: VIA_AUDITD },
  { token: '1326 ', via: VIA_AUDITD },
  { token: 'UNKNOWN[1326] ', via: VIA_AUDITD },
  { token: '1701 ', via: VIA_LEGACY },
  { token: 'ANOM_ABEND ', via: VIA_LEGACY },
];

function recordTypeAt(text: string, at: number): number {
  for (const { token, via } of SECCOMP_TYPES) {
    if (!text.startsWith(token, at)) continue;
    // printk writes "type=1326 audit(…)"; auditd and its relays write "msg=audit(…)".
    return via === VIA_AUDITD && text.startsWith('audit(', at + token.length) ? VIA_PRINTK : via;
  }
  return NOT_SECCOMP;
}

function bytesStartWith(bytes: Uint8Array, at: number, word: string): boolean {
  for (let i = 0; i < word.length; i++) if (bytes[at + i] !== word.charCodeAt(i)) return false;
  return true;
}

/** A line that names a record type other than those read: no need to turn it into a string. */
function isOtherRecordType(bytes: Uint8Array, at: number): boolean {
  if (!bytesStartWith(bytes, at, 'type=')) return false;
  for (const { token } of SECCOMP_TYPES) if (bytesStartWith(bytes, at + 5, token)) return false;
  return true;
}

/** Where the record type after the line's first `type=` starts, or -1. */
function typeTokenAt(text: string): number {
  if (text.startsWith('type=')) return 5;
  const at = text.indexOf(' type=');
  return at < 0 ? -1 : at + 6;
}

const SPACE = 0x20;
const QUOTE = 0x22;
const GROUP_SEPARATOR = 0x1d;

/** Divisors for a fraction of 0..3 digits (the kernel prints milliseconds as %03lu). */
const DECIMAL_SCALE = [1, 10, 100, 1000];

/** End of the last number scanned; saves allocating a result per field. */
let scanEnd = 0;

function decimalAt(text: string, at: number): number | undefined {
  let i = at;
  let negative = false;
  if (text.charCodeAt(i) === 0x2d) {
    negative = true;
    i++;
  }
  let value = 0;
  const start = i;
  for (let c = text.charCodeAt(i); c >= 0x30 && c <= 0x39; c = text.charCodeAt(++i))
    value = value * 10 + c - 0x30;
  scanEnd = i;
  if (i === start) return undefined;
  return negative ? -value : value;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** A hex number of at most `maxDigits` digits that the value's end follows; undefined if it is a name. */
function hexAt(text: string, at: number, maxDigits: number, end = text.length): number | undefined {
  let value = 0;
  let i = at;
  const last = Math.min(at + maxDigits, end);
  for (; i < last; i++) {
    const digit = hexDigit(text.charCodeAt(i));
    if (digit < 0) break;
    value = value * 16 + digit;
  }
  scanEnd = i;
  if (i === at) return undefined;
  const next = text.charCodeAt(i);
  return i >= end || next === SPACE || next === GROUP_SEPARATOR || Number.isNaN(next) ? value : undefined;
}

/** The value that starts at `at` and ends at the next space (or the enriched separator). */
function tokenAt(text: string, at: number): string {
  let i = at;
  for (
    let c = text.charCodeAt(i);
    c !== SPACE && c !== GROUP_SEPARATOR && !Number.isNaN(c);
    c = text.charCodeAt(++i)
  );
  scanEnd = i;
  return text.slice(at, i);
}

/**
 * Where `key` (" name=") is, at or after `from`. It is first looked for right at `from`, where the
 * kernel's fixed layout puts it; the name's first and third characters and the '=' tell every key
 * read here from the others, for less than a builtin startsWith call costs.
 */
function fieldAt(text: string, key: string, from: number): number {
  const last = key.length - 1;
  if (
    text.charCodeAt(from + last) === 0x3d &&
    text.charCodeAt(from + 1) === key.charCodeAt(1) &&
    text.charCodeAt(from + 3) === key.charCodeAt(3) &&
    text.charCodeAt(from) === SPACE
  ) {
    return from;
  }
  return text.indexOf(key, from);
}

function isEvenHex(text: string): boolean {
  if (text.length === 0 || text.length % 2 !== 0) return false;
  for (let i = 0; i < text.length; i++) if (hexDigit(text.charCodeAt(i)) < 0) return false;
  return true;
}

/**
 * comm= and exe= values. The kernel quotes a value, or prints it as unquoted hex when it holds
 * spaces, quotes or control bytes (audit_log_untrustedstring); `ausearch -i` prints it decoded and
 * unquoted, spaces included, so there it runs up to the next field (`interpretedEnd`).
 */
function stringAt(text: string, at: number, interpreted: boolean, nextField: number): string | undefined {
  if (text.charCodeAt(at) === QUOTE) {
    const close = text.indexOf('"', at + 1);
    scanEnd = close < 0 ? text.length : close + 1;
    return text.slice(at + 1, close < 0 ? text.length : close);
  }
  const raw = interpreted && nextField >= 0 ? text.slice(at, nextField) : tokenAt(text, at);
  if (raw === '(null)' || raw === '') return undefined;
  if (!interpreted && isEvenHex(raw)) return Buffer.from(raw, 'hex').toString('utf8');
  return raw;
}

/** `sig=` in `ausearch -i` output; seccomp only ever sends SIGSYS, which is 12 on MIPS and PA-RISC. */
function signalNumber(name: string, abi: Abi): number | undefined {
  if (name === 'SIG0') return 0;
  if (name !== 'SIGSYS') return undefined;
  return abi.startsWith('mips') || abi.startsWith('parisc') ? 12 : 31;
}

const INTERPRETED_STAMP = /^(\d\d)\/(\d\d)\/(\d\d(?:\d\d)?) (\d\d):(\d\d):(\d\d)\.(\d{3}):(\d+)\)/;

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
      iso[2] === undefined ? '' : iso[2].length === 5 ? `${iso[2].slice(0, 3)}:${iso[2].slice(3)}` : iso[2];
    const ms = Date.parse(`${iso[1]}${zone}`);
    return Number.isNaN(ms) ? undefined : Math.round(ms) / 1000;
  }
  const bsd = SYSLOG_BSD.exec(line);
  if (!bsd?.[1] || !bsd[2]) return undefined;
  const month = MONTHS.indexOf(bsd[1]) / 3;
  if (!Number.isInteger(month)) return undefined;
  const ms = Math.round(Number(bsd[6] ?? 0) * 1000);
  const at = (year: number): number =>
    new Date(year, month, Number(bsd[2]), Number(bsd[3]), Number(bsd[4]), Number(bsd[5]), ms).getTime();
  // RFC 3164 dates carry no year: take the latest one that is not in the future, as journalctl and rsyslog do.
  const now = Date.now();
  const thisYear = new Date(now).getFullYear();
  const time = at(thisYear) > now + 86_400_000 ? at(thisYear - 1) : at(thisYear);
  return time / 1000;
}

/** `journalctl -o json` fields that stand in for what a MESSAGE lacks. */
interface JournalFields {
  timestamp?: number;
  serial?: number;
  pid?: number;
  comm?: string;
  exe?: string;
  arch?: string;
  syscall?: string;
  code?: string;
  sig?: string;
  compat?: string;
  ip?: string;
}

function journalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
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
  const text = journalString(value);
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  return Number(text);
}

function journalFields(entry: Record<string, unknown>): JournalFields {
  const realtime = journalNumber(entry.__REALTIME_TIMESTAMP);
  return {
    timestamp: realtime === undefined ? undefined : Math.round(realtime / 1000) / 1000,
    serial: journalNumber(entry._AUDIT_ID),
    pid: journalNumber(entry._PID),
    comm: journalText(entry._COMM),
    exe: journalText(entry._EXE),
    arch: journalString(entry._AUDIT_FIELD_ARCH),
    syscall: journalString(entry._AUDIT_FIELD_SYSCALL),
    code: journalString(entry._AUDIT_FIELD_CODE),
    sig: journalString(entry._AUDIT_FIELD_SIG),
    compat: journalString(entry._AUDIT_FIELD_COMPAT),
    ip: journalString(entry._AUDIT_FIELD_IP),
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

export function createAuditParser(options: AuditParserOptions): AuditLineParser {
  const { file, host, onRecord, onNotice } = options;
  let records = 0;
  const legacy = { count: 0, firstLine: 0, compat: 0 };
  const unknownArches = new Map<string, { count: number; firstLine: number }>();
  const emitted = new Map<NoticeCode, number>();
  const withheld = { notices: 0, suppressed: 0 };
  let lostSinceBoot = 0;

  // Without auditd the kernel prints each record and journald also receives it over netlink, so
  // journal output holds two copies; they are paired off by content, oldest first.
  const pending = [new Map<string, number>(), new Map<string, number>()];
  const pendingOrder: { via: number; key: string }[] = [];

  const notice = (code: NoticeCode, message: string, line: number, count?: number): void => {
    const sent = emitted.get(code) ?? 0;
    if (sent >= NOTICES_PER_CODE) {
      withheld.notices++;
      if (code === 'lost-records' && count !== undefined) withheld.suppressed += count;
      return;
    }
    emitted.set(code, sent + 1);
    onNotice(count === undefined ? { code, message, file, line } : { code, message, file, line, count });
  };

  const unknownArch = (arch: string, line: number): void => {
    const seen = unknownArches.get(arch);
    if (seen) seen.count++;
    else unknownArches.set(arch, { count: 1, firstLine: line });
  };

  const unreadable = (line: number, problem: string): void =>
    notice(
      'unreadable-line',
      `a SECCOMP record that cannot be read (${problem}): its system call is not counted`,
      line,
    );

  /** True when the same call was already counted from the other transport. */
  const isSecondCopy = (via: number, key: string): boolean => {
    const mine = via === VIA_PRINTK ? 0 : 1;
    const other = pending[1 - mine] as Map<string, number>;
    const waiting = other.get(key);
    if (waiting !== undefined) {
      if (waiting === 1) other.delete(key);
      else other.set(key, waiting - 1);
      return true;
    }
    const own = pending[mine] as Map<string, number>;
    own.set(key, (own.get(key) ?? 0) + 1);
    pendingOrder.push({ via: mine, key });
    if (pendingOrder.length > PAIRING_WINDOW) {
      const oldest = pendingOrder.shift();
      const map = oldest && pending[oldest.via];
      const left = oldest && map?.get(oldest.key);
      if (oldest && map && left !== undefined) {
        if (left <= 1) map.delete(oldest.key);
        else map.set(oldest.key, left - 1);
      }
    }
    return false;
  };

  /**
   * The one reader of a SECCOMP record's fields. `from` is where the record type starts (after
   * `type=`, or at `SECCOMP` in journald text); `journal` supplies fields a journald entry
   * carries outside its MESSAGE.
   */
  const readRecord = (
    text: string,
    line: number,
    from: number,
    via: number,
    journal?: JournalFields,
  ): void => {
    let timestamp: number | undefined;
    let serial: number | undefined;
    let interpreted = false;
    let body = from;
    const header = via === VIA_JOURNAL ? -1 : text.indexOf('audit(', from);
    if (header >= 0) {
      const stampAt = header + 6;
      const seconds = decimalAt(text, stampAt);
      if (seconds !== undefined && text.charCodeAt(scanEnd) === 0x2e) {
        const millisAt = scanEnd + 1;
        const millis = decimalAt(text, millisAt) ?? 0;
        timestamp = seconds + millis / (DECIMAL_SCALE[scanEnd - millisAt] ?? 10 ** (scanEnd - millisAt));
        if (text.charCodeAt(scanEnd) === 0x3a) serial = decimalAt(text, scanEnd + 1);
        body = scanEnd;
      } else {
        const stamp = INTERPRETED_STAMP.exec(text.slice(stampAt, stampAt + 40));
        if (!stamp) {
          unreadable(line, 'no audit(time:serial) header');
          return;
        }
        interpreted = true;
        // ausearch prints local time with strftime's %x, whose year has two digits in the C locale.
        const [month, day, year, hours, minutes, secs, millis, id] = stamp.slice(1).map(Number) as [
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
        ];
        const fullYear = year < 100 ? 2000 + year : year;
        timestamp = new Date(fullYear, month - 1, day, hours, minutes, secs, millis).getTime() / 1000;
        serial = id;
        body = stampAt + stamp[0].length;
      }
    } else if (via !== VIA_JOURNAL) {
      unreadable(line, 'no audit(time:serial) header');
      return;
    } else if (journal) {
      timestamp = journal.timestamp;
      serial = journal.serial;
    } else if (from > 0) {
      timestamp = syslogTimestamp(text);
    }

    // Fields are looked up in the order the kernel prints them, each after the previous one, so
    // nothing in subj= (which may hold spaces, parentheses and '=') is taken for a field. In raw
    // records each key is expected right where the previous value ends; `ausearch -i` values may
    // hold spaces, so there the next key is searched for from the value's start.
    let next = body;
    let pid: number | undefined;
    const pidAt = text.indexOf(' pid=', next);
    if (pidAt >= 0) {
      pid = decimalAt(text, pidAt + 5);
      next = scanEnd;
    }
    let comm: string | undefined;
    const commAt = fieldAt(text, ' comm=', next);
    if (commAt >= 0) {
      next = commAt + 6;
      if (!interpreted) {
        comm = stringAt(text, next, false, -1);
        next = scanEnd;
      }
    }
    let exe: string | undefined;
    const exeAt = fieldAt(text, ' exe=', next);
    if (exeAt >= 0) {
      next = exeAt + 5;
      if (!interpreted) {
        exe = stringAt(text, next, false, -1);
        next = scanEnd;
      }
    }
    if (via === VIA_LEGACY) {
      const reasonAt = fieldAt(text, ' reason=', next);
      if (reasonAt < 0) return;
      next = reasonAt + 8;
      if (!text.startsWith('"seccomp"', next) && !text.startsWith('seccomp ', next)) return;
    }
    const sigAt = fieldAt(text, ' sig=', next);
    let sig: number | undefined;
    if (sigAt >= 0) {
      sig = decimalAt(text, sigAt + 5);
      next = scanEnd;
    }
    let archCode: number | undefined;
    const archAt = via === VIA_LEGACY ? -1 : fieldAt(text, ' arch=', next);
    if (archAt >= 0) {
      archCode = hexAt(text, archAt + 6, 8);
      next = scanEnd;
    }
    let syscall: string | number | undefined;
    const syscallAt = fieldAt(text, ' syscall=', next);
    if (syscallAt >= 0) {
      syscall = decimalAt(text, syscallAt + 9);
      next = scanEnd;
    }
    const compatAt = fieldAt(text, ' compat=', next);
    if (compatAt >= 0) next = compatAt + 9;
    let ip: string | undefined;
    if (via === VIA_PRINTK || via === VIA_JOURNAL) {
      const ipAt = fieldAt(text, ' ip=', next);
      if (ipAt >= 0) {
        ip = tokenAt(text, ipAt + 4);
        next = scanEnd;
      }
    }
    const codeAt = fieldAt(text, ' code=', next);

    if (interpreted) {
      if (commAt >= 0)
        comm = stringAt(text, commAt + 6, true, exeAt >= 0 ? exeAt : sigAt >= 0 ? sigAt : archAt);
      if (exeAt >= 0) exe = stringAt(text, exeAt + 5, true, sigAt);
    }
    if (journal) {
      pid ??= journal.pid;
      comm ??= journal.comm;
      exe ??= journal.exe;
      ip ??= journal.ip;
    }

    // syscall=: a number, or in `ausearch -i` a name or unknown-syscall(N).
    if (syscall === undefined) {
      const syscallText = syscallAt >= 0 ? text : journal?.syscall;
      if (syscallText === undefined) {
        unreadable(line, 'no syscall= field');
        return;
      }
      const syscallStart = syscallAt >= 0 ? syscallAt + 9 : 0;
      syscall = decimalAt(syscallText, syscallStart);
      if (syscall === undefined) {
        const name = tokenAt(syscallText, syscallStart);
        syscall = name.startsWith('unknown-syscall(') ? Number.parseInt(name.slice(16), 10) : name;
        if (Number.isNaN(syscall) || syscall === '') {
          unreadable(line, 'syscall= is empty');
          return;
        }
      }
    }
    const number = typeof syscall === 'number' ? syscall : undefined;

    const compatText = compatAt >= 0 ? text.charCodeAt(compatAt + 8) : journal?.compat?.charCodeAt(0);
    const compat = compatText === 0x31 ? true : compatText === 0x30 ? false : undefined;

    // arch=: hex AUDIT_ARCH, or in `ausearch -i` the machine name; legacy records have none.
    let abi: Abi | undefined;
    let assumedAbi: boolean | undefined;
    if (via === VIA_LEGACY) {
      const personalities = abisOfHost(host);
      const caller = compat ? (personalities[1] ?? host) : host;
      abi = abiFromAuditArch(abiInfo(caller).auditArch, number ?? 0) ?? caller;
      assumedAbi = true;
      if (legacy.count === 0) legacy.firstLine = line;
      legacy.count++;
      if (compat) legacy.compat++;
    } else if (archCode !== undefined) {
      abi = abiFromAuditArch(archCode, number ?? 0);
      if (abi === undefined) {
        unknownArch(tokenAt(text, archAt + 6), line);
        return;
      }
    } else {
      const archText = archAt >= 0 ? text : journal?.arch;
      if (archText === undefined) {
        unreadable(line, 'no arch= field');
        return;
      }
      const archStart = archAt >= 0 ? archAt + 6 : 0;
      const code = hexAt(archText, archStart, 8);
      const arch = tokenAt(archText, archStart);
      abi = code !== undefined ? abiFromAuditArch(code, number ?? 0) : abiFromInterpretedArch(arch, number);
      if (abi === undefined) {
        unknownArch(arch, line);
        return;
      }
    }

    // code=: hex filter return, or in `ausearch -i` an action name.
    let action: SeccompAction = 'unknown';
    const codeText = codeAt >= 0 ? text : journal?.code;
    if (codeText !== undefined) {
      const codeStart = codeAt >= 0 ? codeAt + 6 : 0;
      if (codeText.startsWith('0x', codeStart)) {
        // ENRICHED logs may glue `AUID="…"` straight onto the hex digits: "code=0x7ffc0000AUID=".
        const enriched = codeText.indexOf('AUID=', codeStart);
        const end = enriched < 0 ? codeText.length : enriched;
        const value = hexAt(codeText, codeStart + 2, 8, end);
        if (value !== undefined) action = seccompAction(value);
      } else {
        const name = tokenAt(codeText, codeStart);
        if (name.startsWith('unknown-seccomp-code(0x')) {
          const value = hexAt(name, 23, 8, name.length - 1);
          if (value !== undefined) action = seccompAction(value);
        } else {
          action = INTERPRETED_ACTIONS[name] ?? 'unknown';
        }
      }
    }

    if (sig === undefined) {
      const sigText = sigAt >= 0 ? text : journal?.sig;
      if (sigText !== undefined) {
        const sigStart = sigAt >= 0 ? sigAt + 5 : 0;
        sig = decimalAt(sigText, sigStart) ?? signalNumber(tokenAt(sigText, sigStart), abi);
      }
    }

    if (
      (via === VIA_PRINTK || via === VIA_JOURNAL) &&
      isSecondCopy(via, `${abi} ${syscall} ${pid} ${ip} ${action}`)
    ) {
      return;
    }

    records++;
    onRecord({ line, timestamp, serial, pid, comm, exe, abi, syscall, action, sig, compat, assumedAbi });
  };

  const lost = (line: number, message: string, count?: number): void =>
    notice('lost-records', message, line, count);

  /** Kernel messages about audit records it dropped; these lines are never records themselves. */
  const readLoss = (text: string, line: number): void => {
    const suppressed = text.indexOf(' callbacks suppressed');
    if (suppressed >= 0) {
      // "<function>: N callbacks suppressed" from printk_ratelimit; only audit's own functions count.
      const colon = text.lastIndexOf(': ', suppressed);
      const fn = colon < 0 ? '' : text.slice(text.lastIndexOf(' ', colon - 1) + 1, colon);
      const count = decimalAt(text, colon + 2);
      if (fn.includes('audit') && count !== undefined) {
        lost(
          line,
          `the kernel suppressed ${count} audit message(s) (${fn}: printk rate limit): at least ${count} record(s) are missing from this log`,
          count,
        );
      }
      return;
    }
    const prefix = text.indexOf('audit: ');
    if (prefix < 0) return;
    const rest = prefix + 7;
    if (text.startsWith('audit_lost=', rest)) {
      const count = decimalAt(text, rest + 11);
      if (count === undefined) return;
      // audit_lost counts since boot and is repeated with each later loss: the news is its growth
      // (all of it the first time, or after a reboot reset it).
      if (count === lostSinceBoot) return;
      const added = count > lostSinceBoot ? count - lostSinceBoot : count;
      lostSinceBoot = count;
      lost(
        line,
        `the kernel reports audit_lost=${count} (records dropped since boot by its backlog or rate limit): ` +
          `${added} more record(s) missing`,
        added,
      );
      return;
    }
    if (text.startsWith('audit_backlog=', rest)) {
      lost(line, `the kernel's audit backlog overflowed (${tokenAt(text, rest)}): records were dropped`);
      return;
    }
    for (const phrase of LOSS_PHRASES) {
      if (text.indexOf(phrase, rest) >= 0) {
        lost(line, `the kernel dropped audit records: "${text.slice(rest).trim()}"`);
        return;
      }
    }
  };

  const readJournalEntry = (text: string, line: number): void => {
    if (!text.includes('SECCOMP') && !text.includes('audit')) return;
    let entry: unknown;
    try {
      entry = JSON.parse(text);
    } catch {
      if (text.includes('SECCOMP')) unreadable(line, 'a line that starts like journald JSON but is not JSON');
      return;
    }
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return;
    const fields = entry as Record<string, unknown>;
    const message = journalText(fields.MESSAGE);
    if (fields._AUDIT_TYPE_NAME === 'SECCOMP' || fields._AUDIT_TYPE === '1326') {
      if (
        fields.MESSAGE !== undefined &&
        message === undefined &&
        fields._AUDIT_FIELD_SYSCALL === undefined
      ) {
        unreadable(line, 'journald MESSAGE is neither text nor an array of bytes');
        return;
      }
      readRecord(message ?? '', line, 0, VIA_JOURNAL, journalFields(fields));
      return;
    }
    // Kernel transport: the printk text of a record or of a loss message.
    if (message !== undefined) readLine(message, line);
  };

  const readLine = (text: string, line: number): void => {
    if (text.charCodeAt(0) === 0x7b) {
      readJournalEntry(text, line);
      return;
    }
    const type = typeTokenAt(text);
    if (type >= 0) {
      const via = recordTypeAt(text, type);
      if (via !== NOT_SECCOMP) readRecord(text, line, type, via);
      return;
    }
    // journald short output of the audit transport: "audit[7053]: SECCOMP auid=…".
    const journal = text.indexOf(': SECCOMP ');
    if (journal >= 0) {
      readRecord(text, line, journal + 2, VIA_JOURNAL);
      return;
    }
    readLoss(text, line);
  };

  return {
    reads: 'seccomp-audit',
    push(line: string, lineNumber: number): void {
      readLine(line, lineNumber);
    },
    finish(): void {
      if (legacy.count > 0) {
        const compat =
          legacy.compat > 0 ? ` (${legacy.compat} with compat=1: ${abisOfHost(host)[1] ?? host})` : '';
        onNotice({
          code: 'assumed-abi',
          message: `${legacy.count} legacy type=1701 seccomp record(s) have no arch= field: assumed they came from the host ABI ${host}${compat}`,
          file,
          line: legacy.firstLine,
          abi: host,
          count: legacy.count,
        });
      }
      for (const [arch, { count, firstLine }] of unknownArches) {
        onNotice({
          code: 'unknown-syscall',
          message: `${count} record(s) with arch=${arch}, an architecture seccomp-learn does not know: their system calls are not counted`,
          file,
          line: firstLine,
          count,
        });
      }
      if (withheld.notices > 0) {
        onNotice({
          code: 'lost-records',
          message: `${withheld.notices} further notice(s) about lost or unreadable records were not listed one by one${
            withheld.suppressed > 0
              ? `; they account for at least ${withheld.suppressed} more missing record(s)`
              : ''
          }`,
          file,
          ...(withheld.suppressed > 0 ? { count: withheld.suppressed } : {}),
        });
      }
      if (records === 0) {
        throw new InputError(
          file,
          undefined,
          'no SECCOMP audit records (type=1326) in this input: were the calls logged (defaultAction SCMP_ACT_LOG), ' +
            'and is this the audit log, dmesg or journal of the run?',
        );
      }
    },
  };
}

/**
 * Feeds an audit stream to `parser` like `feedLines` does, but splits Buffers itself and turns
 * only lines that can hold a SECCOMP record or a loss message into strings: an audit.log is mostly
 * other record types, and at hundreds of MB split2's string per line dominates the run time.
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

    /**
     * Lines in [start, end) of `bytes`; `end` is a line's end. Only lines that may matter are
     * decoded, each on its own: cheaper than decoding whole chunks, and a flat string per line
     * is faster to parse than a slice of a large one.
     */
    const scan = (bytes: Buffer, start: number, end: number): void => {
      const encoding = isAscii(bytes.subarray(start, end)) ? 'latin1' : 'utf8';
      let at = start;
      while (at < end) {
        let lineEnd = bytes.indexOf(10, at);
        if (lineEnd < 0 || lineEnd > end) lineEnd = end;
        lineNumber++;
        if (!isOtherRecordType(bytes, at)) {
          const last = lineEnd > at && bytes[lineEnd - 1] === 0x0d ? lineEnd - 1 : lineEnd;
          parser.push(bytes.toString(encoding, at, last), lineNumber);
        }
        at = lineEnd + 1;
      }
    };

    input.on('data', (data: Buffer | string) => {
      if (failed) return;
      const chunk = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      try {
        const nul = chunk.indexOf(0);
        if (nul >= 0) {
          let lines = lineNumber + 1;
          for (let i = chunk.indexOf(10); i >= 0 && i < nul; i = chunk.indexOf(10, i + 1)) lines++;
          throw new InputError(source, lines, 'binary data (NUL byte): this is not a text log or trace');
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
        if (lastNewline + 1 < chunk.length) carry = chunk.subarray(lastNewline + 1);
      } catch (error) {
        fail(error);
      }
    });
    input.on('error', (error: Error) =>
      fail(new InputError(source, undefined, `cannot read: ${error.message}`)),
    );
    input.on('end', () => {
      if (failed) return;
      try {
        if (carry && carry.length > 0) scan(carry, 0, carry.length);
        parser.finish();
        resolve();
      } catch (error) {
        fail(error);
      }
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
 * Reads `auditctl -s`: one `name value` per line (audit ≥ 2.3), or the older single
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
