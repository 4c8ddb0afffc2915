import type { ReferenceComparison } from '../diff/compare.js';
import type { AllowlistDiff } from '../diff/diff.js';
import type { RiskNote } from '../diff/risk.js';
import type { HeldBack } from '../profile/reasons.js';
import { mdCode as code, mdHtml, mdTable as table, mdText as text } from '../util/markdown.js';
import { type ComparedAbi, type ComparisonView, comparisonView } from './comparison.js';
import {
  ALLOWLIST_DIFF,
  abiSuffix,
  argumentVerdict,
  COLUMNS,
  COMPARISON,
  EVERY_ARGUMENT,
  headlineSentence,
  heldBackDetail,
  type LeadTitle,
  REASONS,
  reasonCountsText,
  reasonText,
  refusalText,
  seenText,
  unlockText,
} from './words.js';

/**
 * The comparison as Markdown, for `diff --markdown` and the Markdown report alike. Every string
 * from an input goes through util/markdown: `text`, `code`, `table`, and mdHtml inside <summary>.
 */

/** A folded block; `summary` is raw HTML (its input-derived parts go through mdHtml). */
export function details(summary: string, body: string[]): string[] {
  return ['<details>', `<summary>${summary}</summary>`, '', ...body, '', '</details>', ''];
}

/** A title in a <summary>, its lead in bold; `rest` holds arguments already made safe by mdHtml. */
const leadSummary = ({ lead, rest }: LeadTitle, suffix = ''): string => `<b>${lead}</b> ${rest}${suffix}`;

/** "**69 allowed vs 309 in Docker's default, 240 fewer (77.7%)** on x86_64". */
export function headlineMarkdown(abi: ComparedAbi, label: string): string {
  return `**${text(headlineSentence(abi.headline, label))}** on ${abi.abi}`;
}

/** One ABI: what the reference denies or filters, what both allow, what this profile removes. */
export function comparedAbiMarkdown(view: ComparisonView, abi: ComparedAbi): string[] {
  const label = text(view.label);
  const suffix = abiSuffix(abi.abi, view.abis.length > 1);
  const calls = view.detail === 'calls';
  const count = (usage: { calls?: number } | undefined): string[] =>
    calls ? [String(usage?.calls ?? '')] : [];
  const lines: string[] = [];
  if (abi.denied.length > 0) {
    lines.push(
      `#### ${COMPARISON.denied(label)}${suffix}`,
      '',
      ...table(
        [
          COLUMNS.syscall,
          ...(calls ? [COLUMNS.calls] : []),
          label,
          COLUMNS.unlock,
          ...(calls ? [] : [COLUMNS.seen]),
        ],
        abi.denied.map((entry) => [
          code(entry.name),
          ...count(entry.usage),
          text(refusalText(entry, view.detail)),
          text(unlockText(entry)),
          ...(calls ? [] : [seenText(entry.observed)]),
        ]),
        calls ? [1] : [],
      ),
      '',
    );
  }
  if (abi.conditional.length > 0) {
    lines.push(
      `#### ${COMPARISON.conditional(label)}${suffix}`,
      '',
      ...table(
        [COLUMNS.syscall, ...(calls ? [COLUMNS.calls] : []), COLUMNS.condition],
        abi.conditional.map((entry) => [code(entry.name), ...count(entry.usage), text(entry.condition)]),
        calls ? [1] : [],
      ),
      '',
    );
  }
  if (abi.argumentRules.length > 0) {
    lines.push(
      `#### ${COMPARISON.argumentRules(label)}${suffix}`,
      '',
      ...table(
        [COLUMNS.syscall, COLUMNS.thisProfile, label, COLUMNS.verdict],
        abi.argumentRules.map((row) => [
          code(row.name),
          text(row.ours ?? EVERY_ARGUMENT),
          text(row.theirs ?? EVERY_ARGUMENT),
          row.looser ? `**${argumentVerdict(true)}**` : argumentVerdict(false),
        ]),
        [],
      ),
      '',
    );
  }
  if (abi.allowed && abi.allowed.length > 0) {
    lines.push(
      ...details(`${COMPARISON.allowed(abi.allowed.length)}${suffix}`, [abi.allowed.map(code).join(' ')]),
    );
  }
  if (abi.removed.length > 0) {
    lines.push(
      ...details(leadSummary(COMPARISON.removed(abi.removed.length, mdHtml(view.label)), suffix), [
        abi.removed.map(code).join(' '),
      ]),
    );
  }
  return lines;
}

function riskRows(risks: readonly (RiskNote & { observed?: boolean })[], withCheck: boolean): string[][] {
  return risks.map((risk) => [
    code(risk.name),
    text(risk.category),
    text(risk.risk),
    ...(withCheck ? [text(risk.check)] : []),
    ...(withCheck && risk.observed !== undefined ? [seenText(risk.observed)] : []),
  ]);
}

