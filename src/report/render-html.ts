import { errorsCell, UNKNOWN_ERRORS_NOTE } from '../recording/model.js';
import {
  CHART_COLORS,
  comparisonChart,
  escapeHtml as esc,
  escapeHtmlLines,
  groupsChart,
  mostCalledChart,
} from './charts.js';
import { reportView, summaryTable } from './comparison.js';
import type { AbiAgainstReference, ReportRisk, ReviewReport } from './model.js';
import {
  abiSuffix,
  argumentVerdict,
  COLUMNS,
  COMPARISON,
  codeSpans,
  EVERY_ARGUMENT,
  hasUnknownErrors,
  heldBackDetail,
  hostsText,
  originText,
  plural,
  profileDocumentText,
  profileText,
  REASONS,
  referenceOrigin,
  referenceTarget,
  refusalText,
  removeSetText,
  runsText,
  seenText,
  sourcesText,
  strictnessText,
  subjectsText,
  totalsText,
  unlockText,
  verdictText,
  warningLocation,
  whenText,
} from './words.js';

/**
 * One self-contained page: inline CSS and SVG, no script, no fonts or images to fetch, so it opens
 * from a mail attachment or an air-gapped machine and prints as it looks.
 */

const CSS = `
:root { --text: #1f2937; --muted: #6b7280; --line: #e5e7eb; --soft: #f6f7f9; --accent: ${CHART_COLORS.kept};
  --good: ${CHART_COLORS.removed}; --warn: ${CHART_COLORS.denied}; --bad: ${CHART_COLORS.errors}; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--text); background: #fff; font: 14px/1.5 -apple-system, 'Segoe UI', Roboto,
  'Helvetica Neue', Arial, sans-serif; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
main { max-width: 1060px; margin: 0 auto; padding: 32px 28px 48px; }
code, pre, .mono { font-family: ui-monospace, 'SFMono-Regular', Menlo, Consolas, 'DejaVu Sans Mono', monospace; font-size: 12.5px; }
header { border-bottom: 3px solid var(--accent); padding-bottom: 14px; margin-bottom: 22px; }
.eyebrow { text-transform: uppercase; letter-spacing: .08em; font-size: 12px; color: var(--accent); font-weight: 700; }
h1 { font-size: 26px; margin: 4px 0 6px; word-break: break-word; }
h1 code { font-size: 24px; }
.sub { color: var(--muted); margin: 0; }
h2 { font-size: 19px; margin: 34px 0 10px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 22px 0 8px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; margin: 18px 0 8px; }
.card { border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; background: var(--soft); }
.card .num { font-size: 32px; font-weight: 750; line-height: 1.1; font-variant-numeric: tabular-nums; }
.card .label { color: var(--muted); font-size: 12.5px; margin-top: 4px; }
.card.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
.card.primary .label { color: #dbe6fb; }
.card.good .num { color: var(--good); } .card.warn .num { color: #b86a12; } .card.bad .num { color: var(--bad); }
.abi-tag { display: inline-block; font-size: 12px; color: var(--muted); margin: 10px 0 0; }
.charts { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 18px; }
.panel { border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; break-inside: avoid; }
.panel h3 { margin-top: 0; }
.panel .chart + h3 { margin-top: 22px; }
.panel h3 + .chart { margin-top: 12px; }
.chart { display: block; max-width: 100%; height: auto; }
.note { color: var(--muted); font-size: 12.5px; }
.warnings { border: 1px solid #f3d19e; border-left: 5px solid var(--warn); background: #fff8ec; border-radius: 8px;
  padding: 10px 16px; margin: 18px 0; }
.warnings h2 { border: 0; margin: 4px 0 6px; font-size: 16px; }
.warnings ul { margin: 0; padding-left: 18px; } .warnings li { margin: 4px 0; }
.tag { display: inline-block; font-size: 11.5px; font-weight: 600; border-radius: 999px; padding: 1px 8px;
  background: #eef1f6; color: #374151; white-space: nowrap; }
.tag.warn { background: #fdebd3; color: #8a4d0a; } .tag.bad { background: #fbe1e1; color: #9b1c1c; }
.tag.good { background: #dcf3e8; color: #16653f; } .tag.info { background: #e3ebfb; color: #1e4fb3; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); background: var(--soft); }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.group td { background: #f9fafb; font-weight: 650; padding-top: 10px; }
tr.group .desc { font-weight: 400; color: var(--muted); font-size: 12.5px; margin-left: 8px; }
tr { break-inside: avoid; }
dl.facts { display: grid; grid-template-columns: 160px 1fr; gap: 6px 16px; margin: 0; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
.chips { display: flex; flex-wrap: wrap; gap: 4px; margin: 6px 0 10px; }
.chips code { background: var(--soft); border: 1px solid var(--line); border-radius: 4px; padding: 0 5px; font-size: 11.5px; }
.chips.removed code { color: #16653f; background: #f0faf5; border-color: #cdebdc; }
pre { background: #0f172a; color: #e2e8f0; padding: 12px 14px; border-radius: 8px; overflow: auto; margin: 6px 0 10px; }
pre.profile { max-height: 420px; }
.apply { border: 1px solid var(--line); border-radius: 10px; }
.apply .step { display: grid; grid-template-columns: 250px minmax(0, 1fr); gap: 18px; padding: 14px 16px;
  border-top: 1px solid var(--line); break-inside: avoid; }
.apply .step:first-child { border-top: 0; }
.apply h3 { margin: 0 0 4px; }
.apply p { margin: 0; color: var(--muted); font-size: 13px; }
.apply pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0 0 8px; }
.apply pre:last-child { margin-bottom: 0; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding-top: 10px; }
table.syscalls col.name { width: 30%; } table.syscalls col.num { width: 8%; }
@media (max-width: 820px) { .charts, .apply .step { grid-template-columns: 1fr; } }
@media print {
  @page { margin: 14mm; }
  body { font-size: 11px; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  .panel, .card, table { break-inside: avoid-page; }
  table { break-inside: auto; }
  pre, pre.profile { max-height: none; overflow: visible; white-space: pre-wrap; word-break: break-all; }
  .charts { grid-template-columns: 1fr 1fr; }
}
`;

