import { EnvironmentError } from '../errors.js';

/**
 * The one place that maps between the names different tools give the same system-call ABI:
 * libseccomp's arch names (our canonical id), OCI `SCMP_ARCH_*`, the kernel's AUDIT_ARCH codes
 * printed as `arch=` in audit records, strace's personality titles and Docker's `includes.arches`.
 * Sources: docs/upstream-facts.md §3 (libseccomp include/seccomp.h.in, src/arch.c) and §6 (strace arch_defs.h).
 */

/** The syscall-number table an ABI uses; endian variants share one table. */
export type SyscallTableName =
  | 'x86'
  | 'x86_64'
  | 'x32'
  | 'arm'
  | 'aarch64'
  | 'loongarch64'
  | 'm68k'
  | 'mips'
  | 'mips64'
  | 'mips64n32'
  | 'parisc'
  | 'parisc64'
  | 'ppc'
  | 'ppc64'
  | 'riscv64'
  | 's390'
  | 's390x'
  | 'sh';

export const ABIS = [
  'x86_64',
  'x86',
  'x32',
  'aarch64',
  'arm',
  'loongarch64',
  'm68k',
  'mips',
  'mipsel',
  'mips64',
  'mipsel64',
  'mips64n32',
  'mipsel64n32',
  'parisc',
  'parisc64',
  'ppc',
  'ppc64',
  'ppc64le',
  'riscv64',
  's390',
  's390x',
  'sh',
  'sheb',
] as const;

/** An ABI named as libseccomp names it (`arch_def_lookup_name()`). */
export type Abi = (typeof ABIS)[number];

export interface AbiInfo {
  readonly abi: Abi;
  readonly scmpArch: string;
  /** AUDIT_ARCH_* value, as audit records print it in hex after `arch=`. */
  readonly auditArch: number;
  readonly table: SyscallTableName;
  /** Added to the table's numbers to get what the kernel sees (x32 bit, MIPS o32/n64/n32 bases). */
  readonly nrBase: number;
  /** Docker's name for the ABI in `includes.arches` / `excludes.arches` (Go-flavoured). */
  readonly dockerArch: string;
}

const X32_SYSCALL_BIT = 0x40000000;