/**
 * The dangerous syscalls: those still allowed, with why and what to check, and those removed.
 * `heading` is the level of the section's title ('###' in the report, '####' per ABI in `diff`);
 * the title of those still allowed is always '####', the deepest a comment shows well.
 * `observed` is known in the report, which has the recording.
 */
export function risksMarkdown(
  needed: readonly (RiskNote & { observed?: boolean })[],
  removed: readonly RiskNote[],
  label: string,
  heading: '###' | '####',
  suffix = '',
): string[] {
  const lines = [`${heading} ${COMPARISON.dangerous}${suffix}`, ''];
  if (needed.length === 0) lines.push(COMPARISON.noRiskKept, '');
  else {
    const seen = needed.some((risk) => risk.observed !== undefined) ? [COLUMNS.seen] : [];
    lines.push(
      `#### ${COMPARISON.riskKept(needed.length)}`,
      '',
      ...table([COLUMNS.syscall, COLUMNS.kind, COLUMNS.why, COLUMNS.check, ...seen], riskRows(needed, true)),
      '',
    );
  }
  if (removed.length > 0) {
    lines.push(
      ...details(
        leadSummary(COMPARISON.riskRemoved(removed.length, mdHtml(label))),
        table([COLUMNS.syscall, COLUMNS.kind, COLUMNS.why], riskRows(removed, false)),
      ),
    );
  }
  return lines;
}

/** The dangerous calls --widen held back, one item each: in `diff` and the report alike. */
export function heldBackMarkdown(heldBack: readonly HeldBack[], heading: '###' | '####'): string[] {
  if (heldBack.length === 0) return [];
  return [
    `${heading} ${REASONS.heldBack(heldBack.length)}`,
    '',
    ...heldBack.map((held) => `- ${code(held.name)} ${text(heldBackDetail(held))}`),
    '',
  ];
}

/** Why each call is allowed: the count per reason, and every call with its reason, folded. */
function reasonsMarkdown(abi: ComparedAbi, suffix: string): string[] {
  const reasons = abi.reasons ?? [];
  if (reasons.length === 0) return [];
  return details(
    `${REASONS.why}${suffix}: ${mdHtml(reasonCountsText(reasons.map(([, reason]) => reason)))}`,
    table(
      [COLUMNS.syscall, COLUMNS.reason],
      reasons.map(([name, reason]) => [code(name), text(reasonText(reason))]),
    ),
  );
}

/** `diff --markdown` against a reference: a pull-request comment. */
export function comparisonMarkdown(comparison: ReferenceComparison): string {
  const view = comparisonView(comparison);
  const lines = [`### ${COMPARISON.title(code(comparison.input), text(view.label))}`, ''];
  for (const abi of view.abis) {
    lines.push(
      headlineMarkdown(abi, view.label),
      '',
      ...comparedAbiMarkdown(view, abi),
      ...reasonsMarkdown(abi, abiSuffix(abi.abi, view.abis.length > 1)),
    );
    if (abi.risks) {
      const suffix = abiSuffix(abi.abi, view.abis.length > 1);
      lines.push(...risksMarkdown(abi.risks.needed, abi.risks.removed, view.label, '####', suffix));
    }
  }
  lines.push(...heldBackMarkdown(comparison.heldBack, '####'));
  return `${lines.join('\n').trimEnd()}\n`;
}

/** `diff --markdown` between two allowlists: a pull-request comment. */
export function allowlistDiffMarkdown(diff: AllowlistDiff, before: string, after: string): string {
  const lines = [`### ${ALLOWLIST_DIFF.title(code(before), code(after))}`, ''];
  if (diff.defaultChanged) {
    const { from, to } = diff.defaultChanged;
    lines.push(
      `${ALLOWLIST_DIFF.defaultAction}: ${ALLOWLIST_DIFF.change(text(from.action), text(to.action))}`,
      '',
    );
  }
  for (const abi of diff.abis) {
    lines.push(`**${abi.abi}**: ${ALLOWLIST_DIFF.allowed(abi.allowedBefore, abi.allowedAfter)}`, '');
    if (abi.added.length > 0)
      lines.push(`- ${ALLOWLIST_DIFF.added(abi.added.length)}: ${abi.added.map(code).join(' ')}`);
    if (abi.removed.length > 0)
      lines.push(`- ${ALLOWLIST_DIFF.removed(abi.removed.length)}: ${abi.removed.map(code).join(' ')}`);
    for (const change of abi.changed)
      lines.push(
        `- ${ALLOWLIST_DIFF.changed} ${code(change.name)}: ${ALLOWLIST_DIFF.change(text(ALLOWLIST_DIFF.treatment(change.from)), text(ALLOWLIST_DIFF.treatment(change.to)))}`,
      );
    if (abi.added.length + abi.removed.length + abi.changed.length === 0)
      lines.push(`- ${ALLOWLIST_DIFF.none}`);
    lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
