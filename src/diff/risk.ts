/**
 * Risk notes on the dangerous syscalls (the Kubernetes proposal's list, src/syscalls/dangerous.ts)
 * for a comparison: which the workload still needs, which the learned profile removes.
 */

import { DANGEROUS_SYSCALLS, type RiskEntry } from '../syscalls/dangerous.js';
import type { ReferenceDiff } from './diff.js';

export { DANGEROUS_SYSCALLS, type RiskCategory, type RiskEntry } from '../syscalls/dangerous.js';

export interface RiskNote extends RiskEntry {
  /** Whether the reference profile lets it through (fully or for some arguments). */
  referenceAllows: boolean;
}

export interface RiskNotes {
  /** Dangerous syscalls the workload still uses: review each. Sorted by name. */
  needed: RiskNote[];
  /** Dangerous syscalls the reference allows and the learned profile drops. Sorted by name. */
  removed: RiskNote[];
}

/**
 * Sorts the dangerous syscalls into those the workload still needs and those the learned profile
 * takes away compared with the reference's allowed set.
 */
export function riskNotes(needed: Iterable<string>, referenceAllowed: Iterable<string> = []): RiskNotes {
  const need = new Set(needed);
  const reference = new Set(referenceAllowed);
  const note = (entry: RiskEntry): RiskNote => ({ ...entry, referenceAllows: reference.has(entry.name) });
  const entries = [...DANGEROUS_SYSCALLS.values()].sort((a, b) => a.name.localeCompare(b.name));
  return {
    needed: entries.filter((entry) => need.has(entry.name)).map(note),
    removed: entries.filter((entry) => reference.has(entry.name) && !need.has(entry.name)).map(note),
  };
}

/** riskNotes for a finished diff: the workload's needs against what the reference lets through. */
export function riskNotesForDiff(diff: ReferenceDiff): RiskNotes {
  const needed = diff.entries.filter((entry) => entry.status !== 'unneeded').map((entry) => entry.name);
  const allowed = diff.entries
    .filter(
      (entry) => entry.status === 'allowed' || entry.status === 'conditional' || entry.status === 'unneeded',
    )
    .map((entry) => entry.name);
  return riskNotes(needed, allowed);
}