const tag = (text: string, kind = ''): string =>
  `<span class="tag${kind ? ` ${kind}` : ''}">${esc(text)}</span>`;

function headlineCards(report: ReviewReport, comparison: AbiAgainstReference): string {
  const label = report.comparison.reference.label;
  const { headline, counts } = comparison;
  const percent = headline.fewer >= 0 ? `${headline.percentFewer}%` : `+${-headline.fewer}`;
  const cards = [
    ['primary', String(headline.workloadAllows), 'syscalls allowed by this profile'],
    ['', String(headline.referenceAllows), `allowed by ${label}`],
    ['good', percent, headline.fewer >= 0 ? `fewer: ${headline.fewer} removed` : 'more than the reference'],
    [counts.denied > 0 ? 'warn' : '', String(counts.denied), COMPARISON.denied(label)],
    [
      report.risks.needed.length > 0 ? 'bad' : '',
      String(report.risks.needed.length),
      'dangerous syscalls still allowed',
    ],
  ];
  const abi =
    report.comparison.abis.length > 1
      ? `<div class="abi-tag">ABI <code>${esc(comparison.abi)}</code></div>`
      : '';
  const strictness =
    headline.looser === undefined
      ? ''
      : `<p>${tag(strictnessText(headline.looser, label), headline.looser.length > 0 ? 'bad' : 'good')}</p>`;
  return `${abi}<div class="cards">${cards
    .map(
      ([kind, num, text]) =>
        `<div class="card ${kind}"><div class="num">${esc(num ?? '')}</div><div class="label">${esc(text ?? '')}</div></div>`,
    )
    .join('')}</div>${strictness}`;
}

