import { type Abi, abiInfo } from './abi.js';
import { AUDIT_SYSCALL_NAMES } from './audit-names.generated.js';

/**
 * libseccomp's name for a syscall `ausearch -i` printed by audit-userspace's name, which differs for
 * some calls (x86_64 `pread` is libseccomp's `pread64`, aarch64 `newfstat` is `fstat`). The table is
 * generated number by number from both projects' tables (scripts/generate-audit-names.mjs).
 */
export function libseccompNameOfAuditName(abi: Abi, name: string): string {
  const names = AUDIT_SYSCALL_NAMES[abiInfo(abi).table];
  return (names && Object.hasOwn(names, name) ? names[name] : undefined) ?? name;
}
