import { stripVTControlCharacters } from 'node:util';

/**
 * The one word wrap: table cells past cli-table3's limit, prose on the terminal, lists of syscall
 * names. Widths count what a terminal shows: colour codes take no column, a code point takes one.
 */

/** Lines of prose and of names outside tables stay this narrow, so they read on an 80-column terminal split in two. */
export const TEXT_WIDTH = 100;

/** The width of text on a terminal: colour codes take none; one column per code point. */
export function visibleWidth(text: string): number {
  let width = 0;
  for (const _ of stripVTControlCharacters(text)) width++;
  return width;
}

/**
 * Greedy fill of `words` into lines of at most `width` columns, `indent` included, each line
 * starting with `indent`. A word longer than a line is cut: a table cell cannot grow, and a hostile
 * name must not push everything after it off the screen.
 */
export function wrapWords(words: readonly string[], width = TEXT_WIDTH, indent = ''): string[] {
  if (words.length === 0) return [];
  const room = Math.max(1, width - visibleWidth(indent));
  const lines: string[] = [];
  let line = '';
  for (let word of words) {
    while (visibleWidth(word) > room) {
      if (line) lines.push(line);
      line = '';
      const chars = [...word];
      lines.push(chars.slice(0, room).join(''));
      word = chars.slice(room).join('');
    }
    if (!line) line = word;
    else if (visibleWidth(line) + 1 + visibleWidth(word) <= room) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  lines.push(line);
  return lines.map((text) => indent + text);
}

/** `text` wrapped paragraph by paragraph (at its newlines), words split at spaces. */
export function wrapText(text: string, width: number): string[] {
  return text.split('\n').flatMap((paragraph) => wrapWords(paragraph.split(' '), width));
}
