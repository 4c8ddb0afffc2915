import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ABIS, abiInfo } from '../../src/syscalls/abi.js';
import { AUDIT_SYSCALL_NAMES } from '../../src/syscalls/audit-names.generated.js';
import { libseccompNameOfAuditName } from '../../src/syscalls/audit-names.js';
import { syscallExists } from '../../src/syscalls/table.js';

const GENERATED = new URL('../../src/syscalls/audit-names.generated.ts', import.meta.url);

describe('audit-userspace → libseccomp syscall names', () => {
  it('maps pread/pwrite to pread64/pwrite64 on x86_64, aarch64, ppc64le, s390x', () => {
    for (const abi of ['x86_64', 'aarch64', 'ppc64le', 's390x'] as const) {
      expect(libseccompNameOfAuditName(abi, 'pread')).toBe('pread64');
      expect(libseccompNameOfAuditName(abi, 'pwrite')).toBe('pwrite64');
    }
    expect(libseccompNameOfAuditName('x86_64', 'read')).toBe('read');
    expect(libseccompNameOfAuditName('x86_64', 'constructor')).toBe('constructor');
  });

  it('every target exists in libseccomp on the ABI, every source does not', () => {
    for (const abi of ABIS) {
      for (const [from, to] of Object.entries(AUDIT_SYSCALL_NAMES[abiInfo(abi).table] ?? {})) {
        expect(syscallExists(abi, to), `${abi} ${to}`).toBe(true);
        expect(syscallExists(abi, from), `${abi} ${from}`).toBe(false);
      }
    }
  });

  it('the committed table is what scripts/generate-audit-names.mjs makes from data/audit-userspace', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'sl-audit-names-')), 'audit-names.generated.ts');
    execFileSync(process.execPath, [
      new URL('../../scripts/generate-audit-names.mjs', import.meta.url).pathname,
      out,
    ]);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(GENERATED, 'utf8'));
  });
});
