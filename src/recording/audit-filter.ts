import type { SeccompAction, SeccompAuditRecord } from '../../parsers/audit.js';
import { UserError } from '../errors.js';

export const ACTION_CHOICES = ['log', 'errno', 'kill', 'trap', 'all'] as const;
export type ActionChoice = (typeof ACTION_CHOICES)[number];

const ACTIONS_OF: Readonly<Record<Exclude<ActionChoice, 'all'>, readonly SeccompAction[]>> = {
  log: ['log'],
  errno: ['errno'],
  kill: ['kill-process', 'kill-thread'],
  trap: ['trap'],
};

export interface AuditFilter {
  action: ActionChoice;
  /** Epoch seconds. */
  since?: number;
  until?: number;
  pid?: number;
  comm?: string;
  exe?: string;
}

/**
 * Reads a --since/--until value: epoch seconds, an ISO 8601 date or time, `today`, `yesterday`,
 * `recent` (10 minutes ago, as ausearch means it) or an age like `30m`, `2h`, `1d`.
 */
export function parseTimeBound(value: string, flag: string, now = Date.now()): number {
  const trimmed = value.trim();
  const midnight = new Date(now);
  midnight.setHours(0, 0, 0, 0);
  if (trimmed === 'today') return midnight.getTime() / 1000;
  if (trimmed === 'yesterday') return midnight.getTime() / 1000 - 86_400;
  if (trimmed === 'recent') return now / 1000 - 600;
  const age = /^(\d+)([smhd])$/.exec(trimmed);
  if (age) {
    const unit = { s: 1, m: 60, h: 3600, d: 86_400 }[age[2] as 's' | 'm' | 'h' | 'd'];
    return now / 1000 - Number(age[1]) * unit;
  }
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const parsed = Date.parse(
    trimmed.includes(' ') && !trimmed.includes('T') ? trimmed.replace(' ', 'T') : trimmed,
  );
  if (Number.isNaN(parsed)) {
    throw new UserError(
      `${flag} ${JSON.stringify(value)}: expected epoch seconds, an ISO date/time, today, yesterday, recent or an age like 30m`,
    );
  }
  return parsed / 1000;
}

export interface RecordMatcher {
  matches(record: SeccompAuditRecord): boolean;
  /** Records a time bound could not judge because they carry no timestamp (journald short output). */
  readonly undated: number;
}

export function recordMatcher(filter: AuditFilter): RecordMatcher {
  const actions = filter.action === 'all' ? undefined : new Set(ACTIONS_OF[filter.action]);
  const timed = filter.since !== undefined || filter.until !== undefined;
  const state = { undated: 0 };
  return {
    get undated() {
      return state.undated;
    },
    matches(record) {
      if (actions && !actions.has(record.action)) return false;
      if (filter.pid !== undefined && record.pid !== filter.pid) return false;
      if (filter.comm !== undefined && record.comm !== filter.comm) return false;
      if (filter.exe !== undefined && record.exe !== filter.exe) return false;
      if (timed) {
        if (record.timestamp === undefined) {
          state.undated++;
          return false;
        }
        if (filter.since !== undefined && record.timestamp < filter.since) return false;
        if (filter.until !== undefined && record.timestamp > filter.until) return false;
      }
      return true;
    },
  };
}

/** Whether the filter reads a record's comm or exe: the parser need not decode them otherwise. */
export function needsProcessNames(filter: AuditFilter): boolean {
  return filter.comm !== undefined || filter.exe !== undefined;
}

/** What counts the calls of matching records: a RecordingBuilder, or a range's tallies. */
export interface CallCounter {
  /** `errors` undefined: these calls' results are unknown. */
  count(
    abi: SeccompAuditRecord['abi'],
    syscall: string | number,
    calls: number,
    errors: number | undefined,
  ): void;
}

/**
 * Counts `record` into `counter` when `matcher` takes it, and says whether it did. A refused call
 * failed; one seccomp let through (logged) may have failed or not: unknown.
 */
export function countIfMatched(
  record: SeccompAuditRecord,
  matcher: RecordMatcher,
  counter: CallCounter,
): boolean {
  if (!matcher.matches(record)) return false;
  counter.count(record.abi, record.syscall, 1, refused(record) ? 1 : undefined);
  return true;
}

/** A refused call (errno, kill, trap) counts as an error; a logged one went through. */
export function refused(record: SeccompAuditRecord): boolean {
  return record.action !== 'log' && record.action !== 'allow';
}
