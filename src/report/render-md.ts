import { errorsCell, UNKNOWN_ERRORS_NOTE } from '../recording/model.js';
import { mdCode as code, mdFence, mdHtml, mdTable as table, mdText as text } from '../util/markdown.js';
import { reportView, summaryTable } from './comparison.js';
import {
  comparedAbiMarkdown,
  details,
  headlineMarkdown,
  heldBackMarkdown,
  risksMarkdown,
} from './comparison-md.js';
import type { ReviewReport } from './model.js';
import {
  assumedByReason,
  COLUMNS,
  COMPARISON,
  codeSpans,
  hasUnknownErrors,
  hostsText,
  originText,
  plural,
  profileDocumentText,
  profileText,
  referenceOrigin,
  referenceTarget,
  removeSetText,
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
  const view = reportView(report);
  const label = text(view.label);
  const summary = summaryTable(view);
  return [
    `### ${COMPARISON.compared(label)}`,
    '',
    ...table(summary.head.map(text), summary.rows, summary.right),
    '',
    COMPARISON.evaluated(label, text(referenceOrigin(report)), text(referenceTarget(report))),
    '',
    ...view.abis.flatMap((abi) => comparedAbiMarkdown(view, abi)),
  ];
}

function risksSection(report: ReviewReport): string[] {
  return risksMarkdown(report.risks.needed, report.risks.removed, report.comparison.reference.label, '###');
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
          ...table(['Group', 'Syscall', 'Calls', 'Errors', 'Runs', COLUMNS.reason, label], rows, [2, 3, 4]),
          ...(hasUnknownErrors(abi) ? ['', `<sub>${UNKNOWN_ERRORS_NOTE}</sub>`] : []),
        ],
      ),
    );
  }
  for (const [why, names] of assumedByReason(report)) {
    lines.push(`${why} (${names.length}): ${names.map((name) => code(name)).join(' ')}`, '');
  }
  return [...lines, ...heldBackMarkdown(report.profile.heldBack, '###')];
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
  const headlines = report.comparison.abis.map((abi) =>
    headlineMarkdown(abi, report.comparison.reference.label),
  );
  const lines = [
    `## Seccomp review: ${code(report.title)}`,
    '',
    ...headlines.map((line) => `${line}  `),
    ...(report.profile.removeSet
      ? [`**${text(removeSetText(report.profile.removeSet, report.comparison.reference.label))}**`]
      : []),
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
