import { describeWitness, type Witness } from '../binaries/witness.js';
import type { Abi } from '../syscalls/abi.js';
import { DANGEROUS_SYSCALLS } from '../syscalls/dangerous.js';
import { syscallExists } from '../syscalls/table.js';
import type { WideningReason } from './reasons.js';
import { kindsShownBy, type WorkKind, workKindOf } from './work-kinds.js';

/**
 * Calls that do the same job, so that an allowlist learned from one run does not break the next
 * run that takes the other road: a libc version, an architecture or a code path that picks the
 * sibling (glibc 2.33 turned stat() into newfstatat, aarch64 has no open, mkdir or dup2, sleep() is
 * clock_nanosleep in glibc and nanosleep in musl), and a fallback that a program only takes when the
 * newer call fails (openat2 → openat, clone3 → clone). Names not on an ABI (sigsuspend on x86_64,
 * open on aarch64) are simply skipped there.
 */

export interface EquivalenceGroup {
  /** Seeing any of these… */
  when: readonly string[];
  /** …makes these possible too. */
  add: readonly string[];
  reason: string;
}

/** Any member stands for any other. */
function same(names: readonly string[], reason: string): EquivalenceGroup {
  return { when: names, add: names, reason };
}

export const EQUIVALENCE_GROUPS: readonly EquivalenceGroup[] = [
  same(
    ['open', 'openat', 'creat'],
    'open(p) is openat(AT_FDCWD, p) and creat(p) is open(p, O_CREAT|O_WRONLY|O_TRUNC); libcs pick one by version and architecture',
  ),
  {
    when: ['openat2'],
    add: ['openat'],
    reason:
      'openat2 (Linux 5.6) is openat with resolve flags; programs fall back to openat where it is refused',
  },
  same(['mkdir', 'mkdirat'], 'mkdir(p) is mkdirat(AT_FDCWD, p)'),
  same(['readlink', 'readlinkat'], 'readlink(p) is readlinkat(AT_FDCWD, p)'),
  same(
    ['chmod', 'fchmodat', 'fchmodat2'],
    'chmod(p) is fchmodat(AT_FDCWD, p); glibc 2.39 uses fchmodat2 for AT_SYMLINK_NOFOLLOW',
  ),
  same(
    ['chown', 'lchown', 'fchownat'],
    'chown and lchown are fchownat(AT_FDCWD, p) without and with AT_SYMLINK_NOFOLLOW',
  ),
  same(
    ['nanosleep', 'clock_nanosleep'],
    'sleep() and nanosleep() are clock_nanosleep(CLOCK_REALTIME) in glibc and nanosleep in musl',
  ),
  same(
    ['stat', 'lstat', 'fstat', 'newfstatat', 'statx', 'stat64', 'lstat64', 'fstat64', 'fstatat64'],
    'the stat family: glibc 2.33 implements stat, lstat and fstat with newfstatat (fstatat64 on 32-bit), other libcs and programs call them directly or use statx',
  ),
  same(['dup2', 'dup3'], 'dup2(a, b) is dup3(a, b, 0); aarch64 has only dup3'),
  same(['pipe', 'pipe2'], 'pipe(fds) is pipe2(fds, 0); aarch64 has only pipe2'),
  same(['poll', 'ppoll'], 'poll is ppoll without a signal mask; aarch64 has only ppoll'),
  same(
    ['select', 'pselect6', '_newselect'],
    'select is pselect6 without a signal mask; aarch64 has only pselect6',
  ),
  same(
    ['epoll_wait', 'epoll_pwait', 'epoll_pwait2'],
    'epoll_wait is epoll_pwait without a signal mask; epoll_pwait2 takes a timespec; aarch64 has no epoll_wait',
  ),
  same(['epoll_create', 'epoll_create1'], 'epoll_create(n) is epoll_create1(0)'),
  same(
    ['rename', 'renameat', 'renameat2'],
    'rename(a, b) is renameat(AT_FDCWD, a, AT_FDCWD, b), which glibc implements with renameat2 where the kernel lacks renameat (riscv64, loongarch64)',
  ),
  same(['unlink', 'unlinkat'], 'unlink(p) is unlinkat(AT_FDCWD, p, 0)'),
  same(['rmdir', 'unlinkat'], 'rmdir(p) is unlinkat(AT_FDCWD, p, AT_REMOVEDIR)'),
  same(['link', 'linkat'], 'link(a, b) is linkat(AT_FDCWD, a, AT_FDCWD, b, 0)'),
  same(['symlink', 'symlinkat'], 'symlink(a, b) is symlinkat(a, AT_FDCWD, b)'),
  same(
    ['access', 'faccessat', 'faccessat2'],
    'access(p) is faccessat(AT_FDCWD, p); glibc 2.33 uses faccessat2 for flags',
  ),
  same(
    ['utime', 'utimes', 'utimensat', 'futimesat'],
    'utime, utimes and futimesat set file times as utimensat does, which glibc uses for all of them',
  ),
  same(
    ['getdents', 'getdents64'],
    'readdir reads directory entries with getdents64, or getdents in older libcs',
  ),
  same(
    ['wait4', 'waitid', 'waitpid'],
    'waitpid() and wait() are wait4 in glibc; waitid waits for the same children through another interface (Go, os.waitid)',
  ),
  same(
    ['rt_sigsuspend', 'sigsuspend'],
    'sigsuspend() is rt_sigsuspend on every 64-bit ABI; a shell’s wait while the child lives',
  ),
  same(
    ['pause', 'rt_sigsuspend'],
    'pause() waits for a signal like sigsuspend with the current mask; aarch64 has no pause and glibc uses rt_sigsuspend there',
  ),
  same(['rt_sigaction', 'sigaction'], 'sigaction() is rt_sigaction on every 64-bit ABI'),
  same(['rt_sigprocmask', 'sigprocmask'], 'sigprocmask() is rt_sigprocmask on every 64-bit ABI'),
  same(['rt_sigreturn', 'sigreturn'], 'returning from a signal handler is rt_sigreturn on every 64-bit ABI'),
  same(['rt_sigpending', 'sigpending'], 'sigpending() is rt_sigpending on every 64-bit ABI'),
  same(['signalfd', 'signalfd4'], 'signalfd is signalfd4 without flags'),
  same(['eventfd', 'eventfd2'], 'eventfd is eventfd2 without flags'),
  same(['inotify_init', 'inotify_init1'], 'inotify_init is inotify_init1(0)'),
  same(['accept', 'accept4'], 'accept is accept4 without flags'),
  same(
    ['getrlimit', 'setrlimit', 'prlimit64'],
    'glibc implements getrlimit and setrlimit with prlimit64; loongarch64 has only prlimit64',
  ),
  same(
    ['fork', 'vfork', 'clone'],
    'fork() and vfork() are clone with SIGCHLD (and CLONE_VFORK|CLONE_VM) in glibc; aarch64 has only clone',
  ),
  {
    when: ['clone3'],
    add: ['clone'],
    reason: 'glibc 2.34 tries clone3 and falls back to clone when it is refused with ENOSYS',
  },
];

