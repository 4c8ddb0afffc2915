import type { Abi } from './abi.js';

/**
 * The system-call arguments seccomp-learn learns, and the constants that name their values.
 *
 * These are the calls where Docker's default profile and the Kubernetes seccomp proposal draw lines
 * by argument: creating namespaces (clone, clone3, unshare, setns), unusual socket families,
 * exotic personas, and prctl options. Values are the kernel's uapi constants, read from this
 * machine's headers (Debian 12, linux-libc-dev 6.1):
 * - CLONE_*: /usr/include/linux/sched.h
 * - AF_*: /usr/include/x86_64-linux-gnu/bits/socket.h (the kernel's include/linux/socket.h)
 * - PER_* and the persona flags: /usr/include/linux/personality.h
 * - PR_*: /usr/include/linux/prctl.h
 * - signals (clone's exit signal, its low byte): /usr/include/asm-generic/signal.h; the x86, arm,
 *   arm64, riscv and s390 numbering (mips, alpha, sparc and parisc number some differently; only
 *   the namespace bits of clone's flags are ever compared, so a mis-named signal changes no rule).
 *
 * ioctl requests (TIOCSTI 0x5412, TIOCLINUX 0x541C) are listed for naming, not learned: the kernel
 * reads an ioctl request as a 32-bit `unsigned int`, so the only rule that could refuse them while
 * admitting every other request compares all 64 bits and is bypassed by setting the high half, and
 * libseccomp (through runc) cannot say "any request but these" with a mask. Docker's default does
 * not filter ioctl either; Linux 6.2+ closes TIOCSTI with `dev.tty.legacy_tiocsti=0`.
 */

/** Where an argument is: a register argument (0-5), or a member of a structure the call reads. */
export type ArgumentKey = '0' | '1' | '2' | '3' | '4' | '5' | 'flags';

export type ArgumentKind = 'flags' | 'value';

export interface LearnedArgument {
  readonly syscall: string;
  /** The recording's key: the register argument's index, or `flags` for clone3's `clone_args.flags`. */
  readonly key: ArgumentKey;
  readonly label: string;
  readonly kind: ArgumentKind;
  /** How strace prints it: the n-th argument (from 0), or a `name=` field (clone, clone3). */
  readonly strace: { readonly position: number } | { readonly field: string };
  /** The symbolic names strace prints for it. */
  readonly names: ReadonlyMap<string, bigint>;
  /** False when seccomp cannot compare it (clone3's flags are in memory, not in a register). */
  readonly filterable: boolean;
}

const entries = (pairs: ReadonlyArray<readonly [string, number | bigint]>): Map<string, bigint> =>
  new Map(pairs.map(([name, value]) => [name, BigInt(value)]));

export const CLONE_FLAG_NAMES: ReadonlyMap<string, bigint> = entries([
  ['CLONE_NEWTIME', 0x80],
  ['CLONE_VM', 0x100],
  ['CLONE_FS', 0x200],
  ['CLONE_FILES', 0x400],
  ['CLONE_SIGHAND', 0x800],
  ['CLONE_PIDFD', 0x1000],
  ['CLONE_PTRACE', 0x2000],
  ['CLONE_VFORK', 0x4000],
  ['CLONE_PARENT', 0x8000],
  ['CLONE_THREAD', 0x10000],
  ['CLONE_NEWNS', 0x20000],
  ['CLONE_SYSVSEM', 0x40000],
  ['CLONE_SETTLS', 0x80000],
  ['CLONE_PARENT_SETTID', 0x100000],
  ['CLONE_CHILD_CLEARTID', 0x200000],
  ['CLONE_DETACHED', 0x400000],
  ['CLONE_UNTRACED', 0x800000],
  ['CLONE_CHILD_SETTID', 0x1000000],
  ['CLONE_NEWCGROUP', 0x2000000],
  ['CLONE_NEWUTS', 0x4000000],
  ['CLONE_NEWIPC', 0x8000000],
  ['CLONE_NEWUSER', 0x10000000],
  ['CLONE_NEWPID', 0x20000000],
  ['CLONE_NEWNET', 0x40000000],
  ['CLONE_IO', 0x80000000],
  ['CLONE_CLEAR_SIGHAND', 0x100000000n],
  ['CLONE_INTO_CGROUP', 0x200000000n],
]);

/** The namespace bits Docker masks in clone's flags (CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET). */
export const CLONE_NAMESPACE_MASK = 0x7e020000n;
/** unshare and clone3 also take CLONE_NEWTIME (0x80), which in clone's flags is part of the exit signal. */
export const UNSHARE_NAMESPACE_MASK = 0x7e020080n;

