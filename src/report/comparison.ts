import type { ReferenceComparison } from '../diff/compare.js';
import { outcomeText } from '../diff/conditions.js';
import type { ReferenceDiff } from '../diff/diff.js';
import type { RiskNotes } from '../diff/risk.js';
import type { CallReason } from '../profile/reasons.js';
import type { AbiAgainstReference, ArgumentRuleRow, ReviewReport } from './model.js';
import { COLUMNS, fewerText } from './words.js';

/**
 * The one shape every renderer of a comparison with a reference takes, in `diff` and `report`
 * alike: the report's AbiAgainstReference, plus what only `diff` lists.
 */
export interface ComparedAbi extends AbiAgainstReference {
  /** Names both allow: `diff` lists them, the report shows them in its syscall tables instead. */
  allowed?: string[];
  /** Why the profile allows each of its calls, by name: `diff` lists them, the report in its syscall tables. */
  reasons?: [string, CallReason][];
  /** The dangerous syscalls of this ABI: `diff` lists them per ABI, the report once for every ABI. */
  risks?: RiskNotes;
}

export interface ComparisonView {
  /** The reference in sentences ("Docker's default"). */
  label: string;
  abis: ComparedAbi[];
  /**
   * Which fact the tables give about each syscall: `calls`, what a recording counted (`diff`, the
   * reference's refusal as its errno); `seen`, whether a run called it (the report, the refusal in words).
   */
  detail: 'calls' | 'seen';
}

/**
 * One ABI of a reference diff as the renderers show it. `observed`: whether a run was seen calling
 * the syscall.
 */
export function againstReference(
  diff: ReferenceDiff,
  observed: (name: string) => boolean,
): AbiAgainstReference {
  return {
    abi: diff.abi,
    headline: diff.headline,
    counts: diff.counts,
    referenceCoversAbi: diff.reference.abiInFilter,
    denied: diff.entries.flatMap((entry) =>
      entry.status === 'denied'
        ? [{ ...entry, outcomeText: outcomeText(entry.outcome), observed: observed(entry.name) }]
        : [],
    ),
    conditional: diff.entries.flatMap((entry) =>
      entry.status === 'conditional'
        ? [{ name: entry.name, condition: entry.condition, ...(entry.usage ? { usage: entry.usage } : {}) }]
        : [],
    ),
    removed: diff.entries.flatMap((entry) => (entry.status === 'unneeded' ? [entry.name] : [])),
    argumentRules: diff.entries.flatMap((entry): ArgumentRuleRow[] => {
      if (entry.status !== 'allowed' && entry.status !== 'conditional') return [];
      if (entry.looser === undefined) return [];
      const theirs = entry.status === 'conditional' ? entry.condition : undefined;
      if (entry.ours === undefined && theirs === undefined) return [];
      return [
        {
          name: entry.name,
          ...(entry.ours ? { ours: entry.ours } : {}),
          ...(theirs ? { theirs } : {}),
          looser: entry.looser,
        },
      ];
    }),
  };
}

/** `diff`'s comparison as the renderers take it: a recording's counts say what was observed. */
export function comparisonView(comparison: ReferenceComparison): ComparisonView {
  return {
    label: comparison.reference.label,
    detail: 'calls',
    abis: comparison.abis.map(({ diff, risks }) => {
      const counted = new Set(
        diff.entries.flatMap((entry) =>
          entry.status !== 'unneeded' && entry.usage?.calls !== undefined ? [entry.name] : [],
        ),
      );
      return {
        ...againstReference(diff, (name) => counted.has(name)),
        allowed: diff.entries.flatMap((entry) => (entry.status === 'allowed' ? [entry.name] : [])),
        reasons: diff.entries.flatMap((entry): [string, CallReason][] =>
          entry.status !== 'unneeded' && entry.reason ? [[entry.name, entry.reason]] : [],
        ),
        risks,
      };
    }),
  };
}

/** The report's comparison as the renderers take it. */
export function reportView(report: ReviewReport): ComparisonView {
  return { label: report.comparison.reference.label, abis: report.comparison.abis, detail: 'seen' };
}

/**
 * The report's summary of every ABI, one row each, for its three formats to lay out alike. Cells
 * are our own words and numbers; `head` holds the reference's label as it is, for each format to escape.
 */
export function summaryTable(view: ComparisonView): { head: string[]; rows: string[][]; right: number[] } {
  return {
    head: [
      COLUMNS.abi,
      COLUMNS.thisProfile,
      view.label,
      COLUMNS.difference,
      COLUMNS.deniedThere,
      COLUMNS.conditionalThere,
    ],
    rows: view.abis.map((abi) => [
      abi.abi,
      String(abi.headline.workloadAllows),
      String(abi.headline.referenceAllows),
      fewerText(abi.headline),
      String(abi.counts.denied),
      String(abi.counts.conditional),
    ]),
    right: [1, 2, 4, 5],
  };
}
