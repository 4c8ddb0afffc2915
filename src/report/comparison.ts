import type { ReferenceComparison } from '../diff/compare.js';
import { outcomeText } from '../diff/conditions.js';
import type { ReferenceDiff } from '../diff/diff.js';
import type { RiskNotes } from '../diff/risk.js';
import type { AbiAgainstReference, ReviewReport } from './model.js';

/**
 * The one shape every renderer of a comparison with a reference takes, in `diff` and `report`
 * alike: the report's AbiAgainstReference, plus what only `diff` lists.
 */
export interface ComparedAbi extends AbiAgainstReference {
  /** Names both allow: `diff` lists them, the report shows them in its syscall tables instead. */
  allowed?: string[];
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
        risks,
      };
    }),
  };
}

/** The report's comparison as the renderers take it. */
export function reportView(report: ReviewReport): ComparisonView {
  return { label: report.comparison.reference.label, abis: report.comparison.abis, detail: 'seen' };
}
