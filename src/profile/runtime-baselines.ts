/**
 * What a container runtime itself calls after it has installed the container's filter and before it
 * execs the workload. A profile learned by tracing the workload alone lacks these, and the container
 * never starts (moby/moby#22252, slimtoolkit/slim#87). Each list is labelled with the runtime
 * version and how it was obtained, so a reviewer can tell assumption from observation.
 */
export interface RuntimeBaseline {
  readonly runtime: 'runc' | 'crun';
  readonly version: string;
  readonly origin: string;
  readonly syscalls: readonly string[];
}

export const RUNTIME_BASELINES: readonly RuntimeBaseline[] = [
  {
    runtime: 'runc',
    version: '1.4.2',
    origin: 'Security Profiles Operator examples/baseprofile-runc.yaml ("runc-v1.4.2")',
    syscalls: [
      'arch_prctl',
      'brk',
      'capget',
      'capset',
      'chdir',
      'close',
      'close_range',
      'epoll_ctl',
      'epoll_pwait',
      'execve',
      'exit_group',
      'faccessat2',
      'fcntl',
      'fstat',
      'fstatfs',
      'futex',
      'getcwd',
      'getdents64',
      'getpid',
      'getppid',
      'getuid',
      'mmap',
      'mprotect',
      'nanosleep',
      'newfstatat',
      'openat',
      'openat2',
      'prctl',
      'read',
      'recvfrom',
      'rt_sigreturn',
      'sched_yield',
      'set_tid_address',
      'setgid',
      'setgroups',
      'setuid',
      'sigaltstack',
      'statx',
      'tgkill',
      'write',
    ],
  },
  {
    runtime: 'runc',
    version: '1.1.5 (Debian 12)',
    origin: 'observed: audit records with comm="runc:[2:INIT]" under an SCMP_ACT_LOG profile, Docker 20.10',
    syscalls: [
      'capget',
      'capset',
      'chdir',
      'close',
      'epoll_ctl',
      'execve',
      'faccessat2',
      'fcntl',
      'fstat',
      'fstatfs',
      'futex',
      'getcwd',
      'getdents64',
      'getpid',
      'getppid',
      'newfstatat',
      'openat',
      'prctl',
      'read',
      'setgid',
      'setgroups',
      'setuid',
      'write',
    ],
  },
  {
    runtime: 'crun',
    version: '1.21',
    origin:
      'Security Profiles Operator examples/baseprofile-crun.yaml ("crun-v1.21", commit 0683a190), recorded over the whole container start, less what crun\'s src/libcrun/container.c does before libcrun_apply_seccomp (mounts, pivot_root, namespaces, hostname, device nodes, umask); not observed here: crun cannot start containers on this host\'s hybrid cgroups',
    syscalls: [
      'access',
      'arch_prctl',
      'brk',
      'capset',
      'chdir',
      'close',
      'close_range',
      'dup2',
      'execve',
      'exit_group',
      'fchdir',
      'fstat',
      'fstatfs',
      'getcwd',
      'getegid',
      'geteuid',
      'getgid',
      'getuid',
      'ioctl',
      'lseek',
      'mmap',
      'mprotect',
      'nanosleep',
      'newfstatat',
      'openat',
      'openat2',
      'prctl',
      'pselect6',
      'read',
      'readlink',
      'rt_sigaction',
      'rt_sigprocmask',
      'set_tid_address',
      'setgroups',
      'setresgid',
      'setresuid',
      'setsid',
      'statfs',
      'statx',
      'write',
    ],
  },
];

/** Allowed in every profile: without them a process that is refused can loop forever trying to exit (kubernetes#85191). */
export const ALWAYS_ALLOWED = ['exit', 'exit_group'] as const;

export const RUNTIME_CHOICES = ['runc', 'crun', 'none'] as const;
export type RuntimeChoice = (typeof RUNTIME_CHOICES)[number];

/**
 * The baseline every profile gets by default: runc's. strace of a bare command never sees
 * the runtime; containers learnt in complain mode and audit records do see runc's calls after it
 * installs the filter, but only those of that one run: its Go runtime's calls depend on timing (a
 * thread parked or woken, a stack grown), and a profile missing one of them leaves runc's init spinning
 * and the container never starting. Measured here: a podman container under a profile learnt from one
 * run without the baseline hung at start in 1 of 5 runs.
 */
export const DEFAULT_RUNTIME: RuntimeChoice = 'runc';

/** The union of every listed version of `runtime`: the profile must start under whichever one the host has. */
export function baselineFor(runtime: RuntimeChoice): { syscalls: Set<string>; sources: RuntimeBaseline[] } {
  const sources = RUNTIME_BASELINES.filter((baseline) => baseline.runtime === runtime);
  return { syscalls: new Set(sources.flatMap((baseline) => baseline.syscalls)), sources };
}
