/**
 * Reads the SYSCALL records of the audit rules seccomp-learn adds while it records a container
 * (src/sources/audit-rules.ts): `type=SYSCALL … arch=c000003e syscall=41 … a0=1 a1=80001 a2=0 a3=0
 * items=0 ppid=<parent> pid=<process> … key="<key>"`. Both pids are as the host sees them (a fork's
 * own return value would be the container's namespaced pid), so a process that ended before its
 * cgroup could be read can still be placed through its parent; a0-a3 are the call's first four
 * registers, in hexadecimal, as the kernel saw them at the call's exit.
 */
export interface RuleRecord {
  pid: number;
  parent: number;
  /** AUDIT_ARCH_* and the raw syscall number, as the record gives them. */
  auditArch: number;
  syscall: number;
  /** a0-a3. */
  registers: bigint[];
}

function fieldText(line: string, name: string): string | undefined {
  const at = line.indexOf(` ${name}=`);
  if (at < 0) return undefined;
  const start = at + name.length + 2;
  const end = line.indexOf(' ', start);
  return line.slice(start, end < 0 ? line.length : end);
}

function decimal(line: string, name: string): number | undefined {
  const text = fieldText(line, name);
  return text !== undefined && /^-?\d+$/.test(text) ? Number(text) : undefined;
}

function hexadecimal(line: string, name: string): bigint | undefined {
  const text = fieldText(line, name);
  return text !== undefined && /^[0-9a-f]{1,16}$/i.test(text) ? BigInt(`0x${text}`) : undefined;
}

export function parseRuleRecord(line: string, key: string): RuleRecord | undefined {
  if (!line.includes(`key="${key}"`) || !line.includes('type=SYSCALL')) return undefined;
  const parent = decimal(line, 'ppid');
  const pid = decimal(line, 'pid');
  const syscall = decimal(line, 'syscall');
  const auditArch = hexadecimal(line, 'arch');
  if (parent === undefined || pid === undefined || syscall === undefined || auditArch === undefined)
    return undefined;
  const registers: bigint[] = [];
  for (const name of ['a0', 'a1', 'a2', 'a3']) {
    const value = hexadecimal(line, name);
    if (value === undefined) return undefined;
    registers.push(value);
  }
  return { pid, parent, auditArch: Number(auditArch), syscall, registers };
}
