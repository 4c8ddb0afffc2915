import { extname } from 'node:path';
import type { ReferenceComparison } from '../diff/compare.js';
import type { AllowlistDiff } from '../diff/diff.js';
import { UserError } from '../errors.js';
import { stringifyJson } from '../util/json-exact.js';
import { inertJson } from '../util/visible.js';
import type { ReviewReport } from './model.js';

export const REPORT_FORMATS = ['md', 'html', 'json', 'text'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

const BY_EXTENSION: Readonly<Record<string, ReportFormat>> = {
  '.md': 'md',
  '.markdown': 'md',
  '.html': 'html',
  '.htm': 'html',
  '.json': 'json',
  '.txt': 'text',
  '.text': 'text',
};

/**
 * --format wins; else the output file's extension; else text for a person at a terminal and
 * Markdown for anything else (a pipe into a PR comment, a CI log).
 */
export function chooseFormat(
  format: ReportFormat | undefined,
  output: string | undefined,
  tty: boolean,
): ReportFormat {
  if (format) return format;
  if (output) {
    const inferred = BY_EXTENSION[extname(output).toLowerCase()];
    if (!inferred) {
      throw new UserError(
        `cannot tell the report format from "${output}": use .md, .html, .json or .txt, or --format`,
      );
    }
    return inferred;
  }
  return tty ? 'text' : 'md';
}

/** Each renderer is loaded only when asked for: the HTML one is the largest and `text` is the common case. */
export async function renderReport(report: ReviewReport, format: ReportFormat): Promise<string> {
  switch (format) {
    case 'md':
      return (await import('./render-md.js')).renderMarkdown(report);
    case 'html':
      return (await import('./render-html.js')).renderHtml(report);
    case 'json':
      return renderJson(report);
    case 'text':
      return (await import('./render-text.js')).renderText(report);
  }
}

/**
 * A model as JSON text: exact numbers, and the control characters JSON.stringify leaves raw (DEL,
 * C1) written as \u escapes. `--json` and `--format json` print it.
 */
export function renderJson(model: unknown): string {
  return `${inertJson(stringifyJson(model))}\n`;
}

export const COMPARISON_FORMATS = ['text', 'markdown', 'json'] as const;
export type ComparisonFormat = (typeof COMPARISON_FORMATS)[number];

/**
 * `diff` against a reference in a format; the text is for a terminal (colour as util/color decides)
 * and lists each allowed call's reason only with `why` (JSON and Markdown always do).
 */
export async function renderReferenceComparison(
  comparison: ReferenceComparison,
  format: ComparisonFormat,
  why = false,
): Promise<string> {
  switch (format) {
    case 'json':
      return renderJson(comparison);
    case 'markdown':
      return (await import('./comparison-md.js')).comparisonMarkdown(comparison);
    case 'text':
      return (await import('./comparison-text.js')).comparisonText(comparison, why);
  }
}

/** `diff` between two allowlists, `before` and `after` naming them, in a format. */
export async function renderAllowlistDiff(
  diff: AllowlistDiff,
  before: string,
  after: string,
  format: ComparisonFormat,
): Promise<string> {
  switch (format) {
    case 'json':
      return renderJson(diff);
    case 'markdown':
      return (await import('./comparison-md.js')).allowlistDiffMarkdown(diff, before, after);
    case 'text':
      return (await import('./comparison-text.js')).allowlistDiffText(diff);
  }
}