export const WIDEN_MODES = ['none', 'equivalents', 'reachable', 'reachable-all'] as const;
export type WidenMode = (typeof WIDEN_MODES)[number];
/**
 * What the user may ask for: a mode, or `auto` (the default), which is `reachable` when the
 * workload's binaries can be read and `equivalents` when they cannot, so that a profile holds on
 * inputs the recording never saw wherever that can be known.
 */
export const WIDEN_CHOICES = ['auto', ...WIDEN_MODES] as const;
export type WidenChoice = (typeof WIDEN_CHOICES)[number];

export interface WidenedName {
  name: string;
  /** Why it was proposed: the sibling of an observed call, or a call the binaries can make. */
  kind: 'equivalent' | 'reachable';
  /** `equivalent of mkdir: mkdir(p) is mkdirat(AT_FDCWD, p)` or `reachable through fsync of /usr/bin/redis-server`. */
  reason: string;
  /** The same as data: the observed call it is the equivalent of, or the witness that reaches it. */
  cause: WideningReason;
  /**
   * For a name held back: a dangerous call never observed, an equivalent the binaries cannot make
   * (`reachable`), or a reachable call of a kind of work the recording never shows
   * (src/profile/work-kinds.ts).
   */
  heldFor?: 'dangerous' | 'unreachable' | WorkKind;
}