function chartsSection(report: ReviewReport): string {
  const label = report.comparison.reference.label;
  const comparisons = report.comparison.abis
    .map(
      (abi) =>
        `${report.comparison.abis.length > 1 ? `<p class="note">${esc(abi.abi)}</p>` : ''}${comparisonChart(abi, label)}`,
    )
    .join('');
  const mostCalled = report.recorded
    ? `<h3>Most-called syscalls</h3>${mostCalledChart(report.recorded)}<p class="note">Top ${report.recorded.mostCalled.length} of ${plural(report.recorded.totals.syscalls, 'syscall')}; red: calls that failed.</p>`
    : '<h3>Most-called syscalls</h3><p class="note">No recording was given, so there are no call counts.</p>';
  const groups = report.syscalls
    .map(
      (abi) =>
        `<h3>Allowed syscalls by group${report.syscalls.length > 1 ? ` (${esc(abi.abi)})` : ''}</h3>${groupsChart(abi)}`,
    )
    .join('');
  return `<div class="charts"><section class="panel"><h3>This profile against ${esc(label)}</h3>${comparisons}${groups}</section><section class="panel">${mostCalled}</section></div>`;
}

function warningsSection(report: ReviewReport): string {
  if (report.warnings.length === 0) return '';
  const items = report.warnings.map((warning) => {
    const where = warningLocation(warning);
    return `<li>${tag(warning.code, 'warn')} ${where ? `<code>${esc(where)}</code> ` : ''}${esc(warning.message)}</li>`;
  });
  return `<section class="warnings"><h2>Warnings (${report.warnings.length})</h2><ul>${items.join('')}</ul></section>`;
}

function recordedSection(report: ReviewReport): string {
  const { recorded } = report;
  if (!recorded) {
    return '<h2>What was recorded</h2><p>No recording: this report describes the profile alone.</p>';
  }
  const facts: [string, string][] = [
    [
      'Workload',
      subjectsText(recorded)
        .map((subject) => `<code>${esc(subject)}</code>`)
        .join('<br>'),
    ],
    ['Runs', esc(String(recorded.runs))],
    ['When', esc(whenText(recorded))],
    ['Host', esc(hostsText(recorded))],
    ['Source', esc(sourcesText(recorded))],
    ['Observed', esc(totalsText(recorded))],
    ['Recorded with', `seccomp-learn ${esc(recorded.seccompLearnVersions.join(', '))}`],
    ['Inputs', report.inputs.recordings.map((file) => `<code>${esc(file)}</code>`).join('<br>')],
  ];
  return `<h2>What was recorded</h2><dl class="facts">${facts.map(([term, value]) => `<dt>${term}</dt><dd>${value}</dd>`).join('')}</dl>`;
}

function riskTable(risks: readonly ReportRisk[], withCheck: boolean): string {
  const head = [COLUMNS.syscall, COLUMNS.why, ...(withCheck ? [COLUMNS.check] : [])];
  const rows = risks.map((risk) => {
    const seen = withCheck
      ? `<br>${tag(`${COLUMNS.seen}: ${seenText(risk.observed)}`, risk.observed ? 'bad' : '')}`
      : '';
    return `<tr><td><code>${esc(risk.name)}</code><br>${tag(risk.category)}${seen}</td><td>${esc(risk.risk)}</td>${withCheck ? `<td>${esc(risk.check)}</td>` : ''}</tr>`;
  });
  return `<table><tr>${head.map((title) => `<th>${title}</th>`).join('')}</tr>${rows.join('')}</table>`;
}

function risksSection(report: ReviewReport): string {
  const { needed, removed } = report.risks;
  const label = esc(report.comparison.reference.label);
  const kept =
    needed.length === 0
      ? `<p>${COMPARISON.noRiskKept}</p>`
      : `<h3>${COMPARISON.riskKept(needed.length)}</h3>${riskTable(needed, true)}`;
  const { lead, rest } = COMPARISON.riskRemoved(removed.length, label);
  const gone = removed.length === 0 ? '' : `<h3>${lead} ${rest}</h3>${riskTable(removed, false)}`;
  return `<h2>${COMPARISON.dangerous}</h2>${kept}${gone}`;
}

