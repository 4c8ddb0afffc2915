/**
 * Reads Linux SECCOMP audit records (type 1326, and the older `type=1701 … reason="seccomp"`) in
 * every form they reach users: auditd's audit.log (raw and ENRICHED), `ausearch -i`, dmesg and
 * /dev/kmsg, syslog/audisp, journald short and JSON output. Sources: docs/upstream-facts.md §7 and the kernel's
 * kernel/auditsc.c, kernel/audit.c, include/uapi/linux/seccomp.h.
 *
 * This file is the public entry; the parts, one idea a file, are in parsers/audit/: fields (reading
 * values from bytes), timestamps, journald, loss (the kernel's drop notices), strings (comm/exe),
 * pairing (journald's second copy), record (one record), parser (the lines of an input), input
 * (streams and files), status (`auditctl -s`).
 */

export { type SeccompAction, seccompAction } from './audit/actions.js';
export { feedAuditLines, readAuditFile } from './audit/input.js';
export { createAuditParser } from './audit/parser.js';
export { type AuditStatus, parseAuditStatus } from './audit/status.js';
export type { AuditLineParser, AuditParserOptions, SeccompAuditRecord } from './audit/types.js';
