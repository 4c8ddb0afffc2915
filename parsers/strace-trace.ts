import { InputError } from '../src/errors.js';
import type { LineParser } from '../src/sources/lines.js';
import type { Abi } from '../src/syscalls/abi.js';
import { type LearnedArgument, learnedArgumentsOf, MAX_ARGUMENT_VALUES } from '../src/syscalls/arguments.js';
import type { ObservationSink } from './observation.js';
import { straceArgumentValue } from './strace-args.js';
import {
  createStraceSummaryParser,
  excerpt,
  isSummaryHeader,
  type StraceParserOptions,
  SYSCALL_NAME,
  straceSyscall,
  straceTitleAbi,
  summaryTitle,
} from './strace-summary.js';

export interface StraceTraceOptions extends StraceParserOptions {
  /** The traced process when lines carry no pid: `-ff` writes one file per process, named `prefix.PID`. */
  readonly pid?: number;
  /**
   * strace attached to running processes (`-p`) and detached at the end: they have no `+++ exited`
   * line, and that is no sign of a cut trace.
   */
  readonly attached?: boolean;
}

/** What a line is once its leader (pid prefix, timestamps, `-n` number) has been skipped. */
export type StraceLineKind = 'ignored' | 'call' | 'resumed' | 'signal' | 'exit' | 'personality' | 'unknown';

// Kinds as small integers on the hot path; KIND_NAMES maps them to StraceLineKind.
const IGNORED = 0;
const CALL = 1;
const RESUMED = 2;
const SIGNAL = 3;
const EXIT = 4;
const PERSONALITY = 5;
const UNKNOWN = 6;
const KIND_NAMES: readonly StraceLineKind[] = [
  'ignored',
  'call',
  'resumed',
  'signal',
  'exit',
  'personality',
  'unknown',
];

const NO_PID = -1;

const SPACE = 0x20;
const PLUS = 0x2b;
const MINUS = 0x2d;
const DOT = 0x2e;
const LT = 0x3c;
const GT = 0x3e;
const QUESTION = 0x3f;
const LPAREN = 0x28;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const UNDERSCORE = 0x5f;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const LOWER_A = 0x61;
const LOWER_S = 0x73;
const LOWER_Z = 0x7a;
const UPPER_E = 0x45;

const UNFINISHED = ' <unfinished ...>';
const DETACHED = ' <detached ...>';
const RESUMED_OPEN = '<... ';
const RESUMED_CLOSE = ' resumed>';
const RETURN = ' = ';
const STRACE_MESSAGE = 'strace: ';
const DETACHED_MESSAGE = / detached$/;
const PERSONALITY_NOTICE = /^\[ Process PID=([0-9]+) runs in (.+) mode\. \]$/;

/** Where scanLine found things; one per parser, reused for every line so that scanning allocates nothing. */
interface Scan {
  /** The pid prefix, or NO_PID when the line has none. */
  pid: number;
  /** The syscall name's span for calls and resumed calls; `start` is where a personality notice begins. */
  start: number;
  end: number;
}

function isDigit(c: number): boolean {
  return c >= DIGIT_0 && c <= DIGIT_9;
}

function isNameStart(c: number): boolean {
  return (c >= LOWER_A && c <= LOWER_Z) || c === UNDERSCORE;
}

/** Reads the decimal pid at `i` into scan.pid; returns the index after it and any `<comm>` (--decode-pids=comm). */
function readPid(line: string, i: number, scan: Scan): number {
  let pid = 0;
  let j = i;
  for (let c = line.charCodeAt(j); isDigit(c); c = line.charCodeAt(++j)) pid = pid * 10 + c - DIGIT_0;
  if (j === i) return -1;
  scan.pid = pid;
  return line.charCodeAt(j) === LT ? line.indexOf('>', j) + 1 || -1 : j;
}

/**
 * Classifies a trace line with indexOf and charCode tests only: it runs once per line of traces that can be
 * hundreds of megabytes, where a regex per line would cost more than everything else together. For the
 * same reason timestamps are skipped to the next blank without checking each digit, and a CALL's name
 * (up to its `(`) is left for the caller to check once per distinct name.
 * The leader is what strace's printleader() writes: `[pid  N] ` (stderr) or `N  ` (-o with -f), then
 * `-t`/`-tt`/`-ttt` time, `-r` delta or `(+ delta) ` after -t, then `[ 257] ` (-n), `[addr] ` (-i) or a
 * SELinux `[context] `.
 */
