import type { ReferenceComparison } from '../diff/compare.js';
import type { AllowlistDiff } from '../diff/diff.js';
import type { RiskNote } from '../diff/risk.js';
import type { HeldBack } from '../profile/reasons.js';
import { style } from '../util/color.js';
import { renderTable, type TableSpec } from '../util/table.js';
import { visible as t } from '../util/visible.js';
import { TEXT_WIDTH, wrapWords } from '../util/wrap.js';
import { type ComparedAbi, type ComparisonView, comparisonView } from './comparison.js';
import {
  ALLOWLIST_DIFF,
  abiSuffix,
  argumentVerdict,
  COLUMNS,
  COMPARISON,
  EVERY_ARGUMENT,
  headlineSentence,
  heldBackText,
  type LeadTitle,
  REASONS,
  reasonCountsText,
  reasonText,
  refusalText,
  seenText,
  unlockText,
} from './words.js';

/**
 * The comparison on a terminal, for `diff` and the text report alike. Every string from an input
 * goes through `t` (util/visible) before any styling, so no control character reaches the terminal.
 */

/** What a table does past TABLE_ROW_LIMIT rows: `diff` folds (the rest is in --json), the report lists all. */
export type Rows = TableSpec['large'];

const FOLD: Rows = { fold: { noun: 'syscalls', rest: '--json or --markdown lists them all' } };

/** Names from an input, made visible before they are measured, so an escape sequence cannot hide width. */
export const nameLines = (names: readonly string[]): string[] => wrapWords(names.map(t), TEXT_WIDTH, '  ');

/** Our own sentence, its input-derived parts already made visible by the caller for the same reason. */
export const proseLines = (sentence: string, indent = ''): string[] =>
  wrapWords(sentence.split(' '), TEXT_WIDTH, indent);

const title = (text: string): string[] => ['', style.bold(text)];
const leadTitle = ({ lead, rest }: LeadTitle): string => `${lead} ${rest}`;

/** "x86_64: 69 allowed vs 309 in Docker's default, 240 fewer (77.7%)". */
export function headlineLine(abi: ComparedAbi, label: string): string {
  return `${abi.abi}: ${style.bold(t(headlineSentence(abi.headline, label)))}`;
}

/** One ABI: what the reference denies or filters, what both allow, what this profile removes. */
export function comparedAbiLines(view: ComparisonView, abi: ComparedAbi, rows: Rows): string[] {
  const label = t(view.label);
  const suffix = abiSuffix(abi.abi, view.abis.length > 1);
  const calls = view.detail === 'calls';
  const lines: string[] = [];
  if (abi.denied.length > 0) {
    const table = renderTable({
      head: [
        COLUMNS.syscall,
        ...(calls ? [COLUMNS.calls] : []),
        label,
        COLUMNS.unlock,
        ...(calls ? [] : [COLUMNS.seen]),
      ],
      alignRight: calls ? [1] : [],
      wrap: calls ? [null, null, null, 0.4] : [null, null, 0.4, null],
      rows: abi.denied.map((entry) => [
        t(entry.name),
        ...(calls ? [entry.usage?.calls ?? ''] : []),
        t(refusalText(entry, view.detail)),
        t(unlockText(entry)),
        ...(calls ? [] : [seenText(entry.observed)]),
      ]),
      large: rows,
    });
    lines.push(...title(`${COMPARISON.denied(label)}${suffix}`), table);
  }
  if (abi.conditional.length > 0) {
    const table = renderTable({
      head: [COLUMNS.syscall, ...(calls ? [COLUMNS.calls] : []), COLUMNS.condition],
      alignRight: calls ? [1] : [],
      wrap: calls ? [null, null, 0.6] : [null, 0.7],
      rows: abi.conditional.map((entry) => [
        t(entry.name),
        ...(calls ? [entry.usage?.calls ?? ''] : []),
        t(entry.condition),
      ]),
      large: rows,
    });
    lines.push(...title(`${COMPARISON.conditional(label)}${suffix}`), table);
  }
  if (abi.argumentRules.length > 0) {
    const table = renderTable({
      head: [COLUMNS.syscall, COLUMNS.thisProfile, label, COLUMNS.verdict],
      wrap: [null, 0.35, 0.35, null],
      rows: abi.argumentRules.map((row) => [
        t(row.name),
        t(row.ours ?? EVERY_ARGUMENT),
        t(row.theirs ?? EVERY_ARGUMENT),
        row.looser ? style.bold(argumentVerdict(true)) : argumentVerdict(false),
      ]),
      large: rows,
    });
    lines.push(...title(`${COMPARISON.argumentRules(label)}${suffix}`), table);
  }
  if (abi.allowed && abi.allowed.length > 0) {
    lines.push(
      ...title(`${COMPARISON.allowed(abi.allowed.length)}${suffix}`),
      ...nameLines(abi.allowed).map(style.dim),
    );
  }
  if (abi.removed.length > 0) {
    lines.push(
      ...title(`${leadTitle(COMPARISON.removed(abi.removed.length, label))}${suffix}`),
      ...nameLines(abi.removed).map(style.dim),
    );
  }
  return lines;
}

