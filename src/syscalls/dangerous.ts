/**
 * System calls a reviewer should look at twice, grouped by why. The list follows the table of
 * syscalls the Kubernetes seccomp proposal (kubernetes/community#660, after moby/moby#19059) keeps
 * out of its default profile, plus the newer siblings that do the same job (clone3, the fs* mount
 * API, clock_*64). The wording is ours. It lives with the syscall tables because more than the
 * comparison needs it: widening a profile (src/profile/equivalents.ts) never adds one unobserved.
 */

export type RiskCategory =
  | 'kernel-code'
  | 'host-clock'
  | 'keyring'
  | 'bpf'
  | 'namespaces'
  | 'mounts'
  | 'process-access'
  | 'profiling'
  | 'numa'
  | 'hardware-io'
  | 'host-power'
  | 'host-accounting'
  | 'file-handles'
  | 'personality'
  | 'socket-families'
  | 'swap'
  | 'obsolete'
  | 'userfaultfd'
  | 'vm86';

export interface RiskEntry {
  name: string;
  category: RiskCategory;
  /** Why the call is dangerous inside a container. */
  risk: string;
  /** What to verify before letting a workload keep it. */
  check: string;
  /** The capability the kernel itself demands for the dangerous use, if any. */
  capability?: string;
}

interface RiskGroup {
  category: RiskCategory;
  risk: string;
  check: string;
  /** Each syscall, with the capability the kernel checks and any remark of its own. */
  syscalls: Readonly<Record<string, { capability?: string; remark?: string }>>;
}