function scanLine(line: string, scan: Scan): number {
  scan.pid = NO_PID;
  let i = 0;
  let c = line.charCodeAt(0);
  if (c === LBRACKET) {
    if (line.startsWith('[pid ', 0)) {
      i = 5;
      while (line.charCodeAt(i) === SPACE) i++;
      i = readPid(line, i, scan);
      if (i < 0 || line.charCodeAt(i) !== RBRACKET) return UNKNOWN;
      i++;
    }
  } else if (isDigit(c)) {
    const end = readPid(line, 0, scan);
    // Digits not followed by a blank are a timestamp, read below.
    if (end > 0 && line.charCodeAt(end) === SPACE) i = end;
    else scan.pid = NO_PID;
  } else if (c === LOWER_S && line.startsWith(STRACE_MESSAGE)) {
    return IGNORED;
  }
  for (;;) {
    c = line.charCodeAt(i);
    if (c === SPACE) {
      i++;
    } else if (isDigit(c)) {
      i = line.indexOf(' ', i + 1);
      if (i < 0) return UNKNOWN;
    } else if (c === LPAREN && line.charCodeAt(i + 1) === PLUS) {
      i = line.indexOf(') ', i);
      if (i < 0) return UNKNOWN;
      i += 2;
    } else if (c === LBRACKET) {
      let j = i + 1;
      while (line.charCodeAt(j) === SPACE) j++;
      if (j > i + 1 && line.startsWith('Process PID=', j)) {
        scan.start = i;
        return PERSONALITY;
      }
      i = line.indexOf('] ', j);
      if (i < 0) return UNKNOWN;
      i += 2;
    } else {
      break;
    }
  }
  if (isNameStart(c)) {
    const end = line.indexOf('(', i + 1);
    if (end < 0) return UNKNOWN;
    scan.start = i;
    scan.end = end;
    return CALL;
  }
  if (c === LT) {
    if (!line.startsWith(RESUMED_OPEN, i)) return UNKNOWN;
    const end = line.indexOf(RESUMED_CLOSE, i + RESUMED_OPEN.length);
    if (end < 0) return UNKNOWN;
    scan.start = i + RESUMED_OPEN.length;
    scan.end = end;
    return RESUMED;
  }
  if (c === MINUS) return line.startsWith('--- ', i) ? SIGNAL : UNKNOWN;
  if (c === PLUS) return line.startsWith('+++ ', i) ? EXIT : UNKNOWN;
  // ` > /lib/libc.so.6(open+0x4) [0x1234]`: a -k stack frame under the call it belongs to.
  if (c === GT && i === 1 && line.charCodeAt(i + 1) === SPACE) return IGNORED;
  if (i >= line.length && scan.pid === NO_PID && line.trim() === '') return IGNORED;
  return UNKNOWN;
}

/** What a line of strace output is, as the trace parser sees it; for telling a trace from a summary. */
export function straceLineKind(line: string): StraceLineKind {
  const scan: Scan = { pid: NO_PID, start: 0, end: 0 };
  const kind = scanLine(line, scan);
  if (kind === CALL && !SYSCALL_NAME.test(line.slice(scan.start, scan.end))) return 'unknown';
  return KIND_NAMES[kind] ?? 'unknown';
}

/**
 * Whether the return value at `at` (just after ` = `) is a failure. strace -c counts a call as an error
 * when the kernel returned -errno (syserror()), and a trace prints that as `-1 ENOENT (…)`, or as
 * `? ERESTARTSYS (…)` for the restart codes that the caller never sees but strace -c counts all the same;
 * counting the same way makes a trace and a summary of one run agree. `exit_group(0) = ?` and
 * `= ? <unavailable>` are not errors; `-1 (errno 2)` is strace's raw form of one.
 */
function isErrorReturn(line: string, at: number): boolean {
  const c = line.charCodeAt(at);
  if (c !== MINUS && c !== QUESTION) return false;
  const space = line.indexOf(' ', at);
  if (space < 0) return false;
  const next = line.charCodeAt(space + 1);
  return next === UPPER_E || line.startsWith('(errno ', space + 1);
}

interface Counter {
  calls: number;
  errors: number;
  /** For the few syscalls whose arguments are learned (src/syscalls/arguments.ts): what to read, and what was seen. */
  learned?: LearnedValues;
}

