import { stripVTControlCharacters } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { errorsCell, UNKNOWN_ERRORS } from '../../src/recording/model.js';
import { colorEnabled } from '../../src/util/color.js';
import { renderTable, TABLE_ROW_LIMIT, type TableSpec } from '../../src/util/table.js';

describe('colorEnabled', () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };

  it('follows the terminal when nothing is set', () => {
    expect(colorEnabled({}, tty)).toBe(true);
    expect(colorEnabled({}, pipe)).toBe(false);
    expect(colorEnabled({}, {})).toBe(false);
  });

  it('turns colour off for a non-empty NO_COLOR, and not for an empty one (no-color.org)', () => {
    expect(colorEnabled({ NO_COLOR: '1' }, tty)).toBe(false);
    expect(colorEnabled({ NO_COLOR: 'anything' }, tty)).toBe(false);
    expect(colorEnabled({ NO_COLOR: '' }, tty)).toBe(true);
  });

  it('honours FORCE_COLOR: 0 and false off, 1, 2, 3, true and empty on, over NO_COLOR and the terminal', () => {
    for (const off of ['0', 'false', 'FALSE']) {
      expect(colorEnabled({ FORCE_COLOR: off }, tty), off).toBe(false);
    }
    for (const on of ['1', '2', '3', 'true', '']) {
      expect(colorEnabled({ FORCE_COLOR: on }, pipe), JSON.stringify(on)).toBe(true);
      expect(colorEnabled({ FORCE_COLOR: on, NO_COLOR: '1' }, pipe), JSON.stringify(on)).toBe(true);
    }
  });
});

describe('renderTable', () => {
  beforeEach(() => {
    vi.stubEnv('FORCE_COLOR', '0');
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  const spec = (rows: TableSpec['rows'], large: TableSpec['large'] = 'all'): TableSpec => ({
    head: ['syscall', 'calls', 'errors'],
    alignRight: [1, 2],
    rows,
    totals: [`${rows.length} syscalls`, 10, UNKNOWN_ERRORS],
    large,
  });

  it('draws a rule under the header and above the totals, none between rows', () => {
    const lines = renderTable(
      spec([
        ['read', 7, ''],
        ['write', 3, 1],
      ]),
    ).split('\n');
    expect(lines).toEqual([
      '┌────────────┬───────┬────────┐',
      '│ syscall    │ calls │ errors │',
      '├────────────┼───────┼────────┤',
      '│ read       │     7 │        │',
      '│ write      │     3 │      1 │',
      '├────────────┼───────┼────────┤',
      '│ 2 syscalls │    10 │      ? │',
      '└────────────┴───────┴────────┘',
    ]);
  });

  it('shows unknown errors as ?, none as blank, and a row without calls as blank', () => {
    expect(errorsCell({ calls: 4 })).toBe('?');
    expect(errorsCell({ calls: 4, errors: 0 })).toBe('');
    expect(errorsCell({ calls: 4, errors: 2 })).toBe('2');
    expect(errorsCell({})).toBe('');
  });

  const many = (count: number) =>
    Array.from({ length: count }, (_, index) => [`made_up_${index}`, count - index, index % 3 ? '' : '?']);

  it('lays out a table past the row limit itself, with every row and the same look', () => {
    const rows = many(TABLE_ROW_LIMIT + 1);
    const text = renderTable(spec(rows));
    const lines = text.split('\n');
    // top, header, rule, rows, rule, totals, bottom
    expect(lines).toHaveLength(rows.length + 6);
    expect(lines[2]).toMatch(/^├─+┼─+┼─+┤$/);
    expect(lines.at(-3)).toBe(lines[2]);
    expect(lines.at(-2)).toMatch(/^│ 501 syscalls\s+│\s+10 │\s+\? │$/);
    expect(lines[3]).toMatch(/^│ made_up_0\s+│\s+501 │\s+\? │$/);
    expect(new Set(lines.map((line) => stripVTControlCharacters(line).length)).size).toBe(1);
    // The same rows through cli-table3 (at the limit) look the same.
    const small = renderTable(spec(rows.slice(0, TABLE_ROW_LIMIT))).split('\n');
    expect(small[3]?.replace(/ +/g, ' ')).toBe(lines[3]?.replace(/ +/g, ' '));
    expect(small[0]?.[0]).toBe('┌');
  });

  it('wraps prose columns in its own layout too', () => {
    const rows = many(TABLE_ROW_LIMIT + 1).map(([name]) => [String(name), 'word '.repeat(60).trim()]);
    const text = renderTable({ head: ['syscall', 'why'], wrap: [null, 0.3], rows, large: 'all' });
    const lines = text.split('\n');
    expect(lines.length).toBeGreaterThan(rows.length * 2);
    expect(new Set(lines.map((line) => line.length)).size).toBe(1);
  });

  it('folds a terminal summary past the row limit and says where the rest is', () => {
    const rows = many(100_000);
    const text = renderTable(
      spec(rows, { fold: { noun: 'syscalls', rest: 'the recording lists them all' } }),
    );
    const lines = text.split('\n');
    expect(lines).toHaveLength(TABLE_ROW_LIMIT + 7);
    expect(lines.at(-1)).toBe('… and 99,500 more syscalls (the recording lists them all)');
    expect(lines.at(-3)).toMatch(/^│ 100000 syscalls/);
  });
});