function comparisonSection(report: ReviewReport): string {
  const view = reportView(report);
  const label = esc(view.label);
  const summary = summaryTable(view);
  // The ABI is a name, set as code; every other column is a number or a difference, set right.
  const cell = (value: string, index: number, tag: 'td' | 'th'): string =>
    index === 0
      ? `<${tag}>${tag === 'td' ? `<code>${esc(value)}</code>` : esc(value)}</${tag}>`
      : `<${tag} class="n">${esc(value)}</${tag}>`;
  const row = (cells: string[], tag: 'td' | 'th'): string =>
    `<tr>${cells.map((value, index) => cell(value, index, tag)).join('')}</tr>`;
  const parts = [
    `<h2>${COMPARISON.compared(label)}</h2>`,
    `<table>${row(summary.head, 'th')}${summary.rows.map((cells) => row(cells, 'td')).join('')}</table>`,
    `<p class="note">${COMPARISON.evaluated(label, `<code>${esc(referenceOrigin(report))}</code>`, esc(referenceTarget(report)))}</p>`,
  ];
  for (const abi of view.abis) {
    const suffix = esc(abiSuffix(abi.abi, view.abis.length > 1));
    if (abi.denied.length > 0) {
      const rows = abi.denied
        .map(
          (denied) =>
            `<tr><td><code>${esc(denied.name)}</code></td><td>${esc(refusalText(denied, view.detail))}</td><td>${esc(unlockText(denied))}</td><td>${tag(seenText(denied.observed), denied.observed ? 'warn' : '')}</td></tr>`,
        )
        .join('');
      parts.push(
        `<h3>${COMPARISON.denied(label)}${suffix}</h3><table><tr><th>${COLUMNS.syscall}</th><th>${label}</th><th>${COLUMNS.unlock}</th><th>${COLUMNS.seen}</th></tr>${rows}</table>`,
      );
    }
    if (abi.conditional.length > 0) {
      const rows = abi.conditional
        .map((entry) => `<tr><td><code>${esc(entry.name)}</code></td><td>${esc(entry.condition)}</td></tr>`)
        .join('');
      parts.push(
        `<h3>${COMPARISON.conditional(label)}${suffix}</h3><table><tr><th>${COLUMNS.syscall}</th><th>${COLUMNS.condition}</th></tr>${rows}</table>`,
      );
    }
    if (abi.argumentRules.length > 0) {
      const rows = abi.argumentRules
        .map(
          (row) =>
            `<tr><td><code>${esc(row.name)}</code></td><td>${esc(row.ours ?? EVERY_ARGUMENT)}</td><td>${esc(row.theirs ?? EVERY_ARGUMENT)}</td><td>${tag(argumentVerdict(row.looser), row.looser ? 'warn' : '')}</td></tr>`,
        )
        .join('');
      parts.push(
        `<h3>${COMPARISON.argumentRules(label)}${suffix}</h3><table><tr><th>${COLUMNS.syscall}</th><th>${COLUMNS.thisProfile}</th><th>${label}</th><th>${COLUMNS.verdict}</th></tr>${rows}</table>`,
      );
    }
    if (abi.removed.length > 0) {
      const { lead, rest } = COMPARISON.removed(abi.removed.length, label);
      parts.push(
        `<h3>${lead} ${rest}${suffix}</h3><div class="chips removed">${abi.removed.map((name) => `<code>${esc(name)}</code>`).join('')}</div>`,
      );
    }
  }
  return parts.join('');
}

function originTag(text: string, observed: boolean, allowed: boolean): string {
  if (!allowed) return tag(text, 'bad');
  return observed ? tag(text) : tag(text, 'info');
}

function verdictTag(text: string, verdict: string | undefined): string {
  if (verdict === 'denied') return tag(text, 'warn');
  if (verdict === 'conditional') return tag(text, 'info');
  return tag(text);
}

/** The dangerous calls --widen held back, one item each. */
function heldBackSection(report: ReviewReport): string {
  const { heldBack } = report.profile;
  if (heldBack.length === 0) return '';
  const items = heldBack
    .map((held) => `<li><code>${esc(held.name)}</code> ${esc(heldBackDetail(held))}</li>`)
    .join('');
  return `<h3>${esc(REASONS.heldBack(heldBack.length))}</h3><ul>${items}</ul>`;
}

