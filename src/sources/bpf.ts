import { access, readFile } from 'node:fs/promises';
import { release } from 'node:os';
import { execa } from 'execa';
import { UserError } from '../errors.js';
import { type Abi, hostAbi } from '../syscalls/abi.js';
import { type ArgumentKey, LEARNED_ARGUMENTS, MAX_ARGUMENT_VALUES } from '../syscalls/arguments.js';
import { syscallNumber } from '../syscalls/table.js';
import { findExecutable } from './host.js';

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
 * learned arguments took, in `@args[<prefix>abi, nr, code, value]`. They run after ENTER, which
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
const DEBUGFS_TRACING = '/sys/kernel/debug/tracing';

/**
 * The call's ABI on x86_64: a 32-bit (ia32) call runs with TS_COMPAT (0x0002) in the task's
 * thread_info status, an x32 call has __X32_SYSCALL_BIT (0x40000000) in its number.
 */
const ABI_EXPRESSION = `((curtask->thread_info.status & 0x2) ? ${ABI_IA32} : ((args->id & 0x40000000) ? ${ABI_X32} : ${ABI_NATIVE}))`;

/**
 * The start of a sys_enter probe: the number and the ABI code read once into `$id` and `$a`.
 * bpftrace 0.17 compiles a context field read twice in one expression into a modified context
 * pointer, which the verifier refuses, and each `curtask` expression costs start-up time.
 */
const ENTER = `$id = args->id;
  $a = ((curtask->thread_info.status & 0x2) ? ${ABI_IA32} : (($id & 0x40000000) ? ${ABI_X32} : ${ABI_NATIVE}));`;

/** `ret` of a failed call: -4095..-1, as the kernel's IS_ERR_VALUE. */
const FAILED = 'args->ret < 0 && args->ret >= -4095';

export interface BpfSupport {
  bpftrace: string;
  version: string;
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
  if (!(await exists('/sys/kernel/btf/vmlinux')))
    return { ok: false, missing: 'the kernel has no BTF (/sys/kernel/btf/vmlinux: CONFIG_DEBUG_INFO_BTF)' };
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
  return { ok: true, support: { bpftrace, version } };
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
 * pids, so they do not mix.
 */
export function commandProgram(parent: number): string {
  return `${header(parent)}
tracepoint:sched:sched_process_fork /pid == ${parent} || @t[tid] == 2/ {
  @t[args->child_pid] = (pid == ${parent}) ? 1 : 2;
}
tracepoint:raw_syscalls:sys_enter /@t[tid]/ {
  if (@t[tid] == 1 && args->id == 59) { @t[tid] = 2; }
  if (@t[tid] == 2) {
    ${ENTER}
    @calls[$a, $id] = count();
    ${argumentCapture('')}
  }
}
tracepoint:raw_syscalls:sys_exit /@t[tid] == 2 && ${FAILED}/ {
  @errors[${ABI_EXPRESSION}, args->id] = count();
}
tracepoint:sched:sched_process_exit /@t[tid]/ { delete(@t[tid]); }
END { clear(@t); }
`;
}

/** A running process (all its threads) and every task it forks from now on. */
export function pidProgram(target: number, owner: number = process.pid): string {
  return `${header(owner)}
tracepoint:sched:sched_process_fork /pid == ${target} || @t[tid]/ { @t[args->child_pid] = 1; }
tracepoint:raw_syscalls:sys_enter /pid == ${target} || @t[tid]/ {
  ${ENTER}
  @calls[$a, $id] = count();
  ${argumentCapture('')}
}
tracepoint:raw_syscalls:sys_exit /(pid == ${target} || @t[tid]) && ${FAILED}/ {
  @errors[${ABI_EXPRESSION}, args->id] = count();
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
export function containerProgram(owner: number = process.pid): string {
  const scope = 'cgroup, curtask->nsproxy->mnt_ns->ns.inum';
  return `${header(owner)}
tracepoint:raw_syscalls:sys_enter /curtask->seccomp.mode == 2/ {
  $ns = curtask->nsproxy->mnt_ns->ns.inum;
  ${ENTER}
  @calls[cgroup, $ns, $a, $id] = count();
  if (!@seen[cgroup, $ns]) {
    @seen[cgroup, $ns] = 1;
    printf("${SCOPE_EVENT} %llu %u %d %s %s\\n", cgroup, $ns, pid, str(curtask->cgroups->dfl_cgrp->kn->name), curtask->nsproxy->uts_ns->name.nodename);
  }
  ${argumentCapture('cgroup, $ns, ')}
}
tracepoint:raw_syscalls:sys_exit /curtask->seccomp.mode == 2 && ${FAILED}/ {
  @errors[${scope}, ${ABI_EXPRESSION}, args->id] = count();
}
tracepoint:sched:sched_process_exec /curtask->seccomp.mode == 2/ {
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
