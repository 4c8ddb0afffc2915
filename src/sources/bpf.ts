import { access, readFile } from 'node:fs/promises';
import { release } from 'node:os';
import { execa } from 'execa';
import { UserError } from '../errors.js';
import { type Abi, hostAbi } from '../syscalls/abi.js';
import { type ArgumentKey, LEARNED_ARGUMENTS, MAX_ARGUMENT_VALUES } from '../syscalls/arguments.js';
import { syscallNumber } from '../syscalls/table.js';
import { findExecutable } from './host.js';
import { KernelTypes } from './kernel-btf.js';

/**
 * The bpf backend: a bpftrace program counts system calls in the kernel, per ABI and syscall
 * number (calls at sys_enter, errors at sys_exit), keeps the values of the learned arguments
 * (src/syscalls/arguments.ts) at sys_enter, and prints its maps once, as JSON, when it is
 * stopped. Nothing per call leaves the kernel; parsers/bpftrace.ts reads the output.
 */

/** The oldest bpftrace the programs were written for (tuple map keys, BTF `curtask` fields, `-f json`). */
export const MIN_BPFTRACE = [0, 12] as const;
/** BTF (`/sys/kernel/btf/vmlinux`) came with Linux 5.4; the programs read task fields through it. */
export const MIN_KERNEL = [5, 4] as const;

/** The line the program's BEGIN probe prints once every probe is attached. */
export const READY_LINE = 'seccomp-learn-bpf-ready';

/** ABI codes in the map keys: how parsers/bpftrace.ts tells native, 32-bit and x32 calls apart. */
export const ABI_NATIVE = 0;
export const ABI_IA32 = 1;
export const ABI_X32 = 2;

/**
 * The argument code in `@args` keys: the register index (0-5), or STRUCT_FLAGS for clone3's
 * `clone_args.flags`, the first 64 bits of the structure its first argument points to.
 */
const STRUCT_FLAGS = 6;

export function argumentKeyOfCode(code: number): ArgumentKey | undefined {
  if (code === STRUCT_FLAGS) return 'flags';
  return Number.isInteger(code) && code >= 0 && code < STRUCT_FLAGS
    ? (String(code) as ArgumentKey)
    : undefined;
}

/** The ABIs the programs tell apart (on an x86_64 host) and their codes. */
const CAPTURE_ABIS: readonly (readonly [Abi, number])[] = [
  ['x86_64', ABI_NATIVE],
  ['x86', ABI_IA32],
  ['x32', ABI_X32],
];

/**
 * bpftrace statements that keep, per ABI, syscall number and argument, the distinct values the
 * learned arguments took, in `@args[<prefix>abi, nr, code, value]`. They run after `enter`, which
 * reads the call's number into `$id` and its ABI code into `$a` once for the whole probe. Every
 * distinct value costs one map entry, so each argument keeps MAX_ARGUMENT_VALUES at most; `@argn`
 * counts the distinct values offered, and one above the bound makes the recording say `too-many`
 * (the argument is then left unconstrained; two CPUs offering the same new value at once may
 * count it twice, which can only leave an argument unconstrained, never refuse a value seen). A
 * call of another number costs a few comparisons. The values are the registers seccomp compares,
 * as it sees them (all 64 bits).
 *
 * What is not here: the ia32 `socketcall` (i386's multiplexer, which passes socket's domain in
 * memory, where seccomp cannot read it: the profile allows it or not, by name, as Docker's
 * default does), and ioctl requests (not learned, see src/syscalls/arguments.ts). clone3's flags
 * are read from user memory at sys_enter, before the kernel copies them: a page not present reads
 * as 0 (no namespace flags), which can only make the profile stricter.
 */
