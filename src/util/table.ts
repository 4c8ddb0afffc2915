import Table from 'cli-table3';
import { style } from './color.js';
import { visible } from './visible.js';
import { visibleWidth, wrapText } from './wrap.js';

export type TableCell = string | number;

/**
 * cli-table3 lays a table out in time quadratic in its rows (fillInTable, conflictExists) and spends
 * about a millisecond on each row besides, so a table of 100,000 syscalls would take minutes. Up to
 * this many rows a table goes through cli-table3; past it, see TableSpec.large.
 * Its head is made visible (util/visible); a cell that holds anything from an input must be too, before
 * any styling.
 */
export const TABLE_ROW_LIMIT = 500;

export interface TableSpec {
  head: string[];
  rows: readonly (readonly TableCell[])[];
  /** A last row under a rule of its own (totals). */
  totals?: readonly TableCell[];
  /** Columns aligned right (numbers). */
  alignRight?: readonly number[];
  /**
   * The share of the terminal's width for columns whose text should wrap (prose such as conditions
   * and risk notes); other columns size to their content.
   */
  wrap?: readonly (number | null)[];
  /**
   * Past TABLE_ROW_LIMIT rows. `fold` (summaries on a terminal): the first TABLE_ROW_LIMIT rows, then
   * one line "… and N more <noun> (<where the rest is>)". `all` (documents such as the text report):
   * every row, laid out here in linear time in the same box style, column widths computed here.
   */
  large: { fold: { noun: string; rest: string } } | 'all';
}

const RULE = { mid: '─', leftMid: '├', midMid: '┼', rightMid: '┤' };

function terminalWidth(): number {
  return Math.max(80, process.stderr.columns ?? 120);
}

function fixedWidths(spec: TableSpec): (number | null)[] {
  const width = terminalWidth();
  return spec.head.map((_, index) => {
    const share = spec.wrap?.[index];
    return share ? Math.floor(width * share) : null;
  });
}

/**
 * A table as text: a rule under the header, no rules between rows (a reviewer scans 70 syscalls
 * faster without them) and a rule above the totals.
 */
export function renderTable(spec: TableSpec): string {
  if (spec.rows.length <= TABLE_ROW_LIMIT) return cliTable(spec, spec.rows);
  if (spec.large === 'all') return linearTable(spec);
  const { noun, rest } = spec.large.fold;
  const more = spec.rows.length - TABLE_ROW_LIMIT;
  return `${cliTable(spec, spec.rows.slice(0, TABLE_ROW_LIMIT))}\n${style.dim(`… and ${more.toLocaleString('en-US')} more ${noun} (${rest})`)}`;
}

function cliTable(spec: TableSpec, rows: readonly (readonly TableCell[])[]): string {
  const wrap = spec.wrap ?? [];
  const colAligns = spec.head.map((_, index) =>
    spec.alignRight?.includes(index) ? 'right' : 'left',
  ) as Table.HorizontalAlignment[];
  const table = new Table({
    head: spec.head.map((title) => style.bold(visible(title))),
    colAligns,
    ...(wrap.length > 0 ? { colWidths: fixedWidths(spec), wordWrap: true } : {}),
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    style: { head: [], border: [] },
  });
  // cli-table3 draws a row's top edge with its cells' mid characters: the first row's and the
  // totals' are rules, the others are blank.
  const ruled = (row: readonly TableCell[]) => row.map((content) => ({ content, chars: RULE }));
  rows.forEach((row, index) => {
    table.push(index === 0 ? ruled(row) : [...row]);
  });
  if (spec.totals) table.push(ruled(spec.totals));
  return table.toString();
}

/** cli-table3's look, in one pass over the cells: for tables past TABLE_ROW_LIMIT rows. */
function linearTable(spec: TableSpec): string {
  const fixed = fixedWidths(spec);
  const cellLines = (row: readonly TableCell[]): string[][] =>
    spec.head.map((_, index) => {
      const text = String(row[index] ?? '');
      const width = fixed[index];
      return width ? wrapText(text, Math.max(1, width - 2)) : text.split('\n');
    });
  const head = cellLines(spec.head.map((title) => style.bold(title)));
  const body = spec.rows.map(cellLines);
  const totals = spec.totals ? cellLines(spec.totals) : undefined;
  const widths = spec.head.map((_, index) => (fixed[index] ?? 0) - 2);
  for (const row of [head, ...body, ...(totals ? [totals] : [])]) {
    row.forEach((lines, index) => {
      if (fixed[index]) return;
      for (const line of lines) widths[index] = Math.max(widths[index] ?? 0, visibleWidth(line));
    });
  }
  const right = new Set(spec.alignRight ?? []);
  const rule = (left: string, mid: string, end: string) =>
    `${left}${widths.map((width) => '─'.repeat(width + 2)).join(mid)}${end}`;
  const out: string[] = [rule('┌', '┬', '┐')];
  const draw = (row: string[][]) => {
    const height = Math.max(1, ...row.map((lines) => lines.length));
    for (let line = 0; line < height; line++) {
      const cells = row.map((lines, index) => {
        const text = lines[line] ?? '';
        const pad = ' '.repeat(Math.max(0, (widths[index] ?? 0) - visibleWidth(text)));
        return right.has(index) ? ` ${pad}${text} ` : ` ${text}${pad} `;
      });
      out.push(`│${cells.join('│')}│`);
    }
  };
  draw(head);
  out.push(rule('├', '┼', '┤'));
  for (const row of body) draw(row);
  if (totals) {
    out.push(rule('├', '┼', '┤'));
    draw(totals);
  }
  out.push(rule('└', '┴', '┘'));
  return out.join('\n');
}
