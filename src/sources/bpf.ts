import { access, readFile } from 'node:fs/promises';
import { release } from 'node:os';
import { execa } from 'execa';
import { UserError } from '../errors.js';
import { hostAbi } from '../syscalls/abi.js';
import { type ArgumentKey, LEARNED_ARGUMENTS, MAX_ARGUMENT_VALUES } from '../syscalls/arguments.js';
import { syscallNumber } from '../syscalls/table.js';
import { findExecutable } from './host.js';
import { KernelTypes } from './kernel-btf.js';

/**
 * The bpf backend: a bpftrace program counts system calls in the kernel, per ABI and syscall
 * number (where calls return; see COUNTED_AT_ENTRY for the rest), keeps the values of the
 * learned arguments (src/syscalls/arguments.ts) at their calls' entry, and prints its maps once,
 * as JSON, when it is stopped. Nothing per call leaves the kernel; parsers/bpftrace.ts reads it.
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

/**
 * Where the programs count (the per-call cost is what decides a server's slowdown: every call on
 * the host passes the probes). A call is counted where it returns, at `raw_syscalls:sys_exit`,
 * which has its number, its return value and, through the task, its ABI: one probe per call
 * instead of one at entry and one at exit. What does not return there is counted at entry, through
 * the per-syscall tracepoints (`syscalls:sys_enter_<name>`), which run a program only for their
 * own call and see native (x86_64) calls only:
 * - exit and exit_group never return, and rt_sigreturn returns with its number erased (-1);
 * - execve and execveat return in the new program, under the number of its ABI's execve;
 * - seccomp and prctl: the call that installs a container's filter returns under it, and must not
 *   count as the container's;
 * - the learned arguments are read there, from the registers as the call's C types give them (an
 *   `int` argument sign-extended, as glibc passes it), and clone3's flags from its structure.
 * A forked child returns from its parent's clone (fork, vfork, clone3) with 0: not counted again.
 * An i386 task's calls that do not return are counted where the task exits (exit, exit_group: the
 * call in its saved registers) or, for the sigreturn family whose number is erased, said as such.
 */
const COUNTED_AT_ENTRY = ['exit', 'exit_group', 'rt_sigreturn', 'execve', 'execveat', 'seccomp', 'prctl'];
const EXECS = ['execve', 'execveat'];
const FORKS = ['clone', 'fork', 'vfork', 'clone3'];

/**
 * The `syscalls:sys_enter_<name>` field of each learned argument: the kernel's SYSCALL_DEFINE
 * parameter names, which name the tracepoints' fields (clone3's is the structure's address).
 */
const ENTRY_FIELDS: Readonly<Record<string, Partial<Record<ArgumentKey, string>>>> = {
  clone: { '0': 'clone_flags' },
  clone3: { flags: 'uargs' },
  unshare: { '0': 'unshare_flags' },
  setns: { '1': 'flags' },
  socket: { '0': 'family' },
  personality: { '0': 'personality' },
  prctl: { '0': 'option' },
};

/** Numbers an ia32 task's exit and sigreturn-family calls are counted under when their own is unknown. */
export const IA32_SIGRETURN_FAMILY = -1;
export const IA32_UNREAD_EXIT = -2;

const nativeNumber = (name: string): number => {
  const number = syscallNumber('x86_64', name);
  if (number === undefined) throw new Error(`${name} has no x86_64 number`);
  return number;
};
const ia32Number = (name: string): number | undefined => syscallNumber('x86', name);
const anyOf = (variable: string, numbers: readonly number[]): string =>
  numbers.map((number) => `${variable} == ${number}`).join(' || ');

/** How one program tells its counted tasks, and what its map keys begin with. */
interface CountingScope {
  /** A predicate: the current task is counted. */
  counted: string;
  /** Statements run first in every counting probe (the container program reads its mount namespace). */
  prelude: string;
  /** What every map key begins with (`cgroup, $ns, ` in the container program). */
  keyPrefix: string;
}

