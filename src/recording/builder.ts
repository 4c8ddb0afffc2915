import type { ObservationSink, ParseNotice } from '../../parsers/observation.js';
import { ABIS, type Abi } from '../syscalls/abi.js';
import { type ArgumentKey, learnedArgumentsOf, MAX_ARGUMENT_VALUES } from '../syscalls/arguments.js';
import { syscallName } from '../syscalls/table.js';
import {
  ARGUMENTS_BY_SOURCE,
  type ArgumentSet,
  addErrors,
  argumentValuesOf,
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
  /** Learned arguments' values, when the source reported any. */
  args?: Map<ArgumentKey, ArgumentSet>;
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

  /** A value of a learned argument (parsers/observation.ts); sets stop one past the bound. */
  argument(
    abi: Abi,
    syscall: string | number,
    key: ArgumentKey,
    value: bigint | undefined | 'too-many',
  ): void {
    const tally = this.tallyFor(this.talliesOf(abi), abi, syscall);
    tally.args ??= new Map();
    const set = tally.args.get(key);
    if (value === undefined) {
      tally.args.set(key, 'unreadable');
    } else if (value === 'too-many') {
      if (set !== 'unreadable') tally.args.set(key, 'too-many');
    } else if (set === undefined) {
      tally.args.set(key, new Set([value]));
    } else if (typeof set !== 'string') {
      if (set.size > MAX_ARGUMENT_VALUES) return;
      (set as Set<bigint>).add(value);
      if (set.size > MAX_ARGUMENT_VALUES) tally.args.set(key, 'too-many');
    }
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
          const { calls, errors, args } = tallies.byName.get(name) as Tally;
          const stats: SyscallStats = errors === undefined ? { calls, runs: 1 } : { calls, errors, runs: 1 };
          const learned = args && learnedArgumentsOf(name);
          if (args && learned) {
            // Every learned argument of the call: one the source did not report is unreadable.
            stats.args = Object.fromEntries(
              learned.map(({ key }) => [key, argumentValuesOf(args.get(key) ?? 'unreadable')]),
            );
          }
          table[name] = stats;
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
      provenance: [
        { ...provenance, arguments: provenance.arguments ?? ARGUMENTS_BY_SOURCE[provenance.source] },
      ],
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
