import type { ObservationSink, ParseNotice } from '../../parsers/observation.js';
import type { Abi } from '../../src/syscalls/abi.js';

export interface Tally {
  calls: number;
  errors: number;
}

/** An ObservationSink for tests: sums what parsers report per ABI and syscall, and keeps every notice. */
export class CollectingSink implements ObservationSink {
  readonly counts = new Map<Abi, Map<string | number, Tally>>();
  readonly notices: ParseNotice[] = [];
  /** How many times count() was called, to check that parsers aggregate before reporting. */
  countCalls = 0;

  count(abi: Abi, syscall: string | number, calls: number, errors: number): void {
    this.countCalls++;
    let table = this.counts.get(abi);
    if (!table) {
      table = new Map();
      this.counts.set(abi, table);
    }
    const tally = table.get(syscall) ?? { calls: 0, errors: 0 };
    tally.calls += calls;
    tally.errors += errors;
    table.set(syscall, tally);
  }

  notice(notice: ParseNotice): void {
    this.notices.push(notice);
  }

  /** One ABI's counts as `{ syscall: [calls, errors] }`, for toEqual assertions (numbers become keys too). */
  of(abi: Abi): Record<string, [number, number]> {
    const result: Record<string, [number, number]> = {};
    for (const [syscall, tally] of this.counts.get(abi) ?? [])
      result[String(syscall)] = [tally.calls, tally.errors];
    return result;
  }

  get(abi: Abi, syscall: string | number): Tally | undefined {
    return this.counts.get(abi)?.get(syscall);
  }

  /** Calls and errors summed over one ABI. */
  total(abi: Abi): Tally {
    const total = { calls: 0, errors: 0 };
    for (const tally of this.counts.get(abi)?.values() ?? []) {
      total.calls += tally.calls;
      total.errors += tally.errors;
    }
    return total;
  }
}
