import MarkdownIt from 'markdown-it';
import { type DefaultTreeAdapterMap, parseFragment } from 'parse5';
import { expect } from 'vitest';
import { visible } from '../../src/util/visible.js';

/** Checks that outputs hold nothing an input could act with: raw control characters, injected markup. */

/** Every character a terminal or a Markdown/HTML parser could act on, except the newline. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

export function controlsIn(text: string): string[] {
  return [...text].filter((char) => RAW_CONTROL.test(char)).map((char) => visible(char));
}

export type Node = DefaultTreeAdapterMap['node'];
export type Element = DefaultTreeAdapterMap['element'];

export function walk(node: Node, visit: (node: Node) => void): void {
  visit(node);
  const children = 'childNodes' in node ? node.childNodes : [];
  for (const child of children) walk(child, visit);
  if (node.nodeName === 'template') walk((node as DefaultTreeAdapterMap['template']).content, visit);
}

export function textOf(node: Node): string {
  if (node.nodeName === '#text') return (node as DefaultTreeAdapterMap['textNode']).value;
  if (node.nodeName === '#comment') return '';
  return ('childNodes' in node ? node.childNodes : []).map(textOf).join('');
}

export function elements(root: Node): Element[] {
  const found: Element[] = [];
  walk(root, (node) => {
    if ('tagName' in node) found.push(node);
  });
  return found;
}

export function comments(root: Node): string[] {
  const found: string[] = [];
  walk(root, (node) => {
    if (node.nodeName === '#comment') found.push((node as DefaultTreeAdapterMap['commentNode']).data);
  });
  return found;
}

/** GitHub renders raw HTML in comments, so the renderer is set up the same way. */
export const markdownIt = new MarkdownIt({ html: true });

/** The tags our Markdown produces once rendered: anything else came from an input. */
const MARKDOWN_TAGS = new Set([
  'h2',
  'h3',
  'h4',
  'p',
  'strong',
  'code',
  'pre',
  'table',
  'thead',
  'tbody',
  'tr',
  'th',
  'td',
  'details',
  'summary',
  'b',
  'br',
  'blockquote',
  'ul',
  'li',
  'sub',
]);

export function checkRenderedMarkdown(markdown: string) {
  expect(controlsIn(markdown)).toEqual([]);
  const html = markdownIt.render(markdown);
  const root = parseFragment(html);
  expect(comments(root)).toEqual([]);
  const tags = new Set(elements(root).map((element) => element.tagName));
  expect([...tags].filter((tag) => !MARKDOWN_TAGS.has(tag))).toEqual([]);
  // Every table row has exactly as many cells as its head: no row or cell was injected.
  for (const table of elements(root).filter((element) => element.tagName === 'table')) {
    const rows = elements(table).filter((element) => element.tagName === 'tr');
    const widths = rows.map(
      (row) => row.childNodes.filter((cell) => cell.nodeName === 'td' || cell.nodeName === 'th').length,
    );
    expect(new Set(widths).size, `rows of ${textOf(table).slice(0, 60)}`).toBe(1);
  }
  return { html, root, text: textOf(root) };
}
