import { fewerText } from '../diff/headline.js';
import { unlockText } from '../diff/markdown.js';
import { errorsCell, UNKNOWN_ERRORS_NOTE } from '../recording/model.js';
import { style } from '../util/color.js';
import { renderTable, type TableCell } from '../util/table.js';
import { visible as t, visibleLines } from '../util/visible.js';
import type { ReviewReport } from './model.js';
import {
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
 * The report for a terminal: cli-table3 tables, colour only where output.ts allows it (NO_COLOR).
 * Every string from an input goes through `t` (util/visible), so no control character reaches the terminal.
 */

const WIDTH = 100;

/** Words filled into lines of at most WIDTH columns, each line indented. */
function wrap(words: readonly string[], indent = '  '): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line && indent.length + line.length + 1 + word.length > WIDTH) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines;
}

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
        ...wrap(t(warning.message).split(' '), '    '),
      ];
    }),
  ];
}

function comparisonLines(report: ReviewReport): string[] {
  const { comparison } = report;
  const label = t(comparison.reference.label);
  const table = renderTable({
    head: ['ABI', 'this profile', label, 'difference', 'denied there', 'arg-filtered'],
    alignRight: [1, 2, 4, 5],
    rows: comparison.abis.map((abi) => [
      abi.abi,
      abi.headline.workloadAllows,
      abi.headline.referenceAllows,
      fewerText(abi.headline),
      abi.counts.denied,
      abi.counts.conditional,
    ]),
    large: 'all',
  });
  const lines = [
    ...heading(`Compared with ${label}`),
    table.toString(),
    ...wrap(
      `${label} from ${t(referenceOrigin(report))}, evaluated ${t(referenceTarget(report))}.`.split(' '),
      '',
    ),
  ];
  for (const abi of comparison.abis) {
    if (abi.denied.length > 0) {
      const denied = renderTable({
        head: ['syscall', label, 'allowed there with', 'observed'],
        rows: abi.denied.map((entry) => [
          entry.name,
          entry.outcomeText,
          unlockText(entry),
          entry.observed ? 'yes' : 'no',
        ]),
        large: 'all',
      });
      lines.push('', style.bold(`Allowed here, denied by ${label} (${abi.abi})`), denied);
    }
    if (abi.conditional.length > 0) {
      const conditional = renderTable({
        head: ['syscall', 'condition'],
        wrap: [null, 0.7],
        rows: abi.conditional.map((entry) => [t(entry.name), t(entry.condition)]),
        large: 'all',
      });
      lines.push('', style.bold(`Allowed by ${label} only for some arguments (${abi.abi})`), conditional);
    }
    if (abi.removed.length > 0) {
      lines.push(
        '',
        style.bold(
          `Removed: ${plural(abi.removed.length, 'syscall')} ${label} allows and this profile does not (${abi.abi})`,
        ),
        ...wrap(abi.removed.map(t)),
      );
    }
  }
  return lines;
}

function riskLines(report: ReviewReport): string[] {
  const { needed, removed } = report.risks;
  const lines = heading('Dangerous syscalls');
  if (needed.length === 0) lines.push('The profile allows none of the syscalls on the review list.');
  else {
    lines.push(style.red(`Still allowed: review each (${needed.length})`));
    for (const risk of needed) {
      lines.push(
        `${style.bold(t(risk.name))} ${style.dim(`[${t(risk.category)}${risk.observed ? ', observed' : ', not observed'}]`)}`,
        ...wrap(`why: ${t(risk.risk)}`.split(' '), '    '),
        ...wrap(`check: ${t(risk.check)}`.split(' '), '    '),
      );
    }
  }
  if (removed.length > 0) {
    lines.push(
      '',
      style.green(`Removed compared with ${t(report.comparison.reference.label)} (${removed.length})`),
      ...wrap(removed.map((risk) => t(risk.name))),
    );
  }
  return lines;
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
          row.origin === 'observed' && row.allowed ? originText(row) : style.yellow(originText(row)),
          verdictText(row.reference),
        ]);
      });
    }
    const table = renderTable({
      head: ['group', 'syscall', 'calls', 'errors', 'runs', 'origin', t(report.comparison.reference.label)],
      alignRight: [2, 3, 4],
      rows,
      large: 'all',
    });
    const title = `Syscalls on ${abi.abi}${abi.native ? '' : ' (compat ABI)'}: ${plural(abi.count, 'syscall')} in ${plural(abi.groups.length, 'group')}`;
    lines.push(...heading(title), table);
    if (hasUnknownErrors(abi)) lines.push(style.dim(UNKNOWN_ERRORS_NOTE));
  }
  return lines;
}

async function profileLines(report: ReviewReport): Promise<string[]> {
  return [
    ...heading(`The profile (${t(report.profile.name)}.json, ${plural(report.profile.allowed, 'syscall')})`),
    ...wrap(`${t(profileText(report))}.`.split(' '), ''),
    '',
    visibleLines(profileDocumentText(report).trimEnd()),
  ];
}

function applyLines(report: ReviewReport): string[] {
  return [
    ...heading('How to apply'),
    ...report.apply.flatMap((step) => [
      style.bold(step.target),
      ...wrap(step.description.split(' ')),
      ...step.code.flatMap((block) => block.text.split('\n').map((line) => `    ${t(line)}`)),
      '',
    ]),
  ];
}

export async function renderText(report: ReviewReport): Promise<string> {
  const lines = [
    style.bold(`Seccomp review: ${t(report.title)}`),
    ...report.comparison.abis.map((abi) => `${abi.abi}: ${style.bold(t(headlineText(report, abi)))}`),
    ...recordedLines(report),
    ...warningLines(report),
    ...comparisonLines(report),
    ...riskLines(report),
    ...syscallLines(report),
    ...(await profileLines(report)),
    ...applyLines(report),
    style.dim(`seccomp-learn ${report.seccompLearn}`),
  ];
  return `${lines.join('\n')}\n`;
}
