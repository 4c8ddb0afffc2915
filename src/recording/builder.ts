import type { ObservationSink, ParseNotice } from '../../parsers/observation.js';
import { ABIS, type Abi } from '../syscalls/abi.js';
import { syscallName } from '../syscalls/table.js';
import {
  addErrors,
  type Provenance,
  RECORDING_FORMAT,
  type Recording,
  type RecordingWarning,
  type SyscallStats,
} from './model.js';

interface Tally {
  calls: number;
  /** Unknown once one observation's result was unknown. */
  errors: number | undefined;
}

interface AbiTallies {
  readonly byName: Map<string, Tally>;
  /** Raw numbers resolved once: audit input repeats the same few numbers a million times. */
  readonly byNumber: Map<number, Tally>;
  readonly unknown: Map<number, Tally>;
}

/**
 * Turns parser observations into a one-run recording. Raw numbers are resolved here, per ABI,
 * because only here is it known which table applies; a number with no name becomes a warning
 * so the profile can never be silently incomplete.
 */
export class RecordingBuilder implements ObservationSink {
  private readonly abis = new Map<Abi, AbiTallies>();
  private readonly warnings: RecordingWarning[] = [];

  private talliesOf(abi: Abi): AbiTallies {
    let tallies = this.abis.get(abi);
    if (!tallies) {
      tallies = { byName: new Map(), byNumber: new Map(), unknown: new Map() };
      this.abis.set(abi, tallies);
    }
    return tallies;
  }

  private tallyFor(tallies: AbiTallies, abi: Abi, syscall: string | number): Tally {
    if (typeof syscall === 'string') return named(tallies.byName, syscall);
    let tally = tallies.byNumber.get(syscall);
    if (!tally) {
      const name = syscallName(abi, syscall);
      tally = name === undefined ? named(tallies.unknown, syscall) : named(tallies.byName, name);
      tallies.byNumber.set(syscall, tally);
    }
    return tally;
  }

  /** `errors` undefined: these calls' results are unknown (audit records of calls seccomp let through). */
  count(abi: Abi, syscall: string | number, calls: number, errors: number | undefined): void {
    const tally = this.tallyFor(this.talliesOf(abi), abi, syscall);
    tally.calls += calls;
    tally.errors = addErrors(tally.errors, errors);
  }

  notice(notice: ParseNotice): void {
    this.warnings.push({ ...notice });
  }

  build(provenance: Provenance): Recording {
    const abis: Recording['abis'] = {};
    const unknownWarnings: RecordingWarning[] = [];
    for (const abi of ABIS) {
      const tallies = this.abis.get(abi);
      if (!tallies) continue;
      const names = [...tallies.byName.keys()]
        .filter((name) => (tallies.byName.get(name)?.calls ?? 0) > 0)
        .sort();
      if (names.length > 0) {
        const table: Record<string, SyscallStats> = {};
        for (const name of names) {
          const { calls, errors } = tallies.byName.get(name) as Tally;
          table[name] = errors === undefined ? { calls, runs: 1 } : { calls, errors, runs: 1 };
        }
        abis[abi] = table;
      }
      for (const [number, { calls }] of tallies.unknown) {
        unknownWarnings.push({
          code: 'unknown-syscall',
          abi,
          count: calls,
          message: `syscall number ${number} (0x${number.toString(16)}) has no name on ${abi} in libseccomp's table: ${calls} call(s) not in the profile`,
        });
      }
    }
    return {
      format: RECORDING_FORMAT,
      runs: 1,
      abis,
      provenance: [provenance],
      warnings: [...this.warnings, ...unknownWarnings],
    };
  }
}

function named<K>(map: Map<K, Tally>, key: K): Tally {
  let tally = map.get(key);
  if (!tally) {
    tally = { calls: 0, errors: 0 };
    map.set(key, tally);
  }
  return tally;
}
