import { UserError } from '../errors.js';
import {
  addErrors,
  mergeArguments,
  RECORDING_FORMAT,
  type Recording,
  type SyscallStats,
} from '../recording/model.js';
import { MAX_COUNT } from '../recording/schema.js';
import { ABIS, type Abi } from '../syscalls/abi.js';
import { stringifyJson } from '../util/json-exact.js';

/** `items` in the order of their JSON texts, each written once (not once per comparison: 1,000 inputs made 20,000). */
function sortedByJson<T>(items: readonly T[]): T[] {
  const keyed = items.map((item) => ({ item, key: stringifyJson(item, 0) }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.map(({ item }) => item);
}

function sum(a: number, b: number, what: () => string): number {
  const total = a + b;
  if (!Number.isSafeInteger(total)) {
    throw new UserError(
      `${what()} would add up to more than ${MAX_COUNT}, the largest count a recording holds exactly: not merged`,
    );
  }
  return total;
}

/**
 * Sums recordings one at a time, so thousands of inputs cost memory for the distinct syscalls
 * (plus each input's provenance), not for the inputs. The result does not depend on the order of
 * the inputs: provenance and warnings are kept in a canonical order.
 */
export class RecordingMerger {
  private runs = 0;
  private readonly abis = new Map<Abi, Map<string, SyscallStats>>();
  private readonly provenance: Recording['provenance'] = [];
  private readonly warnings: Recording['warnings'] = [];

  /**
   * Adds one recording; `source` names it in errors. Counts stop at MAX_COUNT, as reading does:
   * a sum beyond it is refused rather than written rounded or as a file no reader accepts.
   */
  add(recording: Recording, source = 'a recording'): this {
    this.runs = sum(this.runs, recording.runs, () => `${source}: runs`);
    for (const abi of ABIS) {
      const table = recording.abis[abi];
      if (!table) continue;
      let merged = this.abis.get(abi);
      if (!merged) {
        merged = new Map();
        this.abis.set(abi, merged);
      }
      for (const [name, stats] of Object.entries(table)) {
        const current = merged.get(name);
        if (current) {
          const what = (field: string) => `${source}: ${field} of ${name} (${abi})`;
          current.calls = sum(current.calls, stats.calls, () => what('calls'));
          const errors = addErrors(current.errors, stats.errors);
          if (errors === undefined) delete current.errors;
          else current.errors = sum(0, errors, () => what('errors'));
          current.runs = sum(current.runs, stats.runs, () => what('runs'));
          const args = mergeArguments(current.args, stats.args);
          if (args === undefined) delete current.args;
          else current.args = args;
        } else {
          merged.set(name, { ...stats, ...(stats.args ? { args: structuredClone(stats.args) } : {}) });
        }
      }
    }
    this.provenance.push(...recording.provenance);
    this.warnings.push(...recording.warnings);
    return this;
  }

  get count(): number {
    return this.runs;
  }

  result(): Recording {
    const abis: Recording['abis'] = {};
    for (const abi of ABIS) {
      const merged = this.abis.get(abi);
      if (!merged || merged.size === 0) continue;
      const names = [...merged.keys()].sort();
      abis[abi] = Object.fromEntries(names.map((name) => [name, { ...(merged.get(name) as SyscallStats) }]));
    }
    return {
      format: RECORDING_FORMAT,
      runs: this.runs,
      abis,
      provenance: sortedByJson(this.provenance),
      warnings: sortedByJson(this.warnings),
    };
  }
}

export function mergeRecordings(recordings: Iterable<Recording>): Recording {
  const merger = new RecordingMerger();
  for (const recording of recordings) merger.add(recording);
  return merger.result();
}