const SIGNAL_NAMES: ReadonlyMap<string, bigint> = entries(
  [
    'SIGHUP',
    'SIGINT',
    'SIGQUIT',
    'SIGILL',
    'SIGTRAP',
    'SIGABRT',
    'SIGBUS',
    'SIGFPE',
    'SIGKILL',
    'SIGUSR1',
    'SIGSEGV',
    'SIGUSR2',
    'SIGPIPE',
    'SIGALRM',
    'SIGTERM',
    'SIGSTKFLT',
    'SIGCHLD',
    'SIGCONT',
    'SIGSTOP',
    'SIGTSTP',
    'SIGTTIN',
    'SIGTTOU',
    'SIGURG',
    'SIGXCPU',
    'SIGXFSZ',
    'SIGVTALRM',
    'SIGPROF',
    'SIGWINCH',
    'SIGIO',
    'SIGPWR',
    'SIGSYS',
  ].map((name, i) => [name, i + 1] as const),
);

/** Address families, in order from AF_UNSPEC (0) to AF_MCTP (45). */
export const ADDRESS_FAMILY_NAMES: readonly string[] = [
  'AF_UNSPEC',
  'AF_UNIX',
  'AF_INET',
  'AF_AX25',
  'AF_IPX',
  'AF_APPLETALK',
  'AF_NETROM',
  'AF_BRIDGE',
  'AF_ATMPVC',
  'AF_X25',
  'AF_INET6',
  'AF_ROSE',
  'AF_DECnet',
  'AF_NETBEUI',
  'AF_SECURITY',
  'AF_KEY',
  'AF_NETLINK',
  'AF_PACKET',
  'AF_ASH',
  'AF_ECONET',
  'AF_ATMSVC',
  'AF_RDS',
  'AF_SNA',
  'AF_IRDA',
  'AF_PPPOX',
  'AF_WANPIPE',
  'AF_LLC',
  'AF_IB',
  'AF_MPLS',
  'AF_CAN',
  'AF_TIPC',
  'AF_BLUETOOTH',
  'AF_IUCV',
  'AF_RXRPC',
  'AF_ISDN',
  'AF_PHONET',
  'AF_IEEE802154',
  'AF_CAIF',
  'AF_ALG',
  'AF_NFC',
  'AF_VSOCK',
  'AF_KCM',
  'AF_QIPCRTR',
  'AF_SMC',
  'AF_XDP',
  'AF_MCTP',
];

const ADDRESS_FAMILIES: ReadonlyMap<string, bigint> = new Map([
  ...ADDRESS_FAMILY_NAMES.map((name, value): [string, bigint] => [name, BigInt(value)]),
  // Aliases strace may print (glibc's PF_* spellings and AF_ROUTE = AF_NETLINK, AF_LOCAL = AF_UNIX).
  ['AF_LOCAL', 1n],
  ['AF_FILE', 1n],
  ['AF_ROUTE', 16n],
  ...ADDRESS_FAMILY_NAMES.map((name, value): [string, bigint] => [`PF_${name.slice(3)}`, BigInt(value)]),
]);

export const AF_UNIX = 1n;
export const AF_INET = 2n;
export const AF_INET6 = 10n;
export const AF_NETLINK = 16n;
export const AF_PACKET = 17n;
export const AF_ALG = 38n;
export const AF_VSOCK = 40n;

/** Persona types (the low byte) and the flags strace prints beside them. */
const PERSONA_NAMES: ReadonlyMap<string, bigint> = entries([
  ['PER_LINUX', 0x0],
  ['PER_SVR4', 0x1],
  ['PER_SVR3', 0x2],
  ['PER_SCOSVR3', 0x3],
  ['PER_OSR5', 0x3],
  ['PER_WYSEV386', 0x4],
  ['PER_ISCR4', 0x5],
  ['PER_BSD', 0x6],
  ['PER_SUNOS', 0x6],
  ['PER_XENIX', 0x7],
  ['PER_LINUX32', 0x8],
  ['PER_IRIX32', 0x9],
  ['PER_IRIXN32', 0xa],
  ['PER_IRIX64', 0xb],
  ['PER_RISCOS', 0xc],
  ['PER_SOLARIS', 0xd],
  ['PER_UW7', 0xe],
  ['PER_OSF4', 0xf],
  ['PER_HPUX', 0x10],
  ['UNAME26', 0x20000],
  ['ADDR_NO_RANDOMIZE', 0x40000],
  ['FDPIC_FUNCPTRS', 0x80000],
  ['MMAP_PAGE_ZERO', 0x100000],
  ['ADDR_COMPAT_LAYOUT', 0x200000],
  ['READ_IMPLIES_EXEC', 0x400000],
  ['ADDR_LIMIT_32BIT', 0x800000],
  ['SHORT_INODE', 0x1000000],
  ['WHOLE_SECONDS', 0x2000000],
  ['STICKY_TIMEOUTS', 0x4000000],
  ['ADDR_LIMIT_3GB', 0x8000000],
]);

