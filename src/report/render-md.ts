import { fewerText } from '../diff/headline.js';
import { unlockText } from '../diff/markdown.js';
import { errorsCell, UNKNOWN_ERRORS_NOTE } from '../recording/model.js';
import { mdCode as code, mdFence, mdHtml, mdTable as table, mdText as text } from '../util/markdown.js';
import type { ReportRisk, ReviewReport } from './model.js';
import {
  assumedByReason,
  codeSpans,
  hasUnknownErrors,
  headlineText,
  hostsText,
  originText,
  plural,
  profileDocumentText,
  profileText,
  referenceOrigin,
  referenceTarget,
  runsText,
  sourcesText,
  subjectsText,
  totalsText,
  verdictText,
  warningLocation,
  whenText,
} from './words.js';

/**
 * Markdown for a pull-request comment: GitHub tables, long lists folded in <details>. Every string
 * from an input goes through util/markdown: `text`, `code`, `table`, and mdHtml inside <summary>.
 */

/** Our own sentences: `backticked` parts stay code spans, the rest is escaped. */
function prose(sentence: string): string {
  return codeSpans(sentence)
    .map((part) => (part.code ? code(part.text) : text(part.text)))
    .join('');
}

/** A folded block; `summary` is raw HTML (its input-derived parts go through mdHtml). */
function details(summary: string, body: string[]): string[] {
  return ['<details>', `<summary>${summary}</summary>`, '', ...body, '', '</details>', ''];
}

function recordedSection(report: ReviewReport): string[] {
  const { recorded } = report;
  if (!recorded) return ['No recording: this report describes the profile alone.', ''];
  const rows = [
    ['Workload', subjectsText(recorded).map(code).join('<br>')],
    ['Runs', String(recorded.runs)],
    ['When', text(whenText(recorded))],
    ['Host', text(hostsText(recorded))],
    ['Source', text(sourcesText(recorded))],
    ['Observed', text(totalsText(recorded))],
    ['Recorded with', `seccomp-learn ${text(recorded.seccompLearnVersions.join(', '))}`],
    ['Inputs', report.inputs.recordings.map(code).join('<br>')],
  ];
  return [...table(['What was recorded', ''], rows), ''];
}

function warningsSection(report: ReviewReport): string[] {
  if (report.warnings.length === 0) return [];
  const lines = report.warnings.map((warning) => {
    const where = warningLocation(warning);
    return `> - **${text(warning.code)}**${where ? ` (${code(where)})` : ''}: ${text(warning.message)}`;
  });
  return [`### Warnings (${report.warnings.length})`, '', '> [!WARNING]', ...lines, ''];
}

function comparisonSection(report: ReviewReport): string[] {
  const { comparison } = report;
  const label = text(comparison.reference.label);
  const lines = [
    `### Compared with ${label}`,
    '',
    ...table(
      ['ABI', 'This profile', label, 'Difference', 'Needed but denied', 'Argument-filtered'],
      comparison.abis.map((abi) => [
        abi.abi,
        String(abi.headline.workloadAllows),
        String(abi.headline.referenceAllows),
        fewerText(abi.headline),
        String(abi.counts.denied),
        String(abi.counts.conditional),
      ]),
      [1, 2, 4, 5],
    ),
    '',
    `${label} from ${text(referenceOrigin(report))}, evaluated ${text(referenceTarget(report))}.`,
    '',
  ];
  for (const abi of comparison.abis) {
    const suffix = comparison.abis.length > 1 ? ` (${abi.abi})` : '';
    if (abi.denied.length > 0) {
      lines.push(
        `#### Allowed here, denied by ${label}${suffix}`,
        '',
        ...table(
          ['Syscall', label, 'Allowed there with', 'Observed'],
          abi.denied.map((denied) => [
            code(denied.name),
            text(denied.outcomeText),
            text(unlockText(denied)),
            denied.observed ? 'yes' : 'no',
          ]),
        ),
        '',
      );
    }
    if (abi.conditional.length > 0) {
      lines.push(
        `#### Allowed by ${label} only for some arguments${suffix}`,
        '',
        ...table(
          ['Syscall', 'Condition'],
          abi.conditional.map((entry) => [code(entry.name), text(entry.condition)]),
        ),
        '',
      );
    }
    if (abi.removed.length > 0) {
      lines.push(
        ...details(
          `<b>Removed:</b> ${plural(abi.removed.length, 'syscall')} ${mdHtml(comparison.reference.label)} allows and this profile does not${suffix}`,
          [abi.removed.map(code).join(' ')],
        ),
      );
    }
  }
  return lines;
}