interface LearnedValues {
  readonly arguments: readonly LearnedArgument[];
  /** Per argument, the distinct values seen, one past the bound at most. */
  readonly values: Set<bigint>[];
  /** Per argument, whether a call showed it in no form strace-args reads. */
  readonly unreadable: boolean[];
}

function learnedValuesFor(name: string): LearnedValues | undefined {
  const learned = learnedArgumentsOf(name);
  if (learned === undefined) return undefined;
  return { arguments: learned, values: learned.map(() => new Set()), unreadable: learned.map(() => false) };
}

function learnArguments(learned: LearnedValues, line: string, open: number): void {
  learned.arguments.forEach((argument, i) => {
    const value = straceArgumentValue(line, open, argument);
    const values = learned.values[i] as Set<bigint>;
    if (value === undefined) learned.unreadable[i] = true;
    else if (values.size <= MAX_ARGUMENT_VALUES) values.add(value);
  });
}

interface Unfinished {
  readonly pid: number;
  readonly name: string;
  /** The count the call went into when it started, so its result lands on the ABI it was made on. */
  readonly counter: Counter;
}

/** A line that cannot be judged alone: the first half of a split line, or a cut or unreadable one. */
interface Held {
  readonly text: string;
  readonly line: number;
  /** Set when strace's own message broke the line and the next line continues it. */
  readonly continues: boolean;
  readonly problem: string;
}

const NOT_A_TRACE_LINE = 'not a strace trace line';
const NO_RETURN_VALUE = 'incomplete strace line (no return value)';

/**
 * Parses a full strace trace (`strace -f` without -c) and reports how often each syscall was called and
 * failed, per ABI. Counts are kept here and handed to the sink once per syscall in finish(), so a trace
 * of millions of lines costs the sink a few hundred calls and memory stays flat.
 */