export const PRCTL_OPTION_NAMES: ReadonlyMap<string, bigint> = entries([
  ['PR_SET_PDEATHSIG', 1],
  ['PR_GET_PDEATHSIG', 2],
  ['PR_GET_DUMPABLE', 3],
  ['PR_SET_DUMPABLE', 4],
  ['PR_GET_UNALIGN', 5],
  ['PR_SET_UNALIGN', 6],
  ['PR_GET_KEEPCAPS', 7],
  ['PR_SET_KEEPCAPS', 8],
  ['PR_GET_FPEMU', 9],
  ['PR_SET_FPEMU', 10],
  ['PR_GET_FPEXC', 11],
  ['PR_SET_FPEXC', 12],
  ['PR_GET_TIMING', 13],
  ['PR_SET_TIMING', 14],
  ['PR_SET_NAME', 15],
  ['PR_GET_NAME', 16],
  ['PR_GET_ENDIAN', 19],
  ['PR_SET_ENDIAN', 20],
  ['PR_GET_SECCOMP', 21],
  ['PR_SET_SECCOMP', 22],
  ['PR_CAPBSET_READ', 23],
  ['PR_CAPBSET_DROP', 24],
  ['PR_GET_TSC', 25],
  ['PR_SET_TSC', 26],
  ['PR_GET_SECUREBITS', 27],
  ['PR_SET_SECUREBITS', 28],
  ['PR_SET_TIMERSLACK', 29],
  ['PR_GET_TIMERSLACK', 30],
  ['PR_TASK_PERF_EVENTS_DISABLE', 31],
  ['PR_TASK_PERF_EVENTS_ENABLE', 32],
  ['PR_MCE_KILL', 33],
  ['PR_MCE_KILL_GET', 34],
  ['PR_SET_MM', 35],
  ['PR_SET_CHILD_SUBREAPER', 36],
  ['PR_GET_CHILD_SUBREAPER', 37],
  ['PR_SET_NO_NEW_PRIVS', 38],
  ['PR_GET_NO_NEW_PRIVS', 39],
  ['PR_GET_TID_ADDRESS', 40],
  ['PR_SET_THP_DISABLE', 41],
  ['PR_GET_THP_DISABLE', 42],
  ['PR_MPX_ENABLE_MANAGEMENT', 43],
  ['PR_MPX_DISABLE_MANAGEMENT', 44],
  ['PR_SET_FP_MODE', 45],
  ['PR_GET_FP_MODE', 46],
  ['PR_CAP_AMBIENT', 47],
  ['PR_SVE_SET_VL', 50],
  ['PR_SVE_GET_VL', 51],
  ['PR_GET_SPECULATION_CTRL', 52],
  ['PR_SET_SPECULATION_CTRL', 53],
  ['PR_PAC_RESET_KEYS', 54],
  ['PR_SET_TAGGED_ADDR_CTRL', 55],
  ['PR_GET_TAGGED_ADDR_CTRL', 56],
  ['PR_SET_IO_FLUSHER', 57],
  ['PR_GET_IO_FLUSHER', 58],
  ['PR_SET_SYSCALL_USER_DISPATCH', 59],
  ['PR_PAC_SET_ENABLED_KEYS', 60],
  ['PR_PAC_GET_ENABLED_KEYS', 61],
  ['PR_SCHED_CORE', 62],
  ['PR_SME_SET_VL', 63],
  ['PR_SME_GET_VL', 64],
  ['PR_SET_MDWE', 65],
  ['PR_GET_MDWE', 66],
  ['PR_SET_MEMORY_MERGE', 67],
  ['PR_GET_MEMORY_MERGE', 68],
  ['PR_SET_VMA', 0x53564d41],
  ['PR_SET_PTRACER', 0x59616d61],
]);

/** ioctl requests that matter to containers: faking terminal input (TIOCSTI) and the console's subcodes. */
export const TIOCSTI = 0x5412n;
export const TIOCLINUX = 0x541cn;

const cloneFlags = new Map([...CLONE_FLAG_NAMES, ...SIGNAL_NAMES]);
const namespaceTypes = new Map(
  [...CLONE_FLAG_NAMES].filter(([, value]) => (value & UNSHARE_NAMESPACE_MASK) !== 0n),
);