const INFO: readonly AbiInfo[] = [
  {
    abi: 'x86_64',
    scmpArch: 'SCMP_ARCH_X86_64',
    auditArch: 0xc000003e,
    table: 'x86_64',
    nrBase: 0,
    dockerArch: 'amd64',
  },
  {
    abi: 'x86',
    scmpArch: 'SCMP_ARCH_X86',
    auditArch: 0x40000003,
    table: 'x86',
    nrBase: 0,
    dockerArch: 'x86',
  },
  {
    abi: 'x32',
    scmpArch: 'SCMP_ARCH_X32',
    auditArch: 0xc000003e,
    table: 'x32',
    nrBase: X32_SYSCALL_BIT,
    dockerArch: 'x32',
  },
  {
    abi: 'aarch64',
    scmpArch: 'SCMP_ARCH_AARCH64',
    auditArch: 0xc00000b7,
    table: 'aarch64',
    nrBase: 0,
    dockerArch: 'arm64',
  },
  {
    abi: 'arm',
    scmpArch: 'SCMP_ARCH_ARM',
    auditArch: 0x40000028,
    table: 'arm',
    nrBase: 0,
    dockerArch: 'arm',
  },
  {
    abi: 'loongarch64',
    scmpArch: 'SCMP_ARCH_LOONGARCH64',
    auditArch: 0xc0000102,
    table: 'loongarch64',
    nrBase: 0,
    dockerArch: 'loong64',
  },
  {
    abi: 'm68k',
    scmpArch: 'SCMP_ARCH_M68K',
    auditArch: 0x00000004,
    table: 'm68k',
    nrBase: 0,
    dockerArch: 'm68k',
  },
  {
    abi: 'mips',
    scmpArch: 'SCMP_ARCH_MIPS',
    auditArch: 0x00000008,
    table: 'mips',
    nrBase: 4000,
    dockerArch: 'mips',
  },
  {
    abi: 'mipsel',
    scmpArch: 'SCMP_ARCH_MIPSEL',
    auditArch: 0x40000008,
    table: 'mips',
    nrBase: 4000,
    dockerArch: 'mipsle',
  },
  {
    abi: 'mips64',
    scmpArch: 'SCMP_ARCH_MIPS64',
    auditArch: 0x80000008,
    table: 'mips64',
    nrBase: 5000,
    dockerArch: 'mips64',
  },
  {
    abi: 'mipsel64',
    scmpArch: 'SCMP_ARCH_MIPSEL64',
    auditArch: 0xc0000008,
    table: 'mips64',
    nrBase: 5000,
    dockerArch: 'mips64le',
  },
  {
    abi: 'mips64n32',
    scmpArch: 'SCMP_ARCH_MIPS64N32',
    auditArch: 0xa0000008,
    table: 'mips64n32',
    nrBase: 6000,
    dockerArch: 'mips64n32',
  },
  {
    abi: 'mipsel64n32',
    scmpArch: 'SCMP_ARCH_MIPSEL64N32',
    auditArch: 0xe0000008,
    table: 'mips64n32',
    nrBase: 6000,
    dockerArch: 'mips64len32',
  },
  {
    abi: 'parisc',
    scmpArch: 'SCMP_ARCH_PARISC',
    auditArch: 0x0000000f,
    table: 'parisc',
    nrBase: 0,
    dockerArch: 'parisc',
  },
  {
    abi: 'parisc64',
    scmpArch: 'SCMP_ARCH_PARISC64',
    auditArch: 0x8000000f,
    table: 'parisc64',
    nrBase: 0,
    dockerArch: 'parisc64',
  },
  {
    abi: 'ppc',
    scmpArch: 'SCMP_ARCH_PPC',
    auditArch: 0x00000014,
    table: 'ppc',
    nrBase: 0,
    dockerArch: 'ppc',
  },
  {
    abi: 'ppc64',
    scmpArch: 'SCMP_ARCH_PPC64',
    auditArch: 0x80000015,
    table: 'ppc64',
    nrBase: 0,
    dockerArch: 'ppc64',
  },
  {
    abi: 'ppc64le',
    scmpArch: 'SCMP_ARCH_PPC64LE',
    auditArch: 0xc0000015,
    table: 'ppc64',
    nrBase: 0,
    dockerArch: 'ppc64le',
  },
  {
    abi: 'riscv64',
    scmpArch: 'SCMP_ARCH_RISCV64',
    auditArch: 0xc00000f3,
    table: 'riscv64',
    nrBase: 0,
    dockerArch: 'riscv64',
  },
  {
    abi: 's390',
    scmpArch: 'SCMP_ARCH_S390',
    auditArch: 0x00000016,
    table: 's390',
    nrBase: 0,
    dockerArch: 's390',
  },
  {
    abi: 's390x',
    scmpArch: 'SCMP_ARCH_S390X',
    auditArch: 0x80000016,
    table: 's390x',
    nrBase: 0,
    dockerArch: 's390x',
  },
  { abi: 'sh', scmpArch: 'SCMP_ARCH_SH', auditArch: 0x4000002a, table: 'sh', nrBase: 0, dockerArch: 'sh' },
  {
    abi: 'sheb',
    scmpArch: 'SCMP_ARCH_SHEB',
    auditArch: 0x0000002a,
    table: 'sh',
    nrBase: 0,
    dockerArch: 'sheb',
  },
];

const BY_ABI = new Map<string, AbiInfo>(INFO.map((info) => [info.abi, info]));
const BY_SCMP = new Map<string, AbiInfo>(INFO.map((info) => [info.scmpArch, info]));

export function isAbi(value: string): value is Abi {
  return BY_ABI.has(value);
}

export function abiInfo(abi: Abi): AbiInfo {
  const info = BY_ABI.get(abi);
  if (!info) throw new Error(`no ABI ${abi}`);
  return info;
}

