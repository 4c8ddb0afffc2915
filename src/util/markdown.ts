import { visible } from './visible.js';

/**
 * Markdown that shows an input as itself and nothing else: the one place the report and `diff
 * --markdown` turn input-derived strings (commands, file names, syscall names, warnings) into
 * Markdown. Nothing from an input can close a code span, open an HTML comment or tag, start a table
 * row or a new line: control characters are shown as escapes (visible), punctuation is escaped for
 * the context it lands in. Written for GitHub-flavoured Markdown with HTML allowed, the strictest case.
 */

const HTML_SPECIAL: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Characters with a meaning inside a line of Markdown (emphasis, code, links, tables, math, headings). */
const INLINE_SPECIAL = /[\\`*_[\]|#$~]/g;

/**
 * Inline text that renders as itself in a paragraph, heading, list item or table cell: `&`, `<`, `>`
 * as entities, Markdown punctuation backslash-escaped, and a leading list or heading marker escaped.
 */
export function mdText(value: string): string {
  return visible(value)
    .replace(/[&<>]/g, (char) => HTML_SPECIAL[char] ?? char)
    .replace(INLINE_SPECIAL, '\\$&')
    .replace(/^([-+])(?=[\s-]|$)/, '\\$1')
    .replace(/^(\d{1,9})([.)])(?=\s|$)/, '$1\\$2');
}

/**
 * A code span showing `value` exactly: its fence is one backtick longer than the longest run of
 * backticks inside, and it is padded with a space when it starts or ends with a backtick or a space.
 */
export function mdCode(value: string): string {
  const content = visible(value);
  if (content === '') return '` `';
  const longest = Math.max(0, ...(content.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = /^[` ]|[` ]$/.test(content) ? ' ' : '';
  return `${fence}${pad}${content}${pad}${fence}`;
}

/** Text inside raw HTML in a Markdown file (a `<summary>`), where Markdown escapes do not apply. */
export function mdHtml(value: string): string {
  return visible(value).replace(/[&<>"]/g, (char) => HTML_SPECIAL[char] ?? char);
}

/**
 * A fenced code block: the fence is longer than any run of backticks in `text`, so no line of it
 * can close the block; each line's control characters are shown as escapes.
 */
export function mdFence(language: string, text: string): string[] {
  const lines = text.split('\n').map(visible);
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return [`${fence}${language}`, ...lines, fence];
}

/**
 * A cell's Markdown made safe for a GitHub table row: every `|` that is not already escaped (an odd
 * number of backslashes before it, as mdText writes) is escaped, so a code span holding a pipe
 * cannot split the row; the table parser removes that backslash again.
 */
function cell(markdown: string): string {
  return markdown
    .replace(/[\r\n]+/g, ' ')
    .replace(/(\\*)\|/g, (match, slashes: string) => (slashes.length % 2 === 0 ? `${slashes}\\|` : match));
}

/** A GitHub table; cells are Markdown made by mdText, mdCode or our own words. `right`: right-aligned columns. */
export function mdTable(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  right: number[] = [],
): string[] {
  const align = head.map((_, index) => (right.includes(index) ? '---:' : '---'));
  return [
    `| ${head.map(cell).join(' | ')} |`,
    `| ${align.join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ];
}
