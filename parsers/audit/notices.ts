import { type Abi, abisOfHost } from '../../src/syscalls/abi.js';
import type { NoticeCode, ParseNotice } from '../observation.js';
import type { RecordProblems } from './record.js';

/** Per-line notices of one kind beyond this many are summed into one, so a flood cannot bury the rest. */
const NOTICES_PER_CODE = 100;

/** Where an audit parser's notices go while it reads lines: AuditNotices, or a NoticeRecorder. */
export interface NoticeSink extends RecordProblems {
  line(code: NoticeCode, message: string, line: number, count?: number, timestamp?: number): void;
}

/**
 * The notices of one range of a log, in order, as plain data: a worker thread reads a range of a
 * large log and the reader of the whole log replays them after the ranges before it, so that the
 * limits and sums come out as if one parser had read every line.
 */
export type NoticeEvent =
  | { kind: 'line'; code: NoticeCode; message: string; line: number; count?: number; timestamp?: number }
  | { kind: 'unreadable'; line: number; problem: string }
  | { kind: 'unknownArch'; arch: string; line: number }
  | { kind: 'legacy'; line: number; compat?: boolean };

export class NoticeRecorder implements NoticeSink {
  readonly events: NoticeEvent[] = [];

  line(code: NoticeCode, message: string, line: number, count?: number, timestamp?: number): void {
    this.events.push({
      kind: 'line',
      code,
      message,
      line,
      ...(count === undefined ? {} : { count }),
      ...(timestamp === undefined ? {} : { timestamp }),
    });
  }

  unreadable(line: number, problem: string): void {
    this.events.push({ kind: 'unreadable', line, problem });
  }

  unknownArch(arch: string, line: number): void {
    this.events.push({ kind: 'unknownArch', arch, line });
  }

  legacy(line: number, compat: boolean | undefined): void {
    this.events.push({ kind: 'legacy', line, ...(compat === undefined ? {} : { compat }) });
  }
}

/** Replays a range's notices into `sink`, their line numbers moved past the lines before the range. */
export function replayNotices(events: readonly NoticeEvent[], sink: NoticeSink, lineOffset: number): void {
  for (const event of events) {
    const line = event.line + lineOffset;
    if (event.kind === 'line') sink.line(event.code, event.message, line, event.count, event.timestamp);
    else if (event.kind === 'unreadable') sink.unreadable(line, event.problem);
    else if (event.kind === 'unknownArch') sink.unknownArch(event.arch, line);
    else sink.legacy(line, event.compat);
  }
}

/**
 * What an audit parser tells about its input besides the records: notices about single lines, a
 * hundred of each kind at most, and after the last line the sums (legacy records, unknown
 * architectures, the notices not listed).
 */
export class AuditNotices implements NoticeSink {
  private readonly emitted = new Map<NoticeCode, number>();
  private readonly withheld = { notices: 0, suppressed: 0 };
  private readonly legacyRecords = { count: 0, firstLine: 0, compat: 0 };
  private readonly unknownArches = new Map<string, { count: number; firstLine: number }>();

  constructor(
    private readonly file: string,
    private readonly onNotice: (notice: ParseNotice) => void,
  ) {}

  /** How many lost-records notices were listed. */
  get lostNotices(): number {
    return this.emitted.get('lost-records') ?? 0;
  }

  line(code: NoticeCode, message: string, line: number, count?: number, timestamp?: number): void {
    const sent = this.emitted.get(code) ?? 0;
    if (sent >= NOTICES_PER_CODE) {
      this.withheld.notices++;
      if (count !== undefined) this.withheld.suppressed += count;
      return;
    }
    this.emitted.set(code, sent + 1);
    this.onNotice({
      code,
      message,
      file: this.file,
      line,
      ...(count === undefined ? {} : { count }),
      ...(timestamp === undefined ? {} : { timestamp }),
    });
  }

  unreadable(line: number, problem: string): void {
    this.line(
      'unreadable-line',
      `a SECCOMP record that cannot be read (${problem}): its system call is not counted`,
      line,
    );
  }

  unknownArch(arch: string, line: number): void {
    const seen = this.unknownArches.get(arch);
    if (seen) seen.count++;
    else this.unknownArches.set(arch, { count: 1, firstLine: line });
  }

  legacy(line: number, compat: boolean | undefined): void {
    const legacy = this.legacyRecords;
    if (legacy.count === 0) legacy.firstLine = line;
    legacy.count++;
    if (compat) legacy.compat++;
  }

  /** The sums, after the last line; `tail` is what the end of the log says, heard before the count of notices withheld. */
  finish(host: Abi, tail: ParseNotice | undefined): void {
    const { file, onNotice } = this;
    const legacy = this.legacyRecords;
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
    for (const [arch, { count, firstLine }] of this.unknownArches) {
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
    if (tail) onNotice(tail);
    const { notices, suppressed } = this.withheld;
    if (notices > 0) {
      const more = suppressed > 0 ? `, standing for at least ${suppressed} missing record(s)` : '';
      onNotice({
        code: 'lost-records',
        message: `${notices} further notice(s) about lost or unreadable records were not listed one by one${more}`,
        file,
        ...(suppressed > 0 ? { count: suppressed } : {}),
      });
    }
  }
}