export function abiFromScmpArch(scmpArch: string): Abi | undefined {
  return BY_SCMP.get(scmpArch)?.abi;
}

/**
 * Resolves an audit record's `arch=` code and raw syscall number to the ABI that made the call.
 * x32 shares x86_64's AUDIT_ARCH and is told apart only by the syscall-number bit.
 */
export function abiFromAuditArch(auditArch: number, syscallNumber: number): Abi | undefined {
  if (auditArch === 0xc000003e) return syscallNumber >= X32_SYSCALL_BIT ? 'x32' : 'x86_64';
  return INFO.find((info) => info.auditArch === auditArch)?.abi;
}

/** Names `ausearch -i` prints for `arch=` (audit-userspace machinetab), where they differ from ours. */
const AUSEARCH_ARCH_NAMES: Readonly<Record<string, Abi>> = {
  i386: 'x86',
  i486: 'x86',
  i586: 'x86',
  i686: 'x86',
  armeb: 'arm',
  armv7l: 'arm',
  ppc64le: 'ppc64le',
};

export function abiFromInterpretedArch(name: string, syscallNumber?: number): Abi | undefined {
  if (name === 'x86_64' && syscallNumber !== undefined && syscallNumber >= X32_SYSCALL_BIT) return 'x32';
  if (isAbi(name)) return name;
  return AUSEARCH_ARCH_NAMES[name];
}

/**
 * strace numbers its personalities per host architecture; personality 0 has no title in `-c`
 * output, the others are announced as "System call usage summary for 32 bit mode:" and in
 * full traces as "[ Process PID=N runs in x32 mode. ]".
 */
const STRACE_PERSONALITIES: Readonly<Partial<Record<Abi, Readonly<Record<string, Abi>>>>> = {
  x86_64: { '64 bit': 'x86_64', '32 bit': 'x86', x32: 'x32' },
  aarch64: { '64 bit': 'aarch64', '32 bit': 'arm' },
  ppc64: { '64 bit': 'ppc64', '32 bit': 'ppc' },
  ppc64le: { '64 bit': 'ppc64le', '32 bit': 'ppc' },
  s390x: { '64 bit': 's390x', '32 bit': 's390' },
  parisc64: { '64 bit': 'parisc64', '32 bit': 'parisc' },
  mips64: { '64 bit': 'mips64', '32 bit': 'mips' },
  mipsel64: { '64 bit': 'mipsel64', '32 bit': 'mipsel' },
};

/** The ABI strace means by a personality title ("32 bit", "x32", "64 bit") when it traces on `host`. */
export function abiFromStracePersonality(title: string, host: Abi): Abi | undefined {
  return STRACE_PERSONALITIES[host]?.[title];
}

/** ABIs a process on this host kind can use: the native one first. */
export function abisOfHost(host: Abi): Abi[] {
  const personalities = STRACE_PERSONALITIES[host];
  if (!personalities) return [host];
  return [host, ...Object.values(personalities).filter((abi) => abi !== host)];
}

const NODE_ARCH_TO_ABI: Readonly<Record<string, Abi>> = {
  x64: 'x86_64',
  ia32: 'x86',
  arm64: 'aarch64',
  arm: 'arm',
  loong64: 'loongarch64',
  mips: 'mips',
  mipsel: 'mipsel',
  ppc: 'ppc',
  ppc64: 'ppc64le',
  riscv64: 'riscv64',
  s390: 's390',
  s390x: 's390x',
};

/** The native ABI of the machine this runs on; `nodeArch` is a parameter so that tests can name any. */
export function hostAbi(nodeArch: string = process.arch): Abi {
  const abi = NODE_ARCH_TO_ABI[nodeArch];
  if (!abi) {
    throw new EnvironmentError(
      `unsupported host architecture ${JSON.stringify(nodeArch)} (Node's process.arch): seccomp-learn knows ${Object.keys(NODE_ARCH_TO_ABI).join(', ')}`,
    );
  }
  return abi;
}
