import { InputError } from '../src/errors.js';
import type { LineParser } from '../src/sources/lines.js';
import { type Abi, abiFromStracePersonality } from '../src/syscalls/abi.js';
import type { ObservationSink } from './observation.js';

export interface StraceParserOptions {
  /** Names the input in errors and notices. */
  readonly file: string;
  /** The machine strace ran on: its native ABI is strace's personality 0. */
  readonly host: Abi;
}

/**
 * Column headers as strace's count.c prints them (cdesc[].s). `-U` chooses any subset in any order
 * and always adds `syscall`; the wall-* columns exist since strace 7.1.
 */
const COLUMN_HEADERS: ReadonlySet<string> = new Set([
  '% time',
  'seconds',
  'usecs/call',
  'calls',
  'errors',
  'syscall',
  'shortest',
  'longest',
  'wall-total',
  'wall-min',
  'wall-max',
  'wall-avg',
]);

const TITLE_PREFIX = 'System call usage summary for ';
const TITLE_SUFFIX = ' mode:';

/** The column headers of a `-c` table's header line, in order, or undefined if `line` is not one. */
function headerColumns(line: string): string[] | undefined {
  const words = line.trim().split(/ +/);
  const headers: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? '';
    // "% time" is the one header with a space in it.
    if (word === '%' && words[i + 1] === 'time') {
      headers.push('% time');
      i++;
    } else if (COLUMN_HEADERS.has(word)) {
      headers.push(word);
    } else {
      return undefined;
    }
  }
  const distinct = new Set(headers).size === headers.length;
  return distinct && headers.includes('syscall') ? headers : undefined;
}

/** Whether `line` is the header line of a `strace -c` / `-C` summary table. */
export function isSummaryHeader(line: string): boolean {
  return headerColumns(line) !== undefined;
}

/** The personality named by a "System call usage summary for 32 bit mode:" line ("32 bit"), if it is one. */
export function summaryTitle(line: string): string | undefined {
  if (!line.startsWith(TITLE_PREFIX) || !line.endsWith(TITLE_SUFFIX)) return undefined;
  return line.slice(TITLE_PREFIX.length, line.length - TITLE_SUFFIX.length);
}

/** The ABI strace means by personality `title`; InputError when the host has no such personality. */
export function straceTitleAbi(title: string, options: StraceParserOptions, line: number): Abi {
  const abi = abiFromStracePersonality(title, options.host);
  if (abi === undefined) {
    throw new InputError(
      options.file,
      line,
      `strace personality "${title}" does not exist on a ${options.host} host (is the host ABI right?)`,
    );
  }
  return abi;
}

/** A name as strace prints syscalls: lowercase, digits and `_`, including its `syscall_0x…` for unnamed ones. */
export const SYSCALL_NAME = /^[a-z_][a-z0-9_]*$/;
const UNKNOWN_SYSCALL = /^syscall_(0x[0-9a-f]+|[0-9]+)$/;

/**
 * What strace's name for a syscall stands for: the name, or the raw number of a call strace has no name
 * for (`syscall_0xbad`), which the recording layer reports as unknown instead of losing it.
 */
export function straceSyscall(name: string): string | number {
  const number = UNKNOWN_SYSCALL.exec(name)?.[1];
  return number === undefined ? name : Number(number);
}

/** Shortens a line for an error message. */
export function excerpt(line: string): string {
  return JSON.stringify(line.length > 80 ? `${line.slice(0, 80)}…` : line);
}

interface Column {
  readonly header: string;
  readonly start: number;
  /** Exclusive; the last column runs to the end of the line since strace prints it unpadded. */
  readonly end: number;
  readonly cell: RegExp;
}

interface Row {
  readonly syscall: string | number;
  readonly calls: number;
  readonly errors: number;
}

interface Table {
  readonly abi: Abi;
  readonly headerLine: number;
  readonly columns: readonly Column[];
  readonly rows: Row[];
}

type State =
  | { readonly kind: 'outside'; readonly title?: { readonly abi: Abi; readonly line: number } }
  | { readonly kind: 'divider'; readonly abi: Abi; readonly header: string; readonly line: number }
  | { readonly kind: 'rows' | 'total'; readonly table: Table };

const CELL_FORMATS: Readonly<Record<string, RegExp>> = {
  syscall: SYSCALL_NAME,
  calls: /^[0-9]+$/,
  // count.c prints errors with %.0u: zero is a blank cell.
  errors: /^[0-9]*$/,
};
const TIME_CELL = /^[0-9]+(\.[0-9]+)?$/;
const DIVIDER = /^-+( -+)*$/;

/**
 * Parses `strace -c` / `-C` summary tables: one per personality, the untitled first one being the host's
 * native ABI. Columns are located from the dash divider, not by splitting on blanks, because a zero
 * error count is printed as an empty cell. Everything outside the tables (the program's own output,
 * strace's messages, `-C` trace lines) is skipped.
 */