function syscallsSection(report: ReviewReport): string {
  const label = esc(report.comparison.reference.label);
  const tables = report.syscalls.map((abi) => {
    const rows = abi.groups.flatMap((group) => [
      `<tr class="group"><td colspan="6">${esc(group.title)} <span class="desc">${esc(group.description)}</span></td></tr>`,
      ...group.syscalls.map(
        (row) =>
          `<tr><td><code>${esc(row.name)}</code>${row.dangerous ? ` ${tag('dangerous', 'bad')}` : ''}</td><td class="n">${row.calls ?? ''}</td><td class="n">${errorsCell(row)}</td><td class="n">${esc(runsText(row, report.recorded))}</td><td>${originTag(originText(row), row.reason.kind === 'observed', row.allowed)}</td><td>${verdictTag(verdictText(row.reference), row.reference)}</td></tr>`,
      ),
    ]);
    const title = `${abi.abi}${abi.native ? '' : ' (compat ABI)'}: ${plural(abi.count, 'syscall')} in ${plural(abi.groups.length, 'group')}`;
    const columns =
      '<colgroup><col class="name"><col class="num"><col class="num"><col class="num"><col><col></colgroup>';
    return `<h3>${esc(title)}</h3><table class="syscalls">${columns}<tr><th>Syscall</th><th class="n">Calls</th><th class="n">Errors</th><th class="n">Runs</th><th>${COLUMNS.reason}</th><th>${label}</th></tr>${rows.join('')}</table>${hasUnknownErrors(abi) ? `<p class="note">${esc(UNKNOWN_ERRORS_NOTE)}</p>` : ''}`;
  });
  return `<h2>Syscalls by group</h2>${tables.join('')}${heldBackSection(report)}`;
}

async function profileSection(report: ReviewReport): Promise<string> {
  const { profile } = report;
  return `<h2>The profile</h2><p>${esc(profileText(report))}.</p><p class="note"><code>${esc(profile.name)}.json</code>, ${esc(plural(profile.allowed, 'syscall'))} allowed.</p><pre class="profile">${escapeHtmlLines(profileDocumentText(report))}</pre>`;
}

/** Our own sentences: `backticked` parts become code. */
function prose(sentence: string): string {
  return codeSpans(sentence)
    .map((part) => (part.code ? `<code>${esc(part.text)}</code>` : esc(part.text)))
    .join('');
}

function applySection(report: ReviewReport): string {
  const steps = report.apply.map(
    (step) =>
      `<div class="step"><div><h3>${esc(step.target)}</h3><p>${prose(step.description)}</p></div><div>${step.code
        .map((block) => `<pre>${escapeHtmlLines(block.text)}</pre>`)
        .join('')}</div></div>`,
  );
  return `<h2>How to apply</h2><section class="apply">${steps.join('')}</section>`;
}

export async function renderHtml(report: ReviewReport): Promise<string> {
  const label = report.comparison.reference.label;
  const abis = report.comparison.abis.map((abi) => abi.abi).join(', ');
  const body = [
    `<header><div class="eyebrow">Seccomp review</div><h1><code>${esc(report.title)}</code></h1><p class="sub">${esc(`${abis} · compared with ${label} · seccomp-learn ${report.seccompLearn}`)}</p></header>`,
    ...report.comparison.abis.map((abi) => headlineCards(report, abi)),
    ...(report.profile.removeSet
      ? [`<p>${tag(removeSetText(report.profile.removeSet, label), 'bad')}</p>`]
      : []),
    warningsSection(report),
    chartsSection(report),
    recordedSection(report),
    risksSection(report),
    comparisonSection(report),
    syscallsSection(report),
    await profileSection(report),
    applySection(report),
    `<footer>${esc(`Generated by seccomp-learn ${report.seccompLearn} (${report.format}).`)}</footer>`,
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="seccomp-learn ${esc(report.seccompLearn)}">
<title>${esc(`Seccomp review: ${report.title}`)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${body.join('\n')}
</main>
</body>
</html>
`;
}
