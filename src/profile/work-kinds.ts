/**
 * Kinds of work: groups of calls that a workload either does or does not do at all, whatever its
 * input. An interpreter's executable reaches nearly the whole POSIX API (python3's `os` module wraps
 * it: 137 names beyond what a one-line script calls), but a workload that never opened a socket in
 * any recorded run is not a network program on its next input either, while one that wrote a file
 * may well rename, truncate or sync one next time (the held-out suite's refusals were all of that
 * sort: more of a kind already shown, never a new kind). A kind is a role the workload has or does
 * not have, never a property of its data: extended attributes are not one (`cp -a` sets ACLs
 * through fsetxattr on plain files where `cp` makes no xattr call), nor are timers (git arms
 * setitimer for its progress display on some inputs only).
 *
 * So `--widen reachable` adds a reachable call of one of these kinds only when the recording shows
 * the kind (any of its calls observed on that ABI), and lists the rest as held back with the kind's
 * name; `--widen reachable-all` adds them all. A call in no kind (file I/O, memory, signals,
 * processes, time) is added whenever it is reachable.
 */

export interface WorkKind {
  /** How the kind is named in notes and reports: "network sockets". */
  title: string;
  names: readonly string[];
  /** Why a workload that never showed the kind is taken not to need it. */
  why: string;
}

export const WORK_KINDS: readonly WorkKind[] = [
  {
    title: 'network sockets',
    names: [
      'socket',
      'socketpair',
      'socketcall',
      'connect',
      'accept',
      'accept4',
      'bind',
      'listen',
      'getpeername',
      'getsockname',
      'getsockopt',
      'setsockopt',
      'sendto',
      'recvfrom',
      'sendmsg',
      'recvmsg',
      'sendmmsg',
      'recvmmsg',
      'recvmmsg_time64',
      'shutdown',
    ],
    why: 'every socket starts with socket, socketpair or accept: a run that made none has no socket to use the rest on',
  },
  {
    title: 'scheduling policy',
    names: [
      'sched_setscheduler',
      'sched_setparam',
      'sched_getscheduler',
      'sched_getparam',
      'sched_get_priority_max',
      'sched_get_priority_min',
      'sched_rr_get_interval',
      'sched_rr_get_interval_time64',
      'sched_setaffinity',
      'sched_setattr',
      'sched_getattr',
      'setpriority',
      'getpriority',
    ],
    why: 'a process sets its priority, policy or CPU affinity as configured, at start, in every run',
  },
  {
    title: 'sessions and process groups',
    names: ['setsid', 'setpgid', 'getsid', 'getpgid', 'getpgrp'],
    why: 'daemons detach and shells control jobs the same way on every input',
  },
  {
    title: 'identity changes',
    names: [
      'setreuid',
      'setregid',
      'setresuid',
      'setresgid',
      'setfsuid',
      'setfsgid',
      'setuid',
      'setgid',
      'setgroups',
    ],
    why: 'a program drops or switches its users and groups as configured, the same way on every input; the container runtime setting the user before the workload starts is not the workload doing it',
  },
  {
    title: 'host administration',
    names: ['sethostname', 'setdomainname', 'chroot'],
    why: 'naming the host or changing the root directory is set-up a program does the same way on every input (sethostname also needs CAP_SYS_ADMIN, which containers do not have)',
  },
];

const KIND_OF: ReadonlyMap<string, WorkKind> = new Map(
  WORK_KINDS.flatMap((kind) => kind.names.map((name) => [name, kind] as const)),
);

/** The kind of work `name` belongs to, if any. */
export function workKindOf(name: string): WorkKind | undefined {
  return KIND_OF.get(name);
}

/** The kinds of work `observed` shows: those with at least one call observed. */
export function kindsShownBy(observed: Iterable<string>): Set<WorkKind> {
  const shown = new Set<WorkKind>();
  for (const name of observed) {
    const kind = KIND_OF.get(name);
    if (kind) shown.add(kind);
  }
  return shown;
}