function argumentCapture(prefix: string): string {
  const numbers = (
    predicate: (argument: (typeof LEARNED_ARGUMENTS)[number]) => boolean,
    abis = CAPTURE_ABIS,
  ) =>
    abis.flatMap(([abi]) =>
      LEARNED_ARGUMENTS.filter(predicate).flatMap(({ syscall }) => syscallNumber(abi, syscall) ?? []),
    );
  const any = (list: number[]): string => [...new Set(list)].map((number) => `$id == ${number}`).join(' || ');
  // Each ABI's numbers are checked with its code: ia32 numbers mean other calls natively.
  const learned = CAPTURE_ABIS.map(
    ([abi, code]) => `($a == ${code} && (${any(numbers(() => true, [[abi, code]]))}))`,
  );
  // Within those, a number is one call on every ABI: the argument's place can go by number.
  const second = any(numbers((argument) => argument.key === '1'));
  const structure = any(numbers((argument) => argument.key === 'flags'));
  const key = `${prefix}$a, $id, $i`;
  return `if (${learned.join(' || ')}) {
    $i = 0;
    $v = (uint64)args->args[0];
    if (${second}) { $i = 1; $v = (uint64)args->args[1]; }
    if (${structure}) { $i = ${STRUCT_FLAGS}; $v = *(uint64 *)uptr(args->args[0]); }
    if (!@args[${key}, $v]) {
      $n = @argn[${key}];
      if ($n < ${MAX_ARGUMENT_VALUES}) { @args[${key}, $v] = 1; }
      @argn[${key}] = $n + 1;
    }
  }`;
}

const TRACEFS = '/sys/kernel/tracing';
const KERNEL_BTF = '/sys/kernel/btf/vmlinux';
const DEBUGFS_TRACING = '/sys/kernel/debug/tracing';

/**
 * The task fields the programs read, as bpftrace expressions. bpftrace can name them through BTF
 * (`curtask->seccomp.mode`), but resolving any such name makes it parse the kernel's whole BTF, about
 * 1.5 s of every start-up; the offsets read once here (src/sources/kernel-btf.ts) give it plain
 * pointer arithmetic instead, and the names stay as the fallback when the offsets cannot be read.
 */
export interface TaskFields {
  /** thread_info.status, where x86 keeps TS_COMPAT. */
  readonly status: string;
  readonly seccompMode: string;
  /** The inode number of the task's mount namespace. */
  readonly mountNamespace: string;
  /** The task's cgroup (v2) name and its UTS namespace's hostname, as printf `%s` arguments. */
  readonly cgroupName: string;
  readonly hostname: string;
}

export const TASK_FIELDS_BY_NAME: TaskFields = {
  status: 'curtask->thread_info.status',
  seccompMode: 'curtask->seccomp.mode',
  mountNamespace: 'curtask->nsproxy->mnt_ns->ns.inum',
  cgroupName: 'str(curtask->cgroups->dfl_cgrp->kn->name)',
  hostname: 'curtask->nsproxy->uts_ns->name.nodename',
};

/** The task fields at their offsets in the running kernel; throws when a field is missing or not of the size the programs read. */
export function taskFieldsAtOffsets(types: KernelTypes): TaskFields {
  const at = (struct: string, path: readonly string[], size: number, pointer = false): number => {
    const field = types.field(struct, path);
    if (field.size !== size || field.pointer !== pointer)
      throw new Error(
        `${struct}.${path.join('.')} is ${field.size} bytes${field.pointer ? ' (a pointer)' : ''}`,
      );
    return field.offset;
  };
  const task = '(uint64)curtask';
  const pointer = (base: string, struct: string, path: readonly string[]): string =>
    `*(uint64 *)(${base} + ${at(struct, path, 8, true)})`;
  const nsproxy = pointer(task, 'task_struct', ['nsproxy']);
  const cgroup = pointer(
    pointer(pointer(task, 'task_struct', ['cgroups']), 'css_set', ['dfl_cgrp']),
    'cgroup',
    ['kn'],
  );
  const hostname = at('uts_namespace', ['name', 'nodename'], 65);
  return {
    // Parenthesised: a predicate `/*(int32 *)…/` would open a comment.
    status: `(*(uint32 *)(${task} + ${at('task_struct', ['thread_info', 'status'], 4)}))`,
    seccompMode: `(*(int32 *)(${task} + ${at('task_struct', ['seccomp', 'mode'], 4)}))`,
    mountNamespace: `(*(uint32 *)(${pointer(nsproxy, 'nsproxy', ['mnt_ns'])} + ${at('mnt_namespace', ['ns', 'inum'], 4)}))`,
    cgroupName: `str(kptr(${pointer(cgroup, 'kernfs_node', ['name'])}))`,
    hostname: `str(kptr(${pointer(nsproxy, 'nsproxy', ['uts_ns'])} + ${hostname}))`,
  };
}