export function createStraceTraceParser(sink: ObservationSink, options: StraceTraceOptions): LineParser {
  const { file, host } = options;
  const scan: Scan = { pid: NO_PID, start: 0, end: 0 };
  const hostCounts = new Map<string, Counter>();
  const countsByAbi = new Map<Abi, Map<string, Counter>>([[host, hostCounts]]);
  /** Only processes whose personality is not the host's, so that the usual trace skips the lookup. */
  const abiByPid = new Map<number, Abi>();
  const unfinished = new Map<number, Unfinished>();
  /** Processes seen with a pid prefix and not yet gone, to know who is left when the prefix disappears. */
  const alive = new Set<number>();
  /** The process that lines without a pid prefix belong to: the only one strace traces at that point. */
  let soloPid = options.pid ?? NO_PID;
  let lastPid = NO_PID;
  let prefixedSinceSolo = false;
  let held: Held | undefined;
  /** The `-C` summary after the trace; see mergeSummary. */
  let summary: LineParser | undefined;
  const summaryCounts: Array<[Abi, string | number, number, number]> = [];
  let recognised = 0;
  /**
   * Processes that made calls and have no `+++ exited`/`+++ killed` line yet, with the line of their last
   * call: at the end they mean the trace was cut (`head`, a full disk, strace killed).
   */
  const running = new Map<number, number>();
  /** A process seen with a pid prefix: the unprefixed lines before it belong to one of those. */
  let prefixSeen = false;
  /** strace detached from the processes (`-p`, or Ctrl-C of an attached strace): no exits are due. */
  let detached = options.attached === true;

  /** The count for `name` on `abi`; undefined when `name` is no syscall name, so the line is not a call. */
  const counterFor = (abi: Abi, name: string): Counter | undefined => {
    let counts = abi === host ? hostCounts : countsByAbi.get(abi);
    if (counts === undefined) {
      counts = new Map();
      countsByAbi.set(abi, counts);
    }
    let counter = counts.get(name);
    if (counter === undefined) {
      // Names are checked once, when they first enter the counts, rather than char by char on every line.
      if (!SYSCALL_NAME.test(name)) return undefined;
      const learned = learnedValuesFor(name);
      counter = learned === undefined ? { calls: 0, errors: 0 } : { calls: 0, errors: 0, learned };
      counts.set(name, counter);
    }
    return counter;
  };

  const abiOf = (pid: number): Abi => (abiByPid.size === 0 ? host : (abiByPid.get(pid) ?? host));

  const pidOf = (prefixPid: number): number => {
    if (prefixPid !== NO_PID) {
      if (prefixPid !== lastPid) {
        alive.add(prefixPid);
        lastPid = prefixPid;
      }
      prefixedSinceSolo = true;
      return prefixPid;
    }
    // strace drops the `[pid N]` prefix while it traces a single process: the one still alive.
    if (prefixedSinceSolo) {
      prefixedSinceSolo = false;
      if (options.pid === undefined && alive.size === 1) soloPid = alive.values().next().value ?? soloPid;
    }
    return soloPid;
  };

  /**
   * Counts a call once however its halves were printed: the unfinished half counted it already, and only
   * its result is taken from here. False when `name` is no syscall name.
   */
  const resume = (pid: number, name: string, error: boolean): boolean => {
    let entry = unfinished.get(pid);
    if (entry?.name !== name) {
      // The pid may have been resolved differently from its unfinished half (a prefix that came or went).
      entry = undefined;
      for (const candidate of unfinished.values()) {
        if (candidate.name === name) {
          entry = candidate;
          break;
        }
      }
    }
    if (entry !== undefined) {
      unfinished.delete(entry.pid);
      if (error) entry.counter.errors++;
      return true;
    }
    // Attached in the middle of the call: the resumed half is all there is of it.
    const counter = counterFor(abiOf(pid), name);
    if (counter === undefined) return false;
    counter.calls++;
    if (error) counter.errors++;
    return true;
  };

  const gone = (pid: number): void => {
    alive.delete(pid);
    abiByPid.delete(pid);
    unfinished.delete(pid);
    lastPid = NO_PID;
  };

  /** Keeps a line that cannot be judged until we know whether another line follows it. */
  const hold = (line: string, lineNumber: number, problem: string): void => {
    // `read(3, strace: Process 8825 attached` + newline + `"…", 10) = 10`: strace's stderr message broke the
    // line; the message runs to the end of the line, so its last occurrence is the one.
    const message = line.lastIndexOf(STRACE_MESSAGE);
    held =
      message > 0
        ? { text: line.slice(0, message), line: lineNumber, continues: true, problem }
        : { text: line, line: lineNumber, continues: false, problem };
  };

  const personality = (line: string, lineNumber: number, prefixPid: number): boolean => {
    const match = PERSONALITY_NOTICE.exec(line.slice(scan.start));
    if (!match?.[1] || !match[2]) return false;
    const abi = straceTitleAbi(match[2], options, lineNumber);
    let pid: number;
    if (prefixPid !== NO_PID) {
      pid = pidOf(prefixPid);
    } else if (options.pid !== undefined) {
      pid = options.pid;
    } else {
      // An unprefixed notice names the one process being traced.
      pid = Number(match[1]);
      soloPid = pid;
      prefixedSinceSolo = false;
    }
    if (abi === host) abiByPid.delete(pid);
    else abiByPid.set(pid, abi);
    return true;
  };

  /** Handles a call or resumed line; false when it turns out not to be one. */
  const call = (line: string, lineNumber: number, kind: number): boolean => {
    const name = line.slice(scan.start, scan.end);
    const pid = pidOf(scan.pid);
    running.set(pid, lineNumber);
    // The second-to-last char rules out most lines before the endsWith: `…>` of ` <0.000028>` (-T) is a digit.
    const unfinishedHalf = line.charCodeAt(line.length - 2) === DOT && line.endsWith(UNFINISHED);
    let error = false;
    let cut = false;
    if (!unfinishedHalf) {
      const result = line.lastIndexOf(RETURN);
      if (result > scan.end) {
        error = isErrorReturn(line, result + RETURN.length);
      } else if (line.endsWith(DETACHED)) {
        detached = true;
      } else {
        if (line.lastIndexOf(STRACE_MESSAGE) > scan.end) {
          hold(line, lineNumber, NO_RETURN_VALUE);
          return true;
        }
        // No result: the line was cut. The call was made all the same; finish() or the next line judges the cut.
        cut = true;
      }
    }
    if (kind === CALL) {
      const counter = counterFor(abiOf(pid), name);
      if (counter === undefined) return false;
      counter.calls++;
      if (error) counter.errors++;
      if (counter.learned !== undefined) learnArguments(counter.learned, line, scan.end);
      if (unfinishedHalf) unfinished.set(pid, { pid, name, counter });
    } else if (!unfinishedHalf) {
      // (A resumed half that is unfinished again adds nothing: the call is still the one counted.)
      if (!resume(pid, name, error)) return false;
    }
    if (cut) hold(line, lineNumber, NO_RETURN_VALUE);
    return true;
  };

  /**
   * A `-C` table counts the calls of the trace above it, less those that never return (exit_group), so
   * for a real -C output the trace's counts stand. Taking the larger of the two still keeps what only
   * the table knows: x32 or 32-bit calls in an `-o` trace, where strace prints no personality notices,
   * and a `-c` table whose program output happened to look like a trace line.
   */
  const mergeSummary = (): void => {
    for (const [abi, syscall, calls, errors] of summaryCounts) {
      const counter = counterFor(
        abi,
        typeof syscall === 'number' ? `syscall_0x${syscall.toString(16)}` : syscall,
      );
      if (counter === undefined) continue;
      counter.calls = Math.max(counter.calls, calls);
      counter.errors = Math.max(counter.errors, errors);
    }
  };

  const parse = (line: string, lineNumber: number): void => {
    const kind = scanLine(line, scan);
    if (scan.pid !== NO_PID) prefixSeen = true;
    if (kind === IGNORED) {
      // `strace: Process N detached` (stderr form): strace let go of the processes rather than saw them end.
      if (DETACHED_MESSAGE.test(line) && line.startsWith(STRACE_MESSAGE)) detached = true;
      return;
    }
    let known: boolean;
    if (kind === CALL || kind === RESUMED) known = call(line, lineNumber, kind);
    else if (kind === PERSONALITY) known = personality(line, lineNumber, scan.pid);
    else if (kind === UNKNOWN) known = false;
    else {
      const pid = pidOf(scan.pid);
      if (kind === EXIT) {
        gone(pid);
        running.delete(pid);
      }
      known = true;
    }
    if (known) {
      recognised++;
    } else if (isSummaryHeader(line) || summaryTitle(line) !== undefined) {
      summary = createStraceSummaryParser(
        { count: (...row) => summaryCounts.push(row), notice: (notice) => sink.notice(notice) },
        options,
      );
      summary.push(line, lineNumber);
    } else {
      hold(line, lineNumber, NOT_A_TRACE_LINE);
    }
  };

  return {
    push(line, lineNumber) {
      if (summary) {
        summary.push(line, lineNumber);
        return;
      }
      if (held === undefined) {
        parse(line, lineNumber);
        return;
      }
      const previous = held;
      held = undefined;
      if (!previous.continues) {
        throw new InputError(file, previous.line, `${previous.problem}: ${excerpt(previous.text)}`);
      }
      parse(previous.text + line, previous.line);
    },
    finish() {
      if (summary) {
        summary.finish();
        mergeSummary();
      }
      if (held?.continues) {
        // The message that broke the last line was the end of the output: judge what came before it.
        const { text, line } = held;
        held = undefined;
        parse(text, line);
      }
      if (held) {
        sink.notice({
          code: 'truncated-input',
          message: `the last line is cut short (${held.problem}); a call on it is counted without its result`,
          file,
          line: held.line,
        });
      }
      if (recognised === 0) throw new InputError(file, undefined, 'no strace trace lines found');
      // Lines before the first pid prefix belong to a process that later has one.
      if (prefixSeen) running.delete(NO_PID);
      if (!detached && !held && running.size > 0) {
        const [pid, line] = running.entries().next().value as [number, number];
        const who = pid === NO_PID ? 'the traced process' : `process ${pid}`;
        sink.notice({
          code: 'truncated-input',
          message:
            `the trace ends before ${who}${running.size > 1 ? ` and ${running.size - 1} other(s)` : ''} ` +
            'exited (no "+++ exited" or "+++ killed" line): it was cut short and calls made after that are ' +
            'missing, unless strace ran with -qq (--quiet=exit)',
          file,
          line,
        });
      }
      for (const [abi, counts] of countsByAbi) {
        for (const [name, counter] of counts) {
          sink.count(abi, straceSyscall(name), counter.calls, counter.errors);
          const learned = counter.learned;
          if (learned === undefined || sink.argument === undefined) continue;
          learned.arguments.forEach(({ key }, i) => {
            for (const value of learned.values[i] ?? []) sink.argument?.(abi, name, key, value);
            if (learned.unreadable[i]) sink.argument?.(abi, name, key, undefined);
          });
        }
      }
    },
  };
}
