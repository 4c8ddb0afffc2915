import { type Abi, abiInfo } from './abi.js';
import { SYSCALL_TABLE_COLUMNS, SYSCALL_TABLE_ROWS } from './table.generated.js';

interface AbiTable {
  readonly byNumber: ReadonlyMap<number, string>;
  readonly byName: ReadonlyMap<string, number>;
}

const cache = new Map<Abi, AbiTable>();

function tableFor(abi: Abi): AbiTable {
  const cached = cache.get(abi);
  if (cached) return cached;
  const info = abiInfo(abi);
  const column = SYSCALL_TABLE_COLUMNS.indexOf(info.table) + 1;
  const byNumber = new Map<number, string>();
  const byName = new Map<string, number>();
  for (const row of SYSCALL_TABLE_ROWS) {
    const raw = row[column];
    if (typeof raw !== 'number' || raw < 0) continue;
    const number = raw + info.nrBase;
    byName.set(row[0], number);
    // Two names can share a number (aliases); the first in sorted order is kept, as libseccomp does.
    if (!byNumber.has(number)) byNumber.set(number, row[0]);
  }
  const table = { byNumber, byName };
  cache.set(abi, table);
  return table;
}

/** The name of syscall `number` as the kernel sees it on `abi` (ABI offsets included), if it has one. */
export function syscallName(abi: Abi, number: number): string | undefined {
  return tableFor(abi).byNumber.get(number);
}

/** The number the kernel uses for `name` on `abi`, ABI offsets included. */
export function syscallNumber(abi: Abi, name: string): number | undefined {
  return tableFor(abi).byName.get(name);
}

export function syscallExists(abi: Abi, name: string): boolean {
  return tableFor(abi).byName.has(name);
}

/** Every syscall name libseccomp knows on any ABI. */
export function knownSyscallName(name: string): boolean {
  return SYSCALL_TABLE_ROWS.some((row) => row[0] === name);
}

export function syscallNamesOf(abi: Abi): string[] {
  return [...tableFor(abi).byName.keys()];
}