/** The task fields at their offsets, or by name (a slower start-up, said once) when the offsets cannot be read. */
async function taskFields(onNote: (message: string) => void): Promise<TaskFields> {
  try {
    return taskFieldsAtOffsets(await KernelTypes.load(KERNEL_BTF));
  } catch (error) {
    onNote(
      `bpftrace will name the task fields through the kernel's BTF, which adds about 1.5 s to its start-up: ${error instanceof Error ? error.message : String(error)}`,
    );
    return TASK_FIELDS_BY_NAME;
  }
}

/**
 * The call's ABI on x86_64: a 32-bit (ia32) call runs with TS_COMPAT (0x0002) in the task's
 * thread_info status, an x32 call has __X32_SYSCALL_BIT (0x40000000) in its number.
 */
const abiOf = (task: TaskFields, id: string): string =>
  `((${task.status} & 0x2) ? ${ABI_IA32} : ((${id} & 0x40000000) ? ${ABI_X32} : ${ABI_NATIVE}))`;

/** The call's ABI code into `$a`, from its number already in `$id`. */
const abiCode = (task: TaskFields): string => `$a = ${abiOf(task, '$id')};`;

/**
 * The start of a sys_enter probe: the number and the ABI code read once into `$id` and `$a`.
 * bpftrace 0.17 compiles a context field read in two places of a probe into a modified context
 * pointer, which the verifier refuses.
 */
const enter = (task: TaskFields): string => `$id = args->id;
  ${abiCode(task)}`;

/** `ret` of a failed call: -4095..-1, as the kernel's IS_ERR_VALUE. */
const FAILED = 'args->ret < 0 && args->ret >= -4095';

export interface BpfSupport {
  bpftrace: string;
  version: string;
  /** How the programs read the task fields on this kernel. */
  task: TaskFields;
}

export type BpfReadiness = { ok: true; support: BpfSupport } | { ok: false; missing: string };

function atLeast(version: readonly number[], minimum: readonly number[]): boolean {
  for (let index = 0; index < minimum.length; index++) {
    const have = version[index] ?? 0;
    const want = minimum[index] ?? 0;
    if (have !== want) return have > want;
  }
  return true;
}

