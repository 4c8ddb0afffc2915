import {
  type Abi,
  abiFromAuditArch,
  abiFromInterpretedArch,
  abiInfo,
  abisOfHost,
} from '../../src/syscalls/abi.js';
import { libseccompNameOfAuditName } from '../../src/syscalls/audit-names.js';
import { interpretedAction, type SeccompAction, seccompAction, signalNumber } from './actions.js';
import { COLON, DOT, fieldAt, indexOfAt, latin1, startsWithAt, ValueScanner, word } from './fields.js';
import type { JournalFields } from './journald.js';
import { StringReader } from './strings.js';
import { DECIMAL_SCALE, INTERPRETED_STAMP, interpretedTimestamp, syslogTimestamp } from './timestamps.js';
import { type SeccompAuditRecord, VIA_JOURNAL, VIA_LEGACY, VIA_PRINTK } from './types.js';

/** The keys of a record, in the order the kernel prints them. */
const AUDIT = word('audit(');
const PID = word(' pid=');
const COMM = word(' comm=');
const EXE = word(' exe=');
const REASON = word(' reason=');
const SIG = word(' sig=');
const ARCH = word(' arch=');
const SYSCALL = word(' syscall=');
const COMPAT = word(' compat=');
const IP = word(' ip=');
const CODE = word(' code=');
const SECCOMP_REASON = word('"seccomp"');
const SECCOMP_WORD = word('seccomp ');
const HEX_PREFIX = word('0x');

/** What the record reader tells its parser besides the records. */
export interface RecordProblems {
  /** A SECCOMP record whose system call cannot be read. */
  unreadable(line: number, problem: string): void;
  /** A record of an architecture seccomp-learn does not know. */
  unknownArch(arch: string, line: number): void;
  /** A legacy type=1701 record, whose ABI is assumed to be the host's. */
  legacy(line: number, compat: boolean | undefined): void;
}

/** Reads one SECCOMP record from the bytes of its line. */
export class RecordReader {
  private readonly scan = new ValueScanner();
  private readonly strings = new StringReader(this.scan);
  /** ip= of the last record read from printk or journald text, to pair their two copies. */
  ip = '';

  /**
   * `processNames` false: comm= and exe= are skipped, not decoded. A raw value cannot hold a space
   * (the kernel hex-encodes one that would), so the next key is still found after it; decoding
   * them is a quarter of the time a million records take.
   */
  constructor(
    private readonly host: Abi,
    private readonly problems: RecordProblems,
    private readonly processNames = true,
  ) {}