/**
 * Keeps a learned argument's value `$v` of call `number` (argument code `code`): every distinct
 * value costs one map entry, so each argument keeps MAX_ARGUMENT_VALUES at most; `@argn` counts the
 * distinct values offered, and one above the bound makes the recording say `too-many` (two CPUs
 * offering the same new value at once may count it twice, which can only leave an argument
 * unconstrained, never refuse a value seen).
 */
function keepValue(scope: CountingScope, number: number, code: number): string {
  const key = `${scope.keyPrefix}${ABI_NATIVE}, ${number}, ${code}`;
  return `if (!@args[${key}, $v]) {
    $n = @argn[${key}];
    if ($n < ${MAX_ARGUMENT_VALUES}) { @args[${key}, $v] = 1; }
    @argn[${key}] = $n + 1;
  }`;
}

/**
 * What the execve and execveat entry probes do besides counting: the command program starts
 * counting there, with its own test instead of the predicate (`ownTest`); the container program
 * names the scope there (`afterPrelude`), once: every container's runtime executes its program
 * under the filter, and a statement in these rare probes costs the other calls nothing.
 */
interface ExecEntry {
  ownTest?: string;
  afterPrelude?: string;
}

/**
 * The entry probes of native calls: counting those COUNTED_AT_ENTRY, marking a task in execve,
 * and reading the learned arguments.
 */
function entryProbes(scope: CountingScope, onExec: ExecEntry = {}): string {
  const names = [...new Set([...COUNTED_AT_ENTRY, ...LEARNED_ARGUMENTS.map(({ syscall }) => syscall)])];
  return names
    .map((name) => {
      const number = nativeNumber(name);
      const statements: string[] = [];
      if (COUNTED_AT_ENTRY.includes(name))
        statements.push(`@calls[${scope.keyPrefix}${ABI_NATIVE}, ${number}] = count();`);
      if (EXECS.includes(name)) statements.push('@inexec[tid] = 1;');
      for (const { key } of LEARNED_ARGUMENTS.filter((argument) => argument.syscall === name)) {
        const field = ENTRY_FIELDS[name]?.[key];
        if (field === undefined) throw new Error(`no tracepoint field for ${name} argument ${key}`);
        const code = key === 'flags' ? STRUCT_FLAGS : Number(key);
        statements.push(
          key === 'flags' ? `$v = *(uint64 *)uptr(args->${field});` : `$v = (uint64)args->${field};`,
          keepValue(scope, number, code),
        );
      }
      const exec = EXECS.includes(name) ? onExec : {};
      const body = [exec.ownTest, scope.prelude, exec.afterPrelude, ...statements].filter(
        (statement) => statement !== undefined && statement !== '',
      );
      return `tracepoint:syscalls:sys_enter_${name}${exec.ownTest ? '' : ` /${scope.counted}/`} {
  ${body.join('\n  ')}
}`;
    })
    .join('\n');
}

/** The exit probe: every call that returns, counted (but those counted at entry) with its errors. */
function exitProbe(scope: CountingScope, task: TaskFields): string {
  const numbers = (names: readonly string[]) => names.map(nativeNumber);
  const ia32 = (names: readonly string[]) => names.flatMap((name) => ia32Number(name) ?? []);
  const key = `${scope.keyPrefix}$a, $id`;
  return `tracepoint:raw_syscalls:sys_exit /${scope.counted}/ {
  ${scope.prelude ? `${scope.prelude}\n  ` : ''}$id = args->id;
  $r = args->ret;
  ${abiCode(task)}
  $count = 1;
  if ($id == -1) { $count = ($a != ${ABI_NATIVE}); }
  if ($a == ${ABI_NATIVE} && (${anyOf('$id', numbers(COUNTED_AT_ENTRY))})) { $count = 0; }
  if ($r == 0 && (($a == ${ABI_NATIVE} && (${anyOf('$id', numbers(FORKS))})) || ($a == ${ABI_IA32} && (${anyOf('$id', ia32(FORKS))})))) { $count = 0; }
  if (($a == ${ABI_NATIVE} && (${anyOf('$id', numbers(EXECS))})) || ($a == ${ABI_IA32} && (${anyOf('$id', ia32(EXECS))}))) {
    if (@inexec[tid]) { delete(@inexec[tid]); $count = 0; }
    else if ($a == ${ABI_NATIVE}) { $a = ${ABI_IA32}; $id = ${ia32Number('execve')}; $count = 1; }
  }
  if ($count) { @calls[${key}] = count(); }
  if ($id >= 0 && $r < 0 && $r >= -4095) { @errors[${key}] = count(); }
}`;
}