/** CAP_BPF (39) and CAP_PERFMON (38), or CAP_SYS_ADMIN (21) as kernels before 5.8 want, from /proc/self/status. */
async function capabilitiesAllowBpf(): Promise<boolean> {
  if (process.getuid?.() === 0) return true;
  const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
  const hex = /^CapEff:\s*([0-9a-f]+)/m.exec(status)?.[1];
  if (!hex) return false;
  const caps = BigInt(`0x${hex}`);
  const has = (bit: number): boolean => (caps & (1n << BigInt(bit))) !== 0n;
  return (has(39) && has(38)) || has(21);
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** tracefs mounted (or mountable): the tracepoints bpftrace attaches to are found there. */
async function ensureTracefs(onNote: (message: string) => void): Promise<string | undefined> {
  if ((await exists(`${TRACEFS}/events`)) || (await exists(`${DEBUGFS_TRACING}/events`))) return undefined;
  const mounted = await execa('mount', ['-t', 'tracefs', 'nodev', TRACEFS], { reject: false });
  if (mounted.exitCode === 0 && (await exists(`${TRACEFS}/events`))) {
    onNote(`mounted tracefs at ${TRACEFS} (the bpf backend attaches to its tracepoints)`);
    return undefined;
  }
  const why = (mounted.stderr || mounted.shortMessage || '').trim().split('\n')[0];
  return `tracefs is not mounted and could not be mounted (mount -t tracefs nodev ${TRACEFS}${why ? `: ${why}` : ''})`;
}

/**
 * Whether the bpf backend can run here, or what is missing: an x86_64 host, Linux 5.4+ with BTF,
 * root or CAP_BPF+CAP_PERFMON, bpftrace 0.12+ on PATH, tracefs mounted (mounted here when it is not).
 */
export async function bpfReadiness(
  onNote: (message: string) => void = () => undefined,
): Promise<BpfReadiness> {
  if (process.platform !== 'linux') return { ok: false, missing: 'Linux is needed' };
  if (hostAbi() !== 'x86_64')
    return {
      ok: false,
      missing: `the bpf backend tells ABIs apart on x86_64 hosts only (this host: ${hostAbi()})`,
    };
  const kernel = release();
  const kernelVersion = (/^(\d+)\.(\d+)/.exec(kernel) ?? []).slice(1).map(Number);
  if (!atLeast(kernelVersion, MIN_KERNEL))
    return {
      ok: false,
      missing: `Linux ${MIN_KERNEL.join('.')} or newer is needed (this kernel: ${kernel})`,
    };
  if (!(await exists(KERNEL_BTF)))
    return { ok: false, missing: `the kernel has no BTF (${KERNEL_BTF}: CONFIG_DEBUG_INFO_BTF)` };
  if (!(await capabilitiesAllowBpf()))
    return { ok: false, missing: 'no permission: root or CAP_BPF and CAP_PERFMON are needed' };
  const bpftrace = await findExecutable('bpftrace');
  if (!bpftrace)
    return {
      ok: false,
      missing: 'bpftrace is not installed or not on PATH (Debian/Ubuntu: apt-get install bpftrace)',
    };
  const { stdout } = await execa(bpftrace, ['--version'], { reject: false });
  const version = /v?(\d+\.\d+(?:\.\d+)?)/.exec(stdout)?.[1];
  if (!version) return { ok: false, missing: `${bpftrace} --version says no version` };
  if (!atLeast(version.split('.').map(Number), MIN_BPFTRACE))
    return { ok: false, missing: `bpftrace ${MIN_BPFTRACE.join('.')} or newer is needed (found ${version})` };
  const tracefs = await ensureTracefs(onNote);
  if (tracefs) return { ok: false, missing: tracefs };
  return { ok: true, support: { bpftrace, version, task: await taskFields(onNote) } };
}

/**
 * Every program starts with the ready line, and ends itself when seccomp-learn's main thread
 * exits: a seccomp-learn killed with SIGKILL leaves no bpftrace counting behind.
 */
function header(owner: number): string {
  return `BEGIN { printf("${READY_LINE}\\n"); }
tracepoint:sched:sched_process_exit /tid == ${owner}/ { exit(); }
`;
}

/**
 * A host command's tree. The command is a child of seccomp-learn (pid `parent`): its fork is
 * marked pending (1), and counting starts (2) at its first execve, so the spawn scaffolding
 * between fork and exec is left out. Every task a counted task forks (processes and threads,
 * sched_process_fork) is counted from birth. Other recordings run their own program on their own
 * pids, so they do not mix. Every call on the host passes here, so the task's mark is looked up
 * once per call, and a call's return value is tested before its task is.
 */
export function commandProgram(parent: number, task: TaskFields): string {
  return `${header(parent)}
tracepoint:sched:sched_process_fork /pid == ${parent} || @t[tid] == 2/ {
  @t[args->child_pid] = (pid == ${parent}) ? 1 : 2;
}
tracepoint:raw_syscalls:sys_enter {
  $t = @t[tid];
  $id = args->id;
  if ($t == 1 && $id == 59) { @t[tid] = 2; $t = 2; }
  if ($t == 2) {
    ${abiCode(task)}
    @calls[$a, $id] = count();
    ${argumentCapture('')}
  }
}
tracepoint:raw_syscalls:sys_exit /${FAILED} && @t[tid] == 2/ {
  @errors[${abiOf(task, 'args->id')}, args->id] = count();
}
tracepoint:sched:sched_process_exit /@t[tid]/ { delete(@t[tid]); }
END { clear(@t); }
`;
}

/** A running process (all its threads) and every task it forks from now on. */
export function pidProgram(target: number, task: TaskFields, owner: number = process.pid): string {
  return `${header(owner)}
tracepoint:sched:sched_process_fork /pid == ${target} || @t[tid]/ { @t[args->child_pid] = 1; }
tracepoint:raw_syscalls:sys_enter /pid == ${target} || @t[tid]/ {
  ${enter(task)}
  @calls[$a, $id] = count();
  ${argumentCapture('')}
}
tracepoint:raw_syscalls:sys_exit /${FAILED} && (pid == ${target} || @t[tid])/ {
  @errors[${abiOf(task, 'args->id')}, args->id] = count();
}
tracepoint:sched:sched_process_exit /@t[tid]/ { delete(@t[tid]); }
END { clear(@t); }
`;
}

/** The printf the container program makes once per scope: cgroup id, mount namespace, a pid, the cgroup (v2) name, the hostname. */
export const SCOPE_EVENT = 'scope';

/**
 * Containers: only tasks under a seccomp filter (`seccomp.mode` 2) count, keyed by their scope:
 * cgroup (v2) id and mount namespace. The container runs under an allow-everything profile, so
 * its tasks are in mode 2 from the moment the runtime installed the filter: the runtime's set-up
 * before it (mount, pivot_root, …) is not counted, its own calls after it are. The first call
 * seen in a scope prints it with its cgroup's name and the hostname, which name the container
 * (a namespace's inode number is reused once it is freed, a cgroup id never is). The programs each
 * scope executes are kept (for --widen reachable).
 */
export function containerProgram(task: TaskFields, owner: number = process.pid): string {
  const scope = `cgroup, ${task.mountNamespace}`;
  return `${header(owner)}
tracepoint:raw_syscalls:sys_enter /${task.seccompMode} == 2/ {
  $ns = ${task.mountNamespace};
  ${enter(task)}
  @calls[cgroup, $ns, $a, $id] = count();
  if (!@seen[cgroup, $ns]) {
    @seen[cgroup, $ns] = 1;
    printf("${SCOPE_EVENT} %llu %u %d %s %s\\n", cgroup, $ns, pid, ${task.cgroupName}, ${task.hostname});
  }
  ${argumentCapture('cgroup, $ns, ')}
}
tracepoint:raw_syscalls:sys_exit /${FAILED} && ${task.seccompMode} == 2/ {
  @errors[${scope}, ${abiOf(task, 'args->id')}, args->id] = count();
}
tracepoint:sched:sched_process_exec /${task.seccompMode} == 2/ {
  @exec[${scope}, str(args->filename)] = count();
}
END { clear(@seen); }
`;
}

export interface BpftraceRun {
  /** bpftrace's process id (the bench reads its CPU time). */
  readonly pid: number | undefined;
  /** Stops the program (SIGINT), waits for it to print its maps and exit; its whole JSON output. */
  stop(): Promise<string>;
  /** Ends it at once, printing nothing (when the recording failed). */
  kill(): void;
}

/** bpftrace's own stderr without the harmless RLIMIT_MEMLOCK warning of kernels that account BPF memory by cgroup. */
function bpftraceMessages(stderr: string): string {
  return stderr
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.includes('RLIMIT_MEMLOCK'))
    .join('\n');
}

