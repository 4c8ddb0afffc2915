import Table from 'cli-table3';
import { stringifyJson } from '../util/json-exact.js';
import { inertJson, visible } from '../util/visible.js';

/** Terminal styling for human output on stderr; off when NO_COLOR is set or stderr is not a terminal. */
export function useColor(): boolean {
  return process.stderr.isTTY === true && process.env.NO_COLOR === undefined;
}

function paint(code: number, reset: number): (text: string) => string {
  return (text) => (useColor() ? `\u001b[${code}m${text}\u001b[${reset}m` : text);
}

export const style = {
  bold: paint(1, 22),
  dim: paint(2, 22),
  yellow: paint(33, 39),
  red: paint(31, 39),
  green: paint(32, 39),
};

/**
 * A table for stderr; its head is made visible (util/visible), and a cell that holds anything from an
 * input must be too, before any styling. `wrap` gives the share of the terminal's width for columns whose text should
 * wrap (prose such as conditions and risk notes); other columns size to their content.
 */
export function newTable(
  head: string[],
  alignRight: number[] = [],
  wrap: (number | null)[] = [],
): Table.Table {
  const width = Math.max(80, process.stderr.columns ?? 120);
  const colWidths = head.map((_, index) => {
    const share = wrap[index];
    return share ? Math.floor(width * share) : null;
  });
  const colAligns = head.map((_, index) =>
    alignRight.includes(index) ? 'right' : 'left',
  ) as Table.HorizontalAlignment[];
  return new Table({
    head: head.map((title) => style.bold(visible(title))),
    colAligns,
    ...(wrap.length > 0 ? { colWidths, wordWrap: true } : {}),
    // No rule between rows: a reviewer scans 70 syscalls faster without them.
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    style: { head: [], border: [] },
  });
}

/** Human output goes to stderr so that stdout stays clean for --json and profiles. */
export function say(text = ''): void {
  process.stderr.write(`${text}\n`);
}

/** A warning on stderr: `text` (plain, unstyled) is shown with its control characters escaped. */
export function warn(text: string): void {
  say(`${style.yellow('warning:')} ${visible(text)}`);
}

/** JSON on stdout; the control characters JSON.stringify leaves raw (DEL, C1) are \u-escaped too. */
export function printJson(value: unknown): void {
  process.stdout.write(`${inertJson(stringifyJson(value))}\n`);
}