/**
 * The dangerous syscalls: those still allowed, each with why and what to check, and those removed.
 * `observed` is known in the report, which has the recording.
 */
export function riskLines(
  needed: readonly (RiskNote & { observed?: boolean })[],
  removed: readonly RiskNote[],
  label: string,
  heading: (text: string) => string[],
): string[] {
  const lines = heading(COMPARISON.dangerous);
  if (needed.length === 0) lines.push(COMPARISON.noRiskKept);
  else {
    lines.push(style.red(COMPARISON.riskKept(needed.length)));
    for (const risk of needed) {
      const seen =
        risk.observed === undefined ? '' : `, ${COLUMNS.seen.toLowerCase()}: ${seenText(risk.observed)}`;
      lines.push(
        `${style.bold(t(risk.name))} ${style.dim(`[${t(risk.category)}${seen}]`)}`,
        ...proseLines(`${COLUMNS.why}: ${t(risk.risk)}`, '    '),
        ...proseLines(`${COLUMNS.check}: ${t(risk.check)}`, '    '),
      );
    }
  }
  if (removed.length > 0) {
    lines.push(
      '',
      style.green(leadTitle(COMPARISON.riskRemoved(removed.length, t(label)))),
      ...nameLines(removed.map((risk) => risk.name)),
    );
  }
  return lines;
}

/** The dangerous calls --widen held back, one line each: in `diff` and the report alike. */
export function heldBackLines(heldBack: readonly HeldBack[], heading: (text: string) => string[]): string[] {
  if (heldBack.length === 0) return [];
  return [
    ...heading(REASONS.heldBack(heldBack.length)),
    ...heldBack.flatMap((held) => proseLines(t(heldBackText(held)), '  ')),
  ];
}

/**
 * Why each call the profile allows is allowed: the count per reason, then (`why`) one row per call
 * with its reason and data, else a hint that --why lists them.
 */
function reasonLines(abi: ComparedAbi, suffix: string, why: boolean): string[] {
  const reasons = abi.reasons ?? [];
  if (reasons.length === 0) return [];
  const counts = `${REASONS.why}${suffix}: ${reasonCountsText(reasons.map(([, reason]) => reason))}`;
  if (!why) return ['', ...proseLines(`${counts}. ${style.dim(`(${REASONS.whyHint})`)}`)];
  const table = renderTable({
    head: [COLUMNS.syscall, COLUMNS.reason],
    wrap: [null, 0.7],
    rows: reasons.map(([name, reason]) => [t(name), t(reasonText(reason))]),
    large: FOLD,
  });
  return [...title(counts), table];
}

/**
 * `diff` against a reference: per ABI the headline, the sections, why each call is allowed (every
 * call with `why`), the dangerous syscalls; then what --widen held back.
 */
export function comparisonText(comparison: ReferenceComparison, why = false): string {
  const view = comparisonView(comparison);
  const lines: string[] = [];
  for (const abi of view.abis) {
    const suffix = abiSuffix(abi.abi, view.abis.length > 1);
    lines.push(
      headlineLine(abi, view.label),
      ...comparedAbiLines(view, abi, FOLD),
      ...reasonLines(abi, suffix, why),
    );
    if (abi.risks) {
      lines.push(
        ...riskLines(abi.risks.needed, abi.risks.removed, view.label, (text) => title(`${text}${suffix}`)),
      );
    }
    lines.push('');
  }
  lines.push(...heldBackLines(comparison.heldBack, title));
  return `${lines.join('\n').trimEnd()}\n`;
}

/** `diff` between two allowlists: per ABI what the second adds, removes and treats differently. */
export function allowlistDiffText(diff: AllowlistDiff): string {
  const lines: string[] = [];
  for (const abi of diff.abis) {
    lines.push(style.bold(`${abi.abi}: ${ALLOWLIST_DIFF.allowed(abi.allowedBefore, abi.allowedAfter)}`));
    if (abi.added.length > 0)
      lines.push(style.red(`${ALLOWLIST_DIFF.added(abi.added.length)}:`), ...nameLines(abi.added));
    if (abi.removed.length > 0)
      lines.push(style.green(`${ALLOWLIST_DIFF.removed(abi.removed.length)}:`), ...nameLines(abi.removed));
    for (const change of abi.changed)
      lines.push(
        `${ALLOWLIST_DIFF.changed} ${t(change.name)}: ${ALLOWLIST_DIFF.change(t(ALLOWLIST_DIFF.treatment(change.from)), t(ALLOWLIST_DIFF.treatment(change.to)))}`,
      );
    if (abi.added.length + abi.removed.length + abi.changed.length === 0) lines.push(ALLOWLIST_DIFF.none);
  }
  if (diff.defaultChanged) {
    const { from, to } = diff.defaultChanged;
    lines.push(`${ALLOWLIST_DIFF.defaultAction}: ${ALLOWLIST_DIFF.change(t(from.action), t(to.action))}`);
  }
  return `${lines.join('\n')}\n`;
}