/** Thrown when bpftrace fails to load the program: the caller names what is missing, and may fall back. */
export class BpfStartError extends UserError {}

const READY_TIMEOUT_MS = 30_000;
const STOP_RETRY_MS = 2_000;

/**
 * Starts bpftrace on `program` in its own process group (a Ctrl-C at the terminal must reach the
 * workload, not stop the counting) and resolves once every probe is attached.
 */
export async function startBpftrace(support: BpfSupport, program: string): Promise<BpftraceRun> {
  const child = execa(support.bpftrace, ['-f', 'json', '-e', program], {
    reject: false,
    detached: true,
    buffer: true,
    stdin: 'ignore',
    env: { BPFTRACE_MAP_KEYS_MAX: '65536', BPFTRACE_STRLEN: '128' },
  });
  let seen = '';
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new BpfStartError(`bpftrace did not attach its probes within ${READY_TIMEOUT_MS / 1000} s`));
    }, READY_TIMEOUT_MS);
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      if (seen.includes(READY_LINE)) {
        clearTimeout(timer);
        resolve();
      }
    });
    void child.then((result) => {
      clearTimeout(timer);
      const message = bpftraceMessages(String(result.stderr ?? '')) || result.shortMessage || 'no message';
      reject(
        new BpfStartError(
          `bpftrace could not run its program (exit ${result.exitCode ?? result.signal}): ${message}`,
        ),
      );
    });
  });
  try {
    await ready;
  } catch (error) {
    child.kill('SIGKILL');
    await child;
    throw error;
  }
  return {
    pid: child.pid,
    async stop() {
      // SIGINT makes bpftrace print its maps and exit; one that lands in a bad moment is sent again.
      child.kill('SIGINT');
      const again = setInterval(() => child.kill('SIGINT'), STOP_RETRY_MS);
      const result = await child.finally(() => clearInterval(again));
      if (result.exitCode !== 0 && result.signal !== 'SIGINT') {
        throw new UserError(
          `bpftrace failed (exit ${result.exitCode ?? result.signal}): ${bpftraceMessages(String(result.stderr ?? ''))}`,
        );
      }
      return String(result.stdout ?? '');
    },
    kill() {
      child.kill('SIGKILL');
    },
  };
}