export interface Widening {
  /** Names to allow beyond the observed ones, with why, by name. */
  added: WidenedName[];
  /**
   * Names widening proposed but did not add, each with `heldFor`: dangerous ones
   * (src/syscalls/dangerous.ts) are never added unobserved, and `reachable` adds a call of a kind of
   * work only when the recording shows that kind, an equivalent only when the binaries can make it.
   */
  heldBack: WidenedName[];
}

/**
 * What `mode` adds to the observed names on `abi`. `equivalents` adds the siblings of observed
 * calls. `reachable-all` also adds every call the workload's binaries can reach (`reachable`, from
 * src/binaries reachableSyscalls). `reachable` lets the code decide: it adds the reachable calls
 * within the kinds of work the observed calls show (src/profile/work-kinds.ts; `runtimeCalls`, what
 * the container runtime calls after installing the filter, shows nothing of the workload's), and an
 * equivalent only when the binaries can make it (the sibling guards against a libc that takes the
 * other road; the code read says which road it takes). A dangerous call is never added unless it
 * was observed. What is not added is listed in `heldBack`, with why.
 */
export function widen(
  observed: ReadonlySet<string>,
  mode: WidenMode,
  reachable: ReadonlyMap<string, Witness> = new Map(),
  abi: Abi = 'x86_64',
  runtimeCalls: ReadonlySet<string> = new Set(),
): Widening {
  const reasons = new Map<string, Omit<WidenedName, 'name'>>();
  const propose = (name: string, reason: string, cause: WideningReason) => {
    if (observed.has(name) || reasons.has(name) || !syscallExists(abi, name)) return;
    reasons.set(name, { kind: cause.kind, reason, cause });
  };
  if (mode === 'reachable' || mode === 'reachable-all') {
    for (const [name, witness] of reachable)
      propose(name, `reachable ${describeWitness(witness)}`, { kind: 'reachable', ...witness });
  }
  if (mode !== 'none') {
    // Siblings of observed calls only: a reachable call's sibling is not in those binaries' code.
    const base = [...observed].sort();
    for (const group of EQUIVALENCE_GROUPS) {
      const seen = base.find((name) => group.when.includes(name));
      if (seen === undefined) continue;
      for (const name of group.add) {
        const cause = { kind: 'equivalent', of: seen, why: group.reason } as const;
        propose(name, `equivalent of ${seen}: ${group.reason}`, cause);
      }
    }
  }
  const byCode = mode === 'reachable';
  const shown = byCode ? kindsShownBy([...observed].filter((name) => !runtimeCalls.has(name))) : undefined;
  const added: WidenedName[] = [];
  const heldBack: WidenedName[] = [];
  for (const name of [...reasons.keys()].sort()) {
    const entry = { name, ...(reasons.get(name) as Omit<WidenedName, 'name'>) };
    const kind = entry.kind === 'reachable' ? workKindOf(name) : undefined;
    // Out of kind first: a dangerous call Docker admits in a restricted form (socket) is added in
    // that form only where its kind of work is shown.
    if (shown && kind && !shown.has(kind)) heldBack.push({ ...entry, heldFor: kind });
    else if (byCode && entry.kind === 'equivalent') heldBack.push({ ...entry, heldFor: 'unreachable' });
    else if (DANGEROUS_SYSCALLS.has(name)) heldBack.push({ ...entry, heldFor: 'dangerous' });
    else added.push(entry);
  }
  return { added, heldBack };
}