/**
 * An exiting i386 task's exit or exit_group, read from the call in its saved registers; a number
 * that cannot be one (the registers not where this kernel was expected to keep them) is said.
 */
function ia32Exit(scope: CountingScope, task: TaskFields): string {
  const exits = ['exit', 'exit_group'].flatMap((name) => ia32Number(name) ?? []);
  return `if (${task.status} & 0x2) {
    ${scope.prelude ? `${scope.prelude}\n    ` : ''}$nr = ${task.exitingCall};
    if (${anyOf('$nr', exits)}) { @calls[${scope.keyPrefix}${ABI_IA32}, $nr] = count(); }
    else if ($nr < -1 || $nr > 4096) { @calls[${scope.keyPrefix}${ABI_IA32}, ${IA32_UNREAD_EXIT}] = count(); }
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
  /** The call an exiting task is in: orig_ax of the registers saved at the top of its kernel stack. */
  readonly exitingCall: string;
}

/**
 * The size of an x86_64 kernel stack without KASAN, at whose top the entry code saves a task's
 * registers (task_pt_regs). The kernel's types do not carry it; where it differs, an i386 task's
 * exit is read as no call and said (IA32_UNREAD_EXIT).
 */
const THREAD_SIZE = 16384;

export const TASK_FIELDS_BY_NAME: TaskFields = {
  status: 'curtask->thread_info.status',
  seccompMode: 'curtask->seccomp.mode',
  mountNamespace: 'curtask->nsproxy->mnt_ns->ns.inum',
  cgroupName: 'str(curtask->cgroups->dfl_cgrp->kn->name)',
  hostname: 'curtask->nsproxy->uts_ns->name.nodename',
  exitingCall: `((struct pt_regs *)((uint64)curtask->stack + ${THREAD_SIZE} - sizeof(struct pt_regs)))->orig_ax`,
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
  const savedRegisters = `${pointer(task, 'task_struct', ['stack'])} + ${THREAD_SIZE - types.size('pt_regs')}`;
  return {
    // Parenthesised: a predicate `/*(int32 *)…/` would open a comment.
    status: `(*(uint32 *)(${task} + ${at('task_struct', ['thread_info', 'status'], 4)}))`,
    seccompMode: `(*(int32 *)(${task} + ${at('task_struct', ['seccomp', 'mode'], 4)}))`,
    mountNamespace: `(*(uint32 *)(${pointer(nsproxy, 'nsproxy', ['mnt_ns'])} + ${at('mnt_namespace', ['ns', 'inum'], 4)}))`,
    cgroupName: `str(kptr(${pointer(cgroup, 'kernfs_node', ['name'])}))`,
    hostname: `str(kptr(${pointer(nsproxy, 'nsproxy', ['uts_ns'])} + ${hostname}))`,
    exitingCall: `(*(int64 *)(${savedRegisters} + ${at('pt_regs', ['orig_ax'], 8)}))`,
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
 * The call's ABI code into `$a`, from its number already in `$id`. On x86_64 a 32-bit (ia32) call
 * runs with TS_COMPAT (0x0002) in the task's thread_info status, until it returns; an x32 call has
 * __X32_SYSCALL_BIT (0x40000000) in its number (-1, a number erased, has every bit).
 * (bpftrace 0.17 compiles a context field read in two places of a probe into a modified context
 * pointer, which the verifier refuses: the probes read each field once, into a variable.)
 */
const abiCode = (task: TaskFields): string =>
  `$a = ((${task.status} & 0x2) ? ${ABI_IA32} : (($id > 0 && ($id & 0x40000000)) ? ${ABI_X32} : ${ABI_NATIVE}));`;

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
 * pids, so they do not mix. Every call on the host passes the exit probe, whose predicate looks
 * the task's mark up once per call.
 */
export function commandProgram(parent: number, task: TaskFields): string {
  const scope: CountingScope = { counted: '@t[tid] == 2', prelude: '', keyPrefix: '' };
  return `${header(parent)}
tracepoint:sched:sched_process_fork /pid == ${parent} || @t[tid] == 2/ {
  @t[args->child_pid] = (pid == ${parent}) ? 1 : 2;
}
${entryProbes(scope, { ownTest: 'if (@t[tid] == 1) { @t[tid] = 2; }\n  if (@t[tid] != 2) { return; }' })}
${exitProbe(scope, task)}
tracepoint:sched:sched_process_exit /@t[tid]/ {
  if (@t[tid] == 2) { ${ia32Exit(scope, task)} }
  delete(@t[tid]);
}
END { clear(@t); clear(@inexec); }
`;
}

/** A running process (all its threads) and every task it forks from now on. */
export function pidProgram(target: number, task: TaskFields, owner: number = process.pid): string {
  const scope: CountingScope = { counted: `pid == ${target} || @t[tid]`, prelude: '', keyPrefix: '' };
  return `${header(owner)}
tracepoint:sched:sched_process_fork /pid == ${target} || @t[tid]/ { @t[args->child_pid] = 1; }
${entryProbes(scope)}
${exitProbe(scope, task)}
tracepoint:sched:sched_process_exit /${scope.counted}/ {
  ${ia32Exit(scope, task)}
  delete(@t[tid]);
}
END { clear(@t); clear(@inexec); }
`;
}

/** The printf the container program makes once per scope: cgroup id, mount namespace, a pid, the cgroup (v2) name, the hostname. */
export const SCOPE_EVENT = 'scope';

/**
 * Containers: only tasks under a seccomp filter (`seccomp.mode` 2) count, keyed by their scope:
 * cgroup (v2) id and mount namespace. The container runs under an allow-everything profile, so
 * its tasks are in mode 2 from the moment the runtime installed the filter: the runtime's set-up
 * before it (mount, pivot_root, …) is not counted, its own calls after it are. The first execve
 * in a scope (the runtime starting the container's program, under the filter) prints the scope
 * with its cgroup's name and the hostname, which name the container
 * (a namespace's inode number is reused once it is freed, a cgroup id never is). The programs each
 * scope executes are kept (for --widen reachable).
 */
export function containerProgram(task: TaskFields, owner: number = process.pid): string {
  const scope: CountingScope = {
    counted: `${task.seccompMode} == 2`,
    prelude: `$ns = ${task.mountNamespace};`,
    keyPrefix: 'cgroup, $ns, ',
  };
  const sighting = `if (!@seen[cgroup, $ns]) {
    @seen[cgroup, $ns] = 1;
    printf("${SCOPE_EVENT} %llu %u %d %s %s\\n", cgroup, $ns, pid, ${task.cgroupName}, ${task.hostname});
  }`;
  return `${header(owner)}
${entryProbes(scope, { afterPrelude: sighting })}
${exitProbe(scope, task)}
tracepoint:sched:sched_process_exit /${scope.counted}/ {
  ${ia32Exit(scope, task)}
}
tracepoint:sched:sched_process_exec /${scope.counted}/ {
  ${scope.prelude}
  @exec[${scope.keyPrefix}str(args->filename)] = count();
}
END { clear(@seen); clear(@inexec); }
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