const GROUPS: readonly RiskGroup[] = [
  {
    category: 'kernel-code',
    risk: 'Loads, removes or lists kernel modules: code running with full kernel privilege for the whole host.',
    check:
      'Only host agents and drivers do this. Make sure the container is meant to hold CAP_SYS_MODULE and the modules are trusted.',
    syscalls: {
      init_module: { capability: 'CAP_SYS_MODULE' },
      finit_module: { capability: 'CAP_SYS_MODULE' },
      delete_module: { capability: 'CAP_SYS_MODULE' },
      create_module: {
        capability: 'CAP_SYS_MODULE',
        remark: 'Gone from kernels since 2.6; old code probing.',
      },
      query_module: { remark: 'Gone from kernels since 2.6; old code probing.' },
      get_kernel_syms: {
        remark: 'Gone from kernels since 2.6; reveals kernel symbol addresses where it exists.',
      },
    },
  },
  {
    category: 'host-clock',
    risk: 'There is one clock per host (time namespaces only offset monotonic clocks): setting it skews every container, log, certificate check and timer.',
    check:
      'Only an NTP/PTP daemon that owns the host clock needs this. Anything else should read the time, not set it.',
    syscalls: {
      settimeofday: { capability: 'CAP_SYS_TIME' },
      stime: { capability: 'CAP_SYS_TIME' },
      clock_settime: { capability: 'CAP_SYS_TIME' },
      clock_settime64: { capability: 'CAP_SYS_TIME' },
      adjtimex: {
        capability: 'CAP_SYS_TIME',
        remark:
          'Also called read-only (modes 0) by libc and monitoring tools to read the clock state; that use is harmless.',
      },
      clock_adjtime: { capability: 'CAP_SYS_TIME', remark: 'A read-only query (modes 0) is harmless.' },
      clock_adjtime64: { capability: 'CAP_SYS_TIME', remark: 'A read-only query (modes 0) is harmless.' },
    },
  },
  {
    category: 'keyring',
    risk: 'Kernel keyrings are not separated per container, so keys stored or searched here may be shared with other tenants.',
    check:
      'Find the library behind it (Kerberos, NFS id mapping, ecryptfs, systemd). Prefer keeping secrets in files or process memory.',
    syscalls: { add_key: {}, keyctl: {}, request_key: {} },
  },
  {
    category: 'bpf',
    risk: 'Loads eBPF programs and maps into the kernel; they can watch or change host-wide behaviour, can outlive the process, and the verifier has been a steady source of kernel exploits.',
    check:
      'Expected only in observability, networking or security agents. Confirm the workload is one and really holds CAP_BPF or CAP_SYS_ADMIN.',
    syscalls: { bpf: { capability: 'CAP_BPF' } },
  },
  {
    category: 'namespaces',
    risk: 'Creating or entering namespaces is the first step of most container escapes and, for user namespaces, opens kernel code normally reserved to root.',
    check:
      'Is this a runtime, sandbox or image builder that nests containers? If not, the traces should show no CLONE_NEW* flags.',
    syscalls: {
      clone: {
        capability: 'CAP_SYS_ADMIN',
        remark:
          'Every thread and process is made with clone; only the namespace flags are a concern. Reference profiles filter them by argument; a plain allowlist entry does not.',
      },
      clone3: {
        capability: 'CAP_SYS_ADMIN',
        remark:
          'Its flags sit in memory, out of seccomp’s reach, so references answer ENOSYS and libc falls back to clone.',
      },
      unshare: {
        capability: 'CAP_SYS_ADMIN',
        remark: 'A user namespace (CLONE_NEWUSER) needs no capability.',
      },
      setns: { capability: 'CAP_SYS_ADMIN' },
    },
  },
  {
    category: 'mounts',
    risk: 'Changing the mount table can hide, reveal or swap files, including the ones the runtime mounted to confine the container.',
    check:
      'Only needed by tools that build file systems or nest containers; plain applications get their mounts from the runtime.',
    syscalls: {
      mount: { capability: 'CAP_SYS_ADMIN' },
      umount: { capability: 'CAP_SYS_ADMIN' },
      umount2: { capability: 'CAP_SYS_ADMIN' },
      pivot_root: { capability: 'CAP_SYS_ADMIN' },
      fsopen: { capability: 'CAP_SYS_ADMIN' },
      fsconfig: { capability: 'CAP_SYS_ADMIN' },
      fsmount: { capability: 'CAP_SYS_ADMIN' },
      fspick: { capability: 'CAP_SYS_ADMIN' },
      move_mount: { capability: 'CAP_SYS_ADMIN' },
      open_tree: { capability: 'CAP_SYS_ADMIN' },
      mount_setattr: { capability: 'CAP_SYS_ADMIN' },
    },
  },
  {
    category: 'process-access',
    risk: 'Reads or writes another process’s memory, registers or descriptors. Before Linux 4.8 a tracer could also use ptrace to step around seccomp itself.',
    check:
      'Debuggers, profilers and crash handlers need this; services do not. Check the kernel is 4.8 or newer when ptrace stays.',
    syscalls: {
      ptrace: { capability: 'CAP_SYS_PTRACE' },
      process_vm_readv: { capability: 'CAP_SYS_PTRACE' },
      process_vm_writev: { capability: 'CAP_SYS_PTRACE' },
      kcmp: { capability: 'CAP_SYS_PTRACE' },
      pidfd_getfd: { capability: 'CAP_SYS_PTRACE' },
    },
  },
  {
    category: 'profiling',
    risk: 'Performance counters and profiling hooks leak timing and address details of the kernel and other processes, which side-channel and KASLR-bypass attacks feed on.',
    check:
      'Expected only while profiling. Production workloads rarely need it; kernel.perf_event_paranoid also limits it.',
    syscalls: {
      perf_event_open: { capability: 'CAP_PERFMON' },
      lookup_dcookie: { capability: 'CAP_SYS_ADMIN' },
    },
  },
  {
    category: 'numa',
    risk: 'Moves memory between NUMA nodes or changes placement policy, which can starve neighbours on the same host; these paths have had kernel bugs.',
    check:
      'Usually an allocator or runtime (jemalloc, the JVM, numactl) probing NUMA and coping with a refusal. Confirm it does cope.',
    syscalls: {
      mbind: { capability: 'CAP_SYS_NICE' },
      get_mempolicy: {},
      set_mempolicy: { capability: 'CAP_SYS_NICE' },
      move_pages: { capability: 'CAP_SYS_NICE' },
    },
  },
  {
    category: 'hardware-io',
    risk: 'Grants direct access to I/O ports, letting a process drive hardware without the kernel in between.',
    check: 'Only hardware-facing legacy software does this; deny it otherwise.',
    syscalls: { ioperm: { capability: 'CAP_SYS_RAWIO' }, iopl: { capability: 'CAP_SYS_RAWIO' } },
  },
  {
    category: 'host-power',
    risk: 'Restarts or halts the host, or loads a new kernel to boot into.',
    check: 'No application inside a container should need this.',
    syscalls: {
      reboot: { capability: 'CAP_SYS_BOOT' },
      kexec_load: { capability: 'CAP_SYS_BOOT' },
      kexec_file_load: { capability: 'CAP_SYS_BOOT' },
    },
  },
  {
    category: 'host-accounting',
    risk: 'Switches process accounting or disk quotas, host-wide settings that can hide activity or lift limits.',
    check: 'Only host administration tools need this.',
    syscalls: {
      acct: { capability: 'CAP_SYS_PACCT' },
      quotactl: { capability: 'CAP_SYS_ADMIN' },
      quotactl_fd: {},
    },
  },
  {
    category: 'file-handles',
    risk: 'open_by_handle_at opens a file from an inode handle, skipping the path walk that confines the container; guessing handles was the 2014 “shocker” escape from Docker.',
    check: 'Needed by file servers and backup tools. Confirm CAP_DAC_READ_SEARCH is deliberately granted.',
    syscalls: {
      open_by_handle_at: { capability: 'CAP_DAC_READ_SEARCH' },
      name_to_handle_at: { remark: 'Only produces handles; harmless without open_by_handle_at.' },
    },
  },
  {
    category: 'personality',
    risk: 'Switches the execution domain (other Unix emulations, address-space quirks), reaching kernel code that is rarely exercised and poorly tested.',
    check:
      'Reading the persona (0xffffffff), PER_LINUX and PER_LINUX32 are normal (setarch, 32-bit builds); references allow only those values.',
    syscalls: { personality: {} },
  },
  {
    category: 'socket-families',
    risk: 'Unusual address families reach seldom-used protocol code (AF_ALG crypto, AF_VSOCK and many more), a recurring source of kernel exploits.',
    check:
      'See which domains the workload opens (strace -e trace=socket); most need only AF_UNIX, AF_INET, AF_INET6 and AF_NETLINK. A plain allowlist entry admits every family.',
    syscalls: { socket: {}, socketcall: { remark: 'The 32-bit multiplexer for all socket calls.' } },
  },
  {
    category: 'swap',
    risk: 'Turns swap areas on or off for the whole host, disturbing memory for every tenant.',
    check: 'Only host administration needs this.',
    syscalls: { swapon: { capability: 'CAP_SYS_ADMIN' }, swapoff: { capability: 'CAP_SYS_ADMIN' } },
  },
  {
    category: 'obsolete',
    risk: 'An obsolete interface kept for old binaries; little-used kernel code is where bugs survive longest.',
    check: 'Usually an old libc or binary probing; denying it rarely breaks anything.',
    syscalls: {
      sysfs: {},
      _sysctl: {},
      ustat: {},
      uselib: {},
      nfsservctl: { remark: 'Removed in Linux 3.1.' },
    },
  },
  {
    category: 'userfaultfd',
    risk: 'Lets user space handle its own page faults, which exploits use to freeze the kernel at a chosen moment and win races.',
    check:
      'Needed for live migration (CRIU) and some VM or GC runtimes. The vm.unprivileged_userfaultfd sysctl narrows it as well.',
    syscalls: { userfaultfd: {} },
  },
  {
    category: 'vm86',
    risk: 'Runs 16-bit real-mode code in an in-kernel virtual 8086 machine; legacy, 32-bit x86 only and bug-prone.',
    check: 'Only DOS emulators and similar relics; deny it.',
    syscalls: { vm86: {}, vm86old: {} },
  },
];

export const DANGEROUS_SYSCALLS: ReadonlyMap<string, RiskEntry> = new Map(
  GROUPS.flatMap(({ category, risk, check, syscalls }) =>
    Object.entries(syscalls).map(([name, { capability, remark }]): [string, RiskEntry] => [
      name,
      {
        name,
        category,
        risk: remark ? `${risk} ${remark}` : risk,
        check,
        ...(capability ? { capability } : {}),
      },
    ]),
  ),
);