function riskRows(risks: readonly ReportRisk[], withCheck: boolean): string[][] {
  return risks.map((risk) => [
    code(risk.name),
    text(risk.category),
    text(risk.risk),
    ...(withCheck ? [text(risk.check), risk.observed ? 'observed' : 'not observed'] : []),
  ]);
}

function risksSection(report: ReviewReport): string[] {
  const { needed, removed } = report.risks;
  const lines = ['### Dangerous syscalls', ''];
  if (needed.length === 0) lines.push('The profile allows none of the syscalls on the review list.', '');
  else {
    lines.push(
      `#### Still allowed: review each (${needed.length})`,
      '',
      ...table(['Syscall', 'Kind', 'Why it is dangerous', 'What to check', 'Seen'], riskRows(needed, true)),
      '',
    );
  }
  if (removed.length > 0) {
    lines.push(
      ...details(
        `<b>Removed:</b> ${plural(removed.length, 'dangerous syscall')} ${mdHtml(report.comparison.reference.label)} allows and this profile does not`,
        table(['Syscall', 'Kind', 'Why it is dangerous'], riskRows(removed, false)),
      ),
    );
  }
  return lines;
}

function syscallsSection(report: ReviewReport): string[] {
  const lines = ['### Syscalls by group', ''];
  const label = text(report.comparison.reference.label);
  for (const abi of report.syscalls) {
    const rows = abi.groups.flatMap((group) =>
      group.syscalls.map((row, index) => [
        index === 0 ? `**${text(group.title)}**` : '',
        `${code(row.name)}${row.dangerous ? ' ⚠' : ''}`,
        row.calls === undefined ? '' : String(row.calls),
        errorsCell(row),
        runsText(row, report.recorded),
        text(originText(row)),
        verdictText(row.reference),
      ]),
    );
    lines.push(
      ...details(
        `<b>${abi.abi}${abi.native ? '' : ' (compat ABI)'}:</b> ${plural(abi.count, 'syscall')} in ${plural(abi.groups.length, 'group')}`,
        [
          ...table(['Group', 'Syscall', 'Calls', 'Errors', 'Runs', 'Origin', label], rows, [2, 3, 4]),
          ...(hasUnknownErrors(abi) ? ['', `<sub>${UNKNOWN_ERRORS_NOTE}</sub>`] : []),
        ],
      ),
    );
  }
  for (const [why, names] of assumedByReason(report)) {
    lines.push(`${why} (${names.length}): ${names.map((name) => code(name)).join(' ')}`, '');
  }
  return lines;
}

async function profileSection(report: ReviewReport): Promise<string[]> {
  return [
    '### The profile',
    '',
    `${text(profileText(report))}.`,
    '',
    ...details(
      `Profile JSON (${mdHtml(`${report.profile.name}.json`)}, ${plural(report.profile.allowed, 'syscall')})`,
      mdFence('json', profileDocumentText(report).trimEnd()),
    ),
  ];
}

function applySection(report: ReviewReport): string[] {
  const lines = ['### How to apply', ''];
  for (const step of report.apply) {
    lines.push(`**${text(step.target)}**: ${prose(step.description)}`, '');
    for (const block of step.code) lines.push(...mdFence(block.language, block.text), '');
  }
  return lines;
}

export async function renderMarkdown(report: ReviewReport): Promise<string> {
  const headlines = report.comparison.abis.map(
    (abi) => `**${text(headlineText(report, abi))}** on ${abi.abi}`,
  );
  const lines = [
    `## Seccomp review: ${code(report.title)}`,
    '',
    ...headlines.map((line) => `${line}  `),
    '',
    ...recordedSection(report),
    ...warningsSection(report),
    ...comparisonSection(report),
    ...risksSection(report),
    ...syscallsSection(report),
    ...(await profileSection(report)),
    ...applySection(report),
    `<sub>seccomp-learn ${text(report.seccompLearn)} · ${text(report.format)}</sub>`,
  ];
  return `${lines.join('\n').replace(/\n{3,}/g, '\n\n')}\n`;
}
