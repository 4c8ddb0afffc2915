/** What journald's JSON output (`journalctl -o json`) says about an audit record outside its MESSAGE. */

export interface JournalFields {
  timestamp?: number;
  serial?: number;
  pid?: number;
  comm?: string;
  exe?: string;
  /** The record's own fields, in the kernel's order, should MESSAGE lack them. */
  fields: string;
}

/** journald stores a field that is not valid UTF-8 as an array of byte values. */
export function journalText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) {
    return Buffer.from(value as number[]).toString('utf8');
  }
  return undefined;
}

export function journalNumber(value: unknown): number | undefined {
  return typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : undefined;
}

export function journalFields(entry: Record<string, unknown>): JournalFields {
  const realtime = journalNumber(entry.__REALTIME_TIMESTAMP);
  const fields = ['SIG', 'ARCH', 'SYSCALL', 'COMPAT', 'IP', 'CODE']
    .map((name) => {
      const value = entry[`_AUDIT_FIELD_${name}`];
      return typeof value === 'string' ? ` ${name.toLowerCase()}=${value}` : '';
    })
    .join('');
  return {
    // journald stamps an audit-transport entry with the record's own time (journald-audit.c).
    timestamp: realtime === undefined ? undefined : Math.round(realtime / 1000) / 1000,
    serial: journalNumber(entry._AUDIT_ID),
    pid: journalNumber(entry._PID),
    comm: journalText(entry._COMM),
    exe: journalText(entry._EXE),
    fields,
  };
}
