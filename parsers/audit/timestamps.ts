/** The times audit records carry, in every form they are printed. */

/** Divisors for a fraction of 0..3 digits (the kernel prints milliseconds as %03lu). */
export const DECIMAL_SCALE = [1, 10, 100, 1000];

/** `ausearch -i` prints local time with strftime's %x, whose year has two digits in the C locale. */
export const INTERPRETED_STAMP = /^(\d\d)\/(\d\d)\/(\d\d(?:\d\d)?) (\d\d):(\d\d):(\d\d)\.(\d{3}):(\d+)\)/;

export function interpretedTimestamp(match: RegExpExecArray): number {
  const [month, day, year, hours, minutes, seconds, millis] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const fullYear = year < 100 ? 2000 + year : year;
  return new Date(fullYear, month - 1, day, hours, minutes, seconds, millis).getTime() / 1000;
}

const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec';
const SYSLOG_BSD = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d\d):(\d\d):(\d\d)(\.\d+)? /;
const SYSLOG_ISO = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)(Z|[+-]\d\d:?\d\d)? /;
const SYSLOG_UNIX = /^(\d{9,11}\.\d+) /;

/** The date a syslog or `journalctl` line starts with, as epoch seconds with milliseconds. */
export function syslogTimestamp(line: string): number | undefined {
  const unix = SYSLOG_UNIX.exec(line);
  if (unix?.[1]) return Math.round(Number(unix[1]) * 1000) / 1000;
  const iso = SYSLOG_ISO.exec(line);
  if (iso?.[1]) {
    const zone =
      iso[2] === undefined || iso[2] === 'Z' ? (iso[2] ?? '') : `${iso[2].slice(0, 3)}:${iso[2].slice(-2)}`;
    const ms = Date.parse(`${iso[1]}${zone}`);
    return Number.isNaN(ms) ? undefined : ms / 1000;
  }
  const bsd = SYSLOG_BSD.exec(line);
  if (!bsd?.[1]) return undefined;
  const month = MONTHS.indexOf(bsd[1]) / 3;
  if (!Number.isInteger(month)) return undefined;
  const [day, hours, minutes, seconds] = bsd.slice(2, 6).map(Number) as [number, number, number, number];
  const millis = Math.round(Number(bsd[6] ?? 0) * 1000);
  const at = (year: number): number => new Date(year, month, day, hours, minutes, seconds, millis).getTime();
  // RFC 3164 dates carry no year: take the latest one not in the future, as journalctl and rsyslog do.
  const now = Date.now();
  const thisYear = new Date(now).getFullYear();
  return (at(thisYear) > now + 86_400_000 ? at(thisYear - 1) : at(thisYear)) / 1000;
}