  /**
   * The record in bytes [start, end) of one line, or undefined when it is not one or cannot be
   * read (then `problems` heard why). `typeAt` is where the record type starts (after `type=`, or
   * at `SECCOMP` in journald text); `journal` holds what a journald entry says outside its MESSAGE.
   */
  read(
    bytes: Buffer,
    start: number,
    end: number,
    line: number,
    typeAt: number,
    via: number,
    journal?: JournalFields,
  ): SeccompAuditRecord | undefined {
    const scan = this.scan;
    const strings = this.strings;
    let timestamp: number | undefined;
    let serial: number | undefined;
    let interpreted = false;
    let next = typeAt;
    const header = via === VIA_JOURNAL ? -1 : indexOfAt(bytes, typeAt, end, AUDIT);
    if (header >= 0) {
      const stampAt = header + 6;
      const seconds = scan.digits(bytes, stampAt, end);
      if (seconds !== undefined && bytes[scan.end] === DOT) {
        const millisAt = scan.end + 1;
        const millis = scan.digits(bytes, millisAt, end) ?? 0;
        timestamp = seconds + millis / (DECIMAL_SCALE[scan.end - millisAt] ?? 10 ** (scan.end - millisAt));
        if (bytes[scan.end] === COLON) serial = scan.digits(bytes, scan.end + 1, end);
        next = scan.end;
      } else {
        const stamp = INTERPRETED_STAMP.exec(latin1(bytes, stampAt, Math.min(stampAt + 40, end)));
        if (!stamp) {
          this.problems.unreadable(line, 'no audit(time:serial) header');
          return undefined;
        }
        interpreted = true;
        timestamp = interpretedTimestamp(stamp);
        serial = Number(stamp[8]);
        next = stampAt + stamp[0].length;
      }
    } else if (via !== VIA_JOURNAL) {
      this.problems.unreadable(line, 'no audit(time:serial) header');
      return undefined;
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
    const pidAt = indexOfAt(bytes, next, end, PID);
    if (pidAt >= 0) {
      pid = scan.digits(bytes, pidAt + 5, end);
      next = scan.end;
    }
    let comm: string | undefined;
    const commAt = fieldAt(bytes, COMM, next, end);
    if (commAt >= 0) {
      next = commAt + 6;
      if (!interpreted && this.processNames) {
        comm = strings.stringAt(bytes, next, end, false, -1);
        next = scan.end;
      }
    }
    let exe: string | undefined;
    const exeAt = fieldAt(bytes, EXE, next, end);
    if (exeAt >= 0) {
      next = exeAt + 5;
      if (!interpreted && this.processNames) {
        exe = strings.stringAt(bytes, next, end, false, -1);
        next = scan.end;
      }
    }
    if (via === VIA_LEGACY) {
      const reasonAt = fieldAt(bytes, REASON, next, end);
      if (reasonAt < 0) return undefined;
      next = reasonAt + 8;
      if (!startsWithAt(bytes, next, end, SECCOMP_REASON) && !startsWithAt(bytes, next, end, SECCOMP_WORD)) {
        return undefined;
      }
    }
    const sigAt = fieldAt(bytes, SIG, next, end);
    let sig: number | undefined;
    if (sigAt >= 0) {
      sig = scan.digits(bytes, sigAt + 5, end);
      next = scan.end;
    }
    let archCode: number | undefined;
    const archAt = via === VIA_LEGACY ? -1 : fieldAt(bytes, ARCH, next, end);
    if (archAt >= 0) {
      archCode = scan.hex(bytes, archAt + 6, end);
      next = scan.end;
    }
    let syscall: string | number | undefined;
    const syscallAt = fieldAt(bytes, SYSCALL, next, end);
    if (syscallAt >= 0) {
      syscall = scan.signed(bytes, syscallAt + 9, end);
      next = scan.end;
    }
    const compatAt = fieldAt(bytes, COMPAT, next, end);
    if (compatAt >= 0) next = compatAt + 9;
    let ip = '';
    if (via === VIA_PRINTK || via === VIA_JOURNAL) {
      const ipAt = fieldAt(bytes, IP, next, end);
      if (ipAt >= 0) {
        ip = latin1(bytes, ipAt + 4, scan.tokenEnd(bytes, ipAt + 4, end));
        next = scan.end;
      }
    }
    this.ip = ip;
    const codeAt = fieldAt(bytes, CODE, next, end);

    if (interpreted && this.processNames) {
      const afterComm = exeAt >= 0 ? exeAt : sigAt >= 0 ? sigAt : archAt;
      if (commAt >= 0) comm = strings.stringAt(bytes, commAt + 6, end, true, afterComm);
      if (exeAt >= 0) exe = strings.stringAt(bytes, exeAt + 5, end, true, sigAt);
    }
    if (journal) {
      pid ??= journal.pid;
      comm ??= journal.comm;
      exe ??= journal.exe;
    }

    // syscall=: a number, or in `ausearch -i` a name or unknown-syscall(N).
    if (syscall === undefined) {
      if (syscallAt < 0) {
        this.problems.unreadable(line, 'no syscall= field');
        return undefined;
      }
      const name = latin1(bytes, syscallAt + 9, scan.tokenEnd(bytes, syscallAt + 9, end));
      syscall = name.startsWith('unknown-syscall(') ? Number.parseInt(name.slice(16), 10) : name;
      if (Number.isNaN(syscall) || syscall === '') {
        this.problems.unreadable(line, `syscall=${name}`);
        return undefined;
      }
    }
    const number = typeof syscall === 'number' ? syscall : undefined;
    const compat = compatAt < 0 ? undefined : bytes[compatAt + 8] === 0x31;

    // arch=: hex AUDIT_ARCH, or in `ausearch -i` the machine name; legacy records have none.
    let abi: Abi | undefined;
    let assumedAbi: boolean | undefined;
    if (via === VIA_LEGACY) {
      const host = this.host;
      const caller = compat ? (abisOfHost(host)[1] ?? host) : host;
      abi = abiFromAuditArch(abiInfo(caller).auditArch, number ?? 0) ?? caller;
      assumedAbi = true;
      this.problems.legacy(line, compat);
    } else if (archAt < 0) {
      this.problems.unreadable(line, 'no arch= field');
      return undefined;
    } else {
      abi =
        archCode !== undefined
          ? abiFromAuditArch(archCode, number ?? 0)
          : abiFromInterpretedArch(latin1(bytes, archAt + 6, scan.tokenEnd(bytes, archAt + 6, end)), number);
      if (abi === undefined) {
        this.problems.unknownArch(latin1(bytes, archAt + 6, scan.tokenEnd(bytes, archAt + 6, end)), line);
        return undefined;
      }
    }

    // `ausearch -i` names are audit-userspace's, some differ from libseccomp's (x86_64 pread: pread64).
    if (typeof syscall === 'string') syscall = libseccompNameOfAuditName(abi, syscall);

    // code=: hex filter return, or in `ausearch -i` an action name.
    let action: SeccompAction = 'unknown';
    if (codeAt >= 0) {
      const codeStart = codeAt + 6;
      const code = startsWithAt(bytes, codeStart, end, HEX_PREFIX)
        ? scan.hex(bytes, codeStart + 2, end)
        : undefined;
      action =
        code !== undefined
          ? seccompAction(code)
          : interpretedAction(latin1(bytes, codeStart, scan.tokenEnd(bytes, codeStart, end)));
    }

    if (sig === undefined && sigAt >= 0) {
      sig = signalNumber(latin1(bytes, sigAt + 5, scan.tokenEnd(bytes, sigAt + 5, end)), abi);
    }
    return { line, timestamp, serial, pid, comm, exe, abi, syscall, action, sig, compat, assumedAbi };
  }
}
