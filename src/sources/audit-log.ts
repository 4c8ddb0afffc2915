/**
 * Where auditd writes the kernel's audit records unless auditd.conf says otherwise. A module of its
 * own so that the command line's help can name it without loading execa.
 */
export const DEFAULT_AUDIT_LOG = '/var/log/audit/audit.log';
