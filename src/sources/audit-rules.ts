import { execa } from 'execa';
import { type AuditStatus, parseAuditStatus } from '../../parsers/audit.js';

/** Reads the kernel's audit status (`auditctl -s`); undefined when auditctl is missing or refuses. */
export async function auditStatus(): Promise<AuditStatus | undefined> {
  const result = await execa('auditctl', ['-s'], { reject: false });
  if (result.exitCode !== 0) return undefined;
  try {
    return parseAuditStatus(result.stdout);
  } catch {
    return undefined;
  }
}

export async function auditdRunning(): Promise<boolean> {
  const result = await execa('pgrep', ['-x', 'auditd'], { reject: false });
  return result.exitCode === 0;
}

function exitRuleArgs(key: string): string[][] {
  return [
    ['always,exit', '-F', 'arch=b64', '-S', 'exit,exit_group', '-k', key],
    ['always,exit', '-F', 'arch=b32', '-S', 'exit,exit_group', '-k', key],
  ];
}

/**
 * Asks the kernel to log every process exit (with its parent) under `key` while a container is
 * recorded, and returns how to take the rules away again. Returns undefined if they could not be
 * added (no auditctl, no CAP_AUDIT_CONTROL): recording goes on without ancestry.
 */
export async function addProcessExitRules(key: string): Promise<(() => Promise<void>) | undefined> {
  const added: string[][] = [];
  for (const rule of exitRuleArgs(key)) {
    const result = await execa('auditctl', ['-a', ...rule], { reject: false });
    if (result.exitCode === 0) added.push(rule);
  }
  if (added.length === 0) return undefined;
  return async () => {
    for (const rule of added) await execa('auditctl', ['-d', ...rule], { reject: false });
  };
}

/** Puts a user message through the kernel's audit queue, behind every record queued before it. */
export async function sendAuditMarker(text: string): Promise<boolean> {
  const result = await execa('auditctl', ['-m', text], { reject: false });
  return result.exitCode === 0;
}
