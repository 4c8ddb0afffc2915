import { visible } from '../util/visible.js';
import type { AbiAgainstReference, AbiSyscalls, RecordedSummary } from './model.js';
import { COLUMNS, COMPARISON } from './words.js';

/**
 * Charts as inline SVG strings: the HTML report must open offline, print, and need no script, so
 * the charts are drawn here rather than by a charting library in the browser.
 */

/** Text or an attribute value in HTML: markup characters as entities, control characters as visible escapes. */
export function escapeHtml(value: string): string {
  return visible(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Several lines for a <pre>: each escaped as escapeHtml does, the line breaks kept. */
export function escapeHtmlLines(text: string): string {
  return text.split('\n').map(escapeHtml).join('\n');
}

export const CHART_COLORS = {
  kept: '#3b6fd8',
  removed: '#2f9e6e',
  denied: '#e0902f',
  calls: '#3b6fd8',
  errors: '#d64545',
  assumed: '#a9bfeb',
  track: '#eef1f6',
  text: '#1f2937',
  muted: '#6b7280',
} as const;

/** About the width a chart gets in its panel, so that 12px in the SVG is 12px on the page. */
const CHART_WIDTH = 460;

const FONT = "font-family=\"-apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif\"";
const MONO = "font-family=\"ui-monospace, 'SFMono-Regular', Menlo, Consolas, 'DejaVu Sans Mono', monospace\"";

interface Segment {
  value: number;
  color: string;
  label: string;
}

const segmentWidth = (value: number, scale: number): number => (value > 0 ? Math.max(value * scale, 3) : 0);

/** One horizontal bar made of segments, numbers inside the segments that have room for them. */
function stackedBar(
  x: number,
  y: number,
  height: number,
  scale: number,
  segments: Segment[],
  numbers = true,
): string {
  let left = x;
  const parts: string[] = [];
  for (const segment of segments) {
    if (segment.value <= 0) continue;
    // A single denied call among hundreds must still show.
    const width = segmentWidth(segment.value, scale);
    parts.push(
      `<rect x="${left.toFixed(1)}" y="${y}" width="${width.toFixed(1)}" height="${height}" fill="${segment.color}"><title>${escapeHtml(`${segment.label}: ${segment.value}`)}</title></rect>`,
    );
    const text = String(segment.value);
    if (numbers && width >= text.length * 7 + 8) {
      parts.push(
        `<text x="${(left + width / 2).toFixed(1)}" y="${y + height / 2 + 4}" text-anchor="middle" font-size="12" font-weight="600" fill="#fff" ${FONT}>${text}</text>`,
      );
    }
    left += width;
  }
  return parts.join('');
}

/**
 * The profile beside the reference on one ABI: the reference's allowed set split into what this
 * profile keeps and what it removes, and this profile's set split into what the reference also
 * allows and what the reference denies.
 */
export function comparisonChart(comparison: AbiAgainstReference, referenceLabel: string): string {
  const kept = comparison.counts.allowed + comparison.counts.conditional;
  const removed = comparison.counts.unneeded;
  const denied = comparison.counts.denied;
  const width = CHART_WIDTH;
  const labelWidth = 118;
  const totalWidth = 44;
  const barHeight = 26;
  const scale = (width - labelWidth - totalWidth) / Math.max(kept + removed, kept + denied, 1);
  const rows = [
    {
      label: referenceLabel,
      total: comparison.headline.referenceAllows,
      segments: [
        { value: kept, color: CHART_COLORS.kept, label: COMPARISON.both },
        { value: removed, color: CHART_COLORS.removed, label: COMPARISON.removedHere },
      ],
    },
    {
      label: 'This profile',
      total: comparison.headline.workloadAllows,
      segments: [
        { value: kept, color: CHART_COLORS.kept, label: COMPARISON.both },
        { value: denied, color: CHART_COLORS.denied, label: COMPARISON.denied(referenceLabel) },
      ],
    },
  ];
  const body = rows
    .map((row, index) => {
      const y = 8 + index * (barHeight + 14);
      const used = row.segments.reduce((sum, segment) => sum + segmentWidth(segment.value, scale), 0);
      return [
        `<text x="${labelWidth - 10}" y="${y + barHeight / 2 + 4}" text-anchor="end" font-size="13" fill="${CHART_COLORS.text}" ${FONT}>${escapeHtml(row.label)}</text>`,
        `<rect x="${labelWidth}" y="${y}" width="${width - labelWidth - totalWidth}" height="${barHeight}" fill="${CHART_COLORS.track}"/>`,
        stackedBar(labelWidth, y, barHeight, scale, row.segments),
        `<text x="${(labelWidth + used + 6).toFixed(1)}" y="${y + barHeight / 2 + 5}" font-size="14" font-weight="700" fill="${CHART_COLORS.text}" ${FONT}>${row.total}</text>`,
      ].join('');
    })
    .join('');
  const legend = [
    { color: CHART_COLORS.kept, label: COMPARISON.both },
    { color: CHART_COLORS.removed, label: COMPARISON.removedHere },
    { color: CHART_COLORS.denied, label: COMPARISON.denied(referenceLabel) },
  ];
  const legendY = 8 + rows.length * (barHeight + 14) + 4;
  const legendParts = legend.map(
    (item, index) =>
      `<rect x="${labelWidth}" y="${legendY + index * 18}" width="11" height="11" rx="2" fill="${item.color}"/><text x="${labelWidth + 17}" y="${legendY + index * 18 + 10}" font-size="12" fill="${CHART_COLORS.muted}" ${FONT}>${escapeHtml(item.label)}</text>`,
  );
  const height = legendY + legend.length * 18;
  const title = `${comparison.abi}: this profile allows ${comparison.headline.workloadAllows} syscalls, ${referenceLabel} ${comparison.headline.referenceAllows}; ${removed} removed, ${denied} ${COLUMNS.deniedThere.toLowerCase()}`;
  return `<svg class="chart" role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"><title>${escapeHtml(title)}</title>${body}${legendParts.join('')}</svg>`;
}

/** The most-called syscalls as horizontal bars, failed calls overlaid in red. */
export function mostCalledChart(recorded: RecordedSummary): string {
  const rows = recorded.mostCalled;
  const width = CHART_WIDTH;
  const labelWidth = 132;
  const valueWidth = 96;
  const barHeight = 16;
  const gap = 6;
  const max = Math.max(...rows.map((row) => row.calls), 1);
  const scale = (width - labelWidth - valueWidth) / max;
  const multiAbi = recorded.abis.length > 1;
  const bars = rows.map((row, index) => {
    const y = 4 + index * (barHeight + gap);
    const barWidth = Math.max(row.calls * scale, 1.5);
    const errorWidth = (row.errors ?? 0) * scale;
    const label = multiAbi ? `${row.name} (${row.abi})` : row.name;
    const value =
      row.errors === undefined
        ? `${row.calls} (errors unknown)`
        : row.errors > 0
          ? `${row.calls} (${row.errors} failed)`
          : String(row.calls);
    return [
      `<text x="${labelWidth - 8}" y="${y + barHeight - 4}" text-anchor="end" font-size="12" fill="${CHART_COLORS.text}" ${MONO}>${escapeHtml(label)}</text>`,
      `<rect x="${labelWidth}" y="${y}" width="${barWidth.toFixed(1)}" height="${barHeight}" rx="2" fill="${CHART_COLORS.calls}"><title>${escapeHtml(`${label}: ${value}`)}</title></rect>`,
      errorWidth > 0
        ? `<rect x="${labelWidth}" y="${y}" width="${errorWidth.toFixed(1)}" height="${barHeight}" rx="2" fill="${CHART_COLORS.errors}"/>`
        : '',
      `<text x="${(labelWidth + barWidth + 6).toFixed(1)}" y="${y + barHeight - 4}" font-size="12" fill="${CHART_COLORS.muted}" ${FONT}>${escapeHtml(value)}</text>`,
    ].join('');
  });
  const height = 8 + rows.length * (barHeight + gap);
  const title = `The ${rows.length} most-called syscalls: ${rows.map((row) => `${row.name} ${row.calls}`).join(', ')}`;
  return `<svg class="chart" role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"><title>${escapeHtml(title)}</title>${bars.join('')}</svg>`;
}

/** Allowed by assumption: the runtime baseline, the exit path, --allow, or a given profile. */
const ASSUMED_LABEL = 'not observed (runtime baseline, exit path, --allow)';

/** How many allowed syscalls each group holds, observed ones apart from those allowed by assumption. */
export function groupsChart(syscalls: AbiSyscalls): string {
  const groups = syscalls.groups
    .map((group) => {
      const allowed = group.syscalls.filter((row) => row.allowed);
      const observed = allowed.filter((row) => row.reason.kind === 'observed').length;
      return { title: group.title, observed, assumed: allowed.length - observed };
    })
    .filter((group) => group.observed + group.assumed > 0);
  const width = CHART_WIDTH;
  const labelWidth = 196;
  const barHeight = 14;
  const gap = 6;
  const max = Math.max(...groups.map((group) => group.observed + group.assumed), 1);
  const scale = (width - labelWidth - 40) / max;
  const bars = groups.map((group, index) => {
    const y = 4 + index * (barHeight + gap);
    const segments = [
      { value: group.observed, color: CHART_COLORS.calls, label: 'observed' },
      { value: group.assumed, color: CHART_COLORS.assumed, label: ASSUMED_LABEL },
    ];
    const used = segments.reduce((sum, segment) => sum + segmentWidth(segment.value, scale), 0);
    return [
      `<text x="${labelWidth - 8}" y="${y + barHeight - 3}" text-anchor="end" font-size="12" fill="${CHART_COLORS.text}" ${FONT}>${escapeHtml(group.title)}</text>`,
      stackedBar(labelWidth, y, barHeight, scale, segments, false),
      `<text x="${(labelWidth + used + 6).toFixed(1)}" y="${y + barHeight - 3}" font-size="12" fill="${CHART_COLORS.muted}" ${FONT}>${group.observed + group.assumed}</text>`,
    ].join('');
  });
  const legendY = 8 + groups.length * (barHeight + gap);
  const legend = [
    { color: CHART_COLORS.calls, label: 'observed' },
    { color: CHART_COLORS.assumed, label: ASSUMED_LABEL },
  ];
  let legendX = 8;
  const legendParts = legend.map((item) => {
    const part = `<rect x="${legendX}" y="${legendY}" width="11" height="11" rx="2" fill="${item.color}"/><text x="${legendX + 16}" y="${legendY + 10}" font-size="12" fill="${CHART_COLORS.muted}" ${FONT}>${escapeHtml(item.label)}</text>`;
    legendX += 32 + item.label.length * 6.2;
    return part;
  });
  const height = legendY + 18;
  const title = `${syscalls.abi}: allowed syscalls per group: ${groups.map((group) => `${group.title} ${group.observed + group.assumed}`).join(', ')}`;
  return `<svg class="chart" role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"><title>${escapeHtml(title)}</title>${bars.join('')}${legendParts.join('')}</svg>`;
}
