import { InputError } from '../../src/errors.js';

export interface AuditStatus {
  lost: number;
  backlog?: number;
  backlogLimit?: number;
  enabled?: number;
}

/**
 * Reads `auditctl -s`: one `name value` per line (audit 2.3 and later), or the older single
 * `AUDIT_STATUS: enabled=1 … lost=0 backlog=0` line.
 */
export function parseAuditStatus(text: string): AuditStatus {
  const value = (name: string): number | undefined => {
    const match = new RegExp(`(?:^|[\\s:])${name}[ =](\\d+)`, 'm').exec(text);
    return match?.[1] === undefined ? undefined : Number(match[1]);
  };
  const lost = value('lost');
  if (lost === undefined) {
    throw new InputError(
      'auditctl -s output',
      undefined,
      'no "lost" value: this is not what `auditctl -s` prints',
    );
  }
  const status: AuditStatus = { lost };
  const backlog = value('backlog');
  if (backlog !== undefined) status.backlog = backlog;
  const backlogLimit = value('backlog_limit');
  if (backlogLimit !== undefined) status.backlogLimit = backlogLimit;
  const enabled = value('enabled');
  if (enabled !== undefined) status.enabled = enabled;
  return status;
}
