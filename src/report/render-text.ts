import { errorsCell, UNKNOWN_ERRORS_NOTE } from '../recording/model.js';
import { style } from '../util/color.js';
import { renderTable, type TableCell } from '../util/table.js';
import { visible as t, visibleLines } from '../util/visible.js';
import { reportView, summaryTable } from './comparison.js';
import { comparedAbiLines, headlineLine, heldBackLines, proseLines, riskLines } from './comparison-text.js';
import type { ReviewReport } from './model.js';
import {
  COMPARISON,
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
 * The report for a terminal: cli-table3 tables, colour only where output.ts allows it (NO_COLOR).
 * Every string from an input goes through `t` (util/visible), so no control character reaches the terminal.
 */

const heading = (title: string): string[] => ['', style.bold(title), style.dim('─'.repeat(title.length))];

function recordedLines(report: ReviewReport): string[] {
  const { recorded } = report;
  if (!recorded)
    return [...heading('What was recorded'), 'No recording: this report describes the profile alone.'];
  const facts: [string, string[]][] = [
    ['workload', subjectsText(recorded).map(t)],
    ['runs', [String(recorded.runs)]],
    ['when', [t(whenText(recorded))]],
    ['host', [t(hostsText(recorded))]],
    ['source', [t(sourcesText(recorded))]],
    ['observed', [totalsText(recorded)]],
    ['recorded with', [`seccomp-learn ${t(recorded.seccompLearnVersions.join(', '))}`]],
    ['inputs', report.inputs.recordings.map(t)],
  ];
  return [
    ...heading('What was recorded'),
    ...facts.flatMap(([label, values]) =>
      values.map((value, index) => `${style.dim((index === 0 ? label : '').padEnd(15))}${value}`),
    ),
  ];
}

function warningLines(report: ReviewReport): string[] {
  if (report.warnings.length === 0) return [];
  return [
    ...heading(`Warnings (${report.warnings.length})`),
    ...report.warnings.flatMap((warning) => {
      const where = warningLocation(warning);
      return [
        style.yellow(`! ${t(warning.code)}${where ? ` (${t(where)})` : ''}`),
        ...proseLines(t(warning.message), '    '),
      ];
    }),
  ];
}

function comparisonLines(report: ReviewReport): string[] {
  const view = reportView(report);
  const label = t(view.label);
  const summary = summaryTable(view);
  const table = renderTable({
    head: summary.head,
    alignRight: summary.right,
    rows: summary.rows,
    large: 'all',
  });
  return [
    ...heading(COMPARISON.compared(label)),
    table.toString(),
    ...proseLines(COMPARISON.evaluated(label, t(referenceOrigin(report)), t(referenceTarget(report)))),
    ...view.abis.flatMap((abi) => comparedAbiLines(view, abi, 'all')),
  ];
}

function riskLinesOf(report: ReviewReport): string[] {
  return riskLines(report.risks.needed, report.risks.removed, report.comparison.reference.label, heading);
}

function syscallLines(report: ReviewReport): string[] {
  const lines: string[] = [];
  for (const abi of report.syscalls) {
    const rows: TableCell[][] = [];
    for (const group of abi.groups) {
      group.syscalls.forEach((row, index) => {
        rows.push([
          index === 0 ? group.title : '',
          row.dangerous ? style.red(`${t(row.name)} !`) : t(row.name),
          row.calls ?? '',
          errorsCell(row),
          runsText(row, report.recorded),
          row.reason.kind === 'observed' && row.allowed
            ? t(originText(row))
            : style.yellow(t(originText(row))),
          verdictText(row.reference),
        ]);
      });
    }
    const table = renderTable({
      head: ['group', 'syscall', 'calls', 'errors', 'runs', 'reason', t(report.comparison.reference.label)],
      alignRight: [2, 3, 4],
      rows,
      large: 'all',
    });
    const title = `Syscalls on ${abi.abi}${abi.native ? '' : ' (compat ABI)'}: ${plural(abi.count, 'syscall')} in ${plural(abi.groups.length, 'group')}`;
    lines.push(...heading(title), table);
    if (hasUnknownErrors(abi)) lines.push(style.dim(UNKNOWN_ERRORS_NOTE));
  }
  return [...lines, ...heldBackLines(report.profile.heldBack, heading)];
}

async function profileLines(report: ReviewReport): Promise<string[]> {
  return [
    ...heading(`The profile (${t(report.profile.name)}.json, ${plural(report.profile.allowed, 'syscall')})`),
    ...proseLines(`${t(profileText(report))}.`),
    '',
    visibleLines(profileDocumentText(report).trimEnd()),
  ];
}

function applyLines(report: ReviewReport): string[] {
  return [
    ...heading('How to apply'),
    ...report.apply.flatMap((step) => [
      style.bold(step.target),
      ...proseLines(step.description, '  '),
      ...step.code.flatMap((block) => block.text.split('\n').map((line) => `    ${t(line)}`)),
      '',
    ]),
  ];
}

export async function renderText(report: ReviewReport): Promise<string> {
  const lines = [
    style.bold(`Seccomp review: ${t(report.title)}`),
    ...report.comparison.abis.map((abi) => headlineLine(abi, report.comparison.reference.label)),
    ...(report.profile.removeSet
      ? [style.yellow(t(removeSetText(report.profile.removeSet, report.comparison.reference.label)))]
      : []),
    ...recordedLines(report),
    ...warningLines(report),
    ...comparisonLines(report),
    ...riskLinesOf(report),
    ...syscallLines(report),
    ...(await profileLines(report)),
    ...applyLines(report),
    style.dim(`seccomp-learn ${report.seccompLearn}`),
  ];
  return `${lines.join('\n')}\n`;
}
