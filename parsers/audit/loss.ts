import type { ParseNotice } from '../observation.js';
import { syslogTimestamp } from './timestamps.js';

/** Kernel messages that say audit records were dropped (kernel/audit.c audit_log_lost and callers). */
const LOSS_PHRASES = [
  'rate limit exceeded',
  'backlog limit exceeded',
  'hold queue overflow',
  'printk limit exceeded',
  'out of memory in audit_log_start',
  'auditd disappeared',
];

/** Reports one loss: where, what the kernel said, how many records at least, and when. */
export type LossReport = (line: number, message: string, count?: number, timestamp?: number) => void;

/**
 * Reads the kernel's messages about audit records it dropped; these lines are never records
 * themselves. Remembers the last audit_lost seen, so one reader per input.
 */
export class LossReader {
  private lostSinceBoot = 0;

  constructor(private readonly lost: LossReport) {}

  /** `at`: when the kernel said it (epoch seconds), so a time window can leave out older losses. */
  read(text: string, line: number, at = syslogTimestamp(text)): void {
    const suppressed = text.indexOf(' callbacks suppressed');
    if (suppressed >= 0) {
      // "<function>: N callbacks suppressed" from printk_ratelimit; only audit's own functions count.
      const colon = text.lastIndexOf(': ', suppressed);
      const fn = colon < 0 ? '' : text.slice(text.lastIndexOf(' ', colon - 1) + 1, colon);
      const count = Number(text.slice(colon + 2, suppressed));
      if (fn.includes('audit') && Number.isInteger(count)) {
        this.lost(
          line,
          `the kernel suppressed ${count} audit message(s) (${fn}: printk rate limit): ` +
            `at least ${count} record(s) are missing from this log`,
          count,
          at,
        );
      }
      return;
    }
    const prefix = text.indexOf('audit: ');
    if (prefix < 0) return;
    const rest = text.slice(prefix + 7).trim();
    const lostCount = /^audit_lost=(\d+)/.exec(rest);
    if (lostCount?.[1]) {
      const count = Number(lostCount[1]);
      // audit_lost counts since boot and is repeated with each later loss: the news is its growth
      // (all of it the first time, or after a reboot reset it).
      if (count === this.lostSinceBoot) return;
      const added = count > this.lostSinceBoot ? count - this.lostSinceBoot : count;
      this.lostSinceBoot = count;
      this.lost(
        line,
        `the kernel reports audit_lost=${count} (records it dropped since boot, at its backlog or rate limit): ` +
          `${added} more record(s) missing`,
        added,
        at,
      );
      return;
    }
    if (rest.startsWith('audit_backlog=') || LOSS_PHRASES.some((phrase) => rest.includes(phrase))) {
      this.lost(line, `the kernel dropped audit records: "${rest}"`, undefined, at);
    }
  }
}

/**
 * The kernel prints audit records itself only at printk's default rate: a burst of 10 per 5 s
 * (kauditd_printk_skb is ratelimited with DEFAULT_RATELIMIT_INTERVAL/BURST).
 */
const PRINTK_BURST = 10;
const PRINTK_INTERVAL_S = 5;

/**
 * "N callbacks suppressed" is printed with the next message the kernel lets through, so a log
 * that ends in a full burst of records the kernel printed itself may have lost what followed it
 * without saying so. Watches the times of the last burst, and whether journald's own copy of every
 * record is there too (then nothing was lost).
 */
export class PrintkTail {
  private readonly times: number[] = [];
  private journalRecords = 0;

  printed(timestamp: number): void {
    if (this.times.length === PRINTK_BURST) this.times.shift();
    this.times.push(timestamp);
  }

  journal(): void {
    this.journalRecords++;
  }

  /** The notice the end of the log calls for, if any. */
  notice(file: string): ParseNotice | undefined {
    const first = this.times[0];
    const last = this.times[this.times.length - 1];
    if (
      this.journalRecords > 0 ||
      this.times.length < PRINTK_BURST ||
      first === undefined ||
      last === undefined ||
      last - first >= PRINTK_INTERVAL_S
    ) {
      return undefined;
    }
    return {
      code: 'lost-records',
      message:
        `the log ends with ${PRINTK_BURST} records the kernel printed within ${PRINTK_INTERVAL_S} s, its printk rate limit: ` +
        'records after them were probably suppressed, and the kernel reports that only with its next audit message. ' +
        'Run auditd (auditd; auditctl -b 8192) to keep every record',
      file,
    };
  }
}