export const LEARNED_ARGUMENTS: readonly LearnedArgument[] = [
  {
    syscall: 'clone',
    key: '0',
    label: 'flags',
    kind: 'flags',
    strace: { field: 'flags' },
    names: cloneFlags,
    filterable: true,
  },
  {
    syscall: 'clone3',
    key: 'flags',
    label: 'clone_args.flags',
    kind: 'flags',
    strace: { field: 'flags' },
    names: CLONE_FLAG_NAMES,
    filterable: false,
  },
  {
    syscall: 'unshare',
    key: '0',
    label: 'flags',
    kind: 'flags',
    strace: { position: 0 },
    names: CLONE_FLAG_NAMES,
    filterable: true,
  },
  {
    syscall: 'setns',
    key: '1',
    label: 'nstype',
    kind: 'value',
    strace: { position: 1 },
    names: namespaceTypes,
    filterable: true,
  },
  {
    syscall: 'socket',
    key: '0',
    label: 'domain',
    kind: 'value',
    strace: { position: 0 },
    names: ADDRESS_FAMILIES,
    filterable: true,
  },
  {
    syscall: 'personality',
    key: '0',
    label: 'persona',
    kind: 'value',
    strace: { position: 0 },
    names: PERSONA_NAMES,
    filterable: true,
  },
  {
    syscall: 'prctl',
    key: '0',
    label: 'option',
    kind: 'value',
    strace: { position: 0 },
    names: PRCTL_OPTION_NAMES,
    filterable: true,
  },
];

const BY_SYSCALL: ReadonlyMap<string, readonly LearnedArgument[]> = new Map(
  [...new Set(LEARNED_ARGUMENTS.map((argument) => argument.syscall))].map((syscall) => [
    syscall,
    LEARNED_ARGUMENTS.filter((argument) => argument.syscall === syscall),
  ]),
);

/** The arguments learned for `syscall`, or undefined when none are. */
/**
 * The learned arguments an audit SYSCALL record carries: those in its first four registers (a0-a3).
 * Not clone3's flags, which are in memory.
 */
export function isAuditedArgument(key: ArgumentKey): boolean {
  return key === '0' || key === '1' || key === '2' || key === '3';
}

export function learnedArgumentsOf(syscall: string): readonly LearnedArgument[] | undefined {
  return BY_SYSCALL.get(syscall);
}

/**
 * The register index an argument is compared at on `abi`: clone's flags come second on s390 and
 * s390x (the kernel's CONFIG_CLONE_BACKWARDS2), first elsewhere. Undefined for what seccomp cannot see.
 */
export function registerIndex(argument: LearnedArgument, abi: Abi): number | undefined {
  if (!argument.filterable) return undefined;
  if (argument.syscall === 'clone' && (abi === 's390' || abi === 's390x')) return 1;
  return Number(argument.key);
}

/** How many distinct values a recording keeps per argument; past it the argument is unconstrained. */
export const MAX_ARGUMENT_VALUES = 16;

/** A value as the recording writes it: lower-case hexadecimal. */
export const argumentValueText = (value: bigint): string => `0x${value.toString(16)}`;

/** The value of a recording's `0x…` text. */
export const argumentValueOf = (text: string): bigint => BigInt(text);

const NAME_BY_VALUE = new Map<string, Map<bigint, string>>();

/** Names for a value of a learned argument: "AF_INET", "CLONE_VM|CLONE_FS|SIGCHLD", or hex. */
export function argumentValueName(syscall: string, key: string, value: bigint): string {
  const argument = learnedArgumentsOf(syscall)?.find((candidate) => candidate.key === key);
  if (!argument) return argumentValueText(value);
  if (argument.kind === 'value') {
    let byValue = NAME_BY_VALUE.get(`${syscall}/${key}`);
    if (!byValue) {
      byValue = new Map();
      for (const [name, v] of argument.names)
        if (!byValue.has(v) && !name.startsWith('PF_')) byValue.set(v, name);
      NAME_BY_VALUE.set(`${syscall}/${key}`, byValue);
    }
    const name = byValue.get(value);
    if (syscall === 'personality' && value === 0xffffffffn) return '0xffffffff (query)';
    return name ?? argumentValueText(value);
  }
  const names: string[] = [];
  let rest = value;
  for (const [name, bit] of CLONE_FLAG_NAMES) {
    if (syscall === 'clone' && bit === 0x80n) continue;
    if ((rest & bit) !== 0n) {
      names.push(name);
      rest &= ~bit;
    }
  }
  if (syscall === 'clone' && (rest & 0xffn) !== 0n) {
    const signal = rest & 0xffn;
    const name = [...SIGNAL_NAMES].find(([, v]) => v === signal)?.[0];
    names.push(name ?? argumentValueText(signal));
    rest &= ~0xffn;
  }
  if (rest !== 0n) names.push(argumentValueText(rest));
  return names.length > 0 ? names.join('|') : '0';
}

/** The namespace-creating bits of a flags value (clone's exit signal excluded). */
export function namespaceBits(syscall: string, value: bigint): bigint {
  return value & (syscall === 'clone' ? CLONE_NAMESPACE_MASK : UNSHARE_NAMESPACE_MASK);
}