export function createStraceSummaryParser(sink: ObservationSink, options: StraceParserOptions): LineParser {
  const { file } = options;
  let state: State = { kind: 'outside' };
  let tables = 0;
  let lastLine = 0;

  const startTable = (abi: Abi, header: string, headerLine: number, divider: string, line: number): void => {
    const headers = headerColumns(header) ?? [];
    const spans = DIVIDER.test(divider.trimEnd()) ? dividerSpans(divider.trimEnd()) : [];
    if (spans.length !== headers.length) {
      throw new InputError(
        file,
        line,
        'garbled strace -c table: the header is not followed by its dash divider',
      );
    }
    const columns = spans.map(([start, end], i): Column => {
      const name = headers[i] ?? '';
      return { header: name, start, end, cell: CELL_FORMATS[name] ?? TIME_CELL };
    });
    state = { kind: 'rows', table: { abi, headerLine, columns, rows: [] } };
  };

  const readRow = (table: Table, line: string, lineNumber: number): Row => {
    let syscall = '';
    let calls: number | undefined;
    let errors = 0;
    table.columns.forEach((column, i) => {
      const last = i === table.columns.length - 1;
      const aligned = column.start === 0 || line.length <= column.start || line[column.start - 1] === ' ';
      const cell = line.slice(column.start, last ? undefined : column.end).trim();
      if (!aligned || !column.cell.test(cell)) {
        throw new InputError(
          file,
          lineNumber,
          `garbled strace -c row (bad ${column.header} column): ${excerpt(line)}`,
        );
      }
      if (column.header === 'syscall') syscall = cell;
      else if (column.header === 'calls') calls = Number(cell);
      else if (column.header === 'errors') errors = Number(cell);
    });
    // Without a calls column (`-U` left it out) a row still proves at least one call, and every error is one.
    return { syscall: straceSyscall(syscall), calls: calls ?? Math.max(1, errors), errors };
  };

  const endTable = (table: Table, line: string, lineNumber: number): void => {
    const total = readRow(table, line, lineNumber);
    if (total.syscall !== 'total') {
      throw new InputError(
        file,
        lineNumber,
        `garbled strace -c table: expected the total line, got ${excerpt(line)}`,
      );
    }
    if (table.columns.some((column) => column.header === 'calls')) {
      const calls = table.rows.reduce((sum, row) => sum + row.calls, 0);
      const errors = table.rows.reduce((sum, row) => sum + row.errors, 0);
      if (calls !== total.calls || errors !== total.errors) {
        throw new InputError(
          file,
          lineNumber,
          `strace -c table does not add up (rows: ${calls} calls, ${errors} errors; total line: ${total.calls} calls, ` +
            `${total.errors} errors): the table is truncated or garbled`,
        );
      }
    }
    for (const row of table.rows) sink.count(table.abi, row.syscall, row.calls, row.errors);
    tables++;
    state = { kind: 'outside' };
  };

  return {
    push(line, lineNumber) {
      lastLine = lineNumber;
      switch (state.kind) {
        case 'divider':
          startTable(state.abi, state.header, state.line, line, lineNumber);
          return;
        case 'rows':
          if (DIVIDER.test(line.trimEnd())) state = { kind: 'total', table: state.table };
          else state.table.rows.push(readRow(state.table, line, lineNumber));
          return;
        case 'total':
          endTable(state.table, line, lineNumber);
          return;
        case 'outside': {
          if (isSummaryHeader(line)) {
            state = {
              kind: 'divider',
              abi: state.title?.abi ?? options.host,
              header: line,
              line: lineNumber,
            };
            return;
          }
          if (state.title) {
            throw new InputError(
              file,
              lineNumber,
              `garbled strace -c output: no table after line ${state.title.line}`,
            );
          }
          const title = summaryTitle(line);
          if (title !== undefined)
            state = {
              kind: 'outside',
              title: { abi: straceTitleAbi(title, options, lineNumber), line: lineNumber },
            };
        }
      }
    },
    finish() {
      if (state.kind === 'outside' && state.title) {
        throw new InputError(
          file,
          lastLine,
          `truncated strace -c output: no table after line ${state.title.line}`,
        );
      }
      if (state.kind !== 'outside') {
        const headerLine = state.kind === 'divider' ? state.line : state.table.headerLine;
        throw new InputError(
          file,
          lastLine,
          `truncated strace -c table (header at line ${headerLine}): no total line`,
        );
      }
      if (tables === 0) throw new InputError(file, undefined, 'no strace -c summary table found');
    },
  };
}

/** [start, end) of each run of dashes in a divider line. */
function dividerSpans(divider: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  let start = 0;
  while (start < divider.length) {
    const space = divider.indexOf(' ', start);
    const end = space < 0 ? divider.length : space;
    spans.push([start, end]);
    start = end + 1;
  }
  return spans;
}
