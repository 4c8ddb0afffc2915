import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Abi } from '../syscalls/abi.js';
import { type ArgumentKey, isAuditedArgument, learnedArgumentsOf } from '../syscalls/arguments.js';
import { syscallName } from '../syscalls/table.js';

/** A container id as Docker and Podman put it in cgroup paths (docker-<id>.scope, /docker/<id>, libpod-<id>). */
const CONTAINER_ID = /([0-9a-f]{64})/;

/**
 * Reads which container (if any) a live process is in, and where its cgroup's process list is:
 * `/sys/fs/cgroup/<path>` on cgroup v2, `/sys/fs/cgroup/<controller>/<path>` on v1 and
 * `/sys/fs/cgroup/unified/<path>` for the v2 part of a hybrid host. Undefined when the process is gone.
 */
export function containerOfPid(
  pid: number,
): { containerId: string | null; procsFiles?: string[] } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    // The process has ended: attribution places it through its exit record's parent, or warns it could not.
    return undefined;
  }
  let containerId: string | null = null;
  const procsFiles: string[] = [];
  for (const line of text.split('\n')) {
    const id = CONTAINER_ID.exec(line)?.[1];
    if (!id) continue;
    containerId ??= id;
    const [hierarchy, controllers, path] = splitCgroupLine(line);
    if (hierarchy === '0')
      procsFiles.push(`/sys/fs/cgroup${path}/cgroup.procs`, `/sys/fs/cgroup/unified${path}/cgroup.procs`);
    else if (controllers)
      procsFiles.push(`/sys/fs/cgroup/${controllers.replace(/^name=/, '')}${path}/cgroup.procs`);
  }
  return containerId ? { containerId, procsFiles } : { containerId: null };
}

/**
 * Finds the host processes that hold containers: Docker's containerd-shim (`-id <id>`) and Podman's
 * conmon (`-c <id>`). Both are child subreapers, so when runc's intermediate processes exit, a
 * container's init is re-parented to its holder, and its process-exit record names the holder as
 * parent. Holders live from the container's start until after it ends: a container too short-lived to
 * be seen in its own cgroup is still placed through its holder. Each pid's command line is read once,
 * but for the engines' own forks, which may yet execute a holder.
 */
export class ContainerHolders {
  private readonly looked = new Set<number>();

  /** Holders started since the last look, by pid, with the id of the container each holds. */
  scan(): Map<number, string> {
    const found = new Map<number, string>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const pid = Number(entry);
      if (this.looked.has(pid)) continue;
      this.looked.add(pid);
      let argv: string[];
      try {
        argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      } catch {
        continue; // ended while we looked
      }
      const program = argv[0]?.split('/').pop() ?? '';
      // A holder is forked by containerd or podman and executed a moment later: look again at those.
      if (/^(containerd|dockerd|podman)$/.test(program)) this.looked.delete(pid);
      if (!/^(containerd-shim|conmon)/.test(program)) continue;
      const flag = argv.findIndex((arg) => arg === '-id' || arg === '-c' || arg === '--cid');
      const id = CONTAINER_ID.exec(argv[flag + 1] ?? '')?.[1];
      if (flag >= 0 && id) found.set(pid, id);
    }
    return found;
  }
}

/** "hierarchy:controllers:path", where the path itself may contain colons. */
function splitCgroupLine(line: string): [string, string, string] {
  const first = line.indexOf(':');
  const second = line.indexOf(':', first + 1);
  return [line.slice(0, first), line.slice(first + 1, second), line.slice(second + 1)];
}

interface PendingCall {
  abi: Abi;
  syscall: string | number;
  calls: number;
}

/** The calls of one learned syscall logged by seccomp-learn's audit rule, and the values of a0-a3 they passed. */
export interface AuditedCalls {
  abi: Abi;
  syscall: number;
  calls: number;
  registers: Array<Set<bigint>>;
}

export interface AttributionResult {
  /** Calls of the container's own processes. */
  mine: PendingCall[];
  /** The learned calls of the container's own processes, as the audit rule logged them. */
  mineAudited: AuditedCalls[];
  /** The pids of the container's own processes that made calls. */
  minePids: number[];
  /** Calls of processes that ended before they could be placed: neither their cgroup nor an ancestor was seen. */
  unresolved: { pids: number; calls: number; syscalls: Map<string, PendingCall> };
  /** Calls of other processes (other containers, the host) that were left out. */
  othersCalls: number;
  /** The container's processes placed while alive, and those placed only through their parent after they had ended. */
  placedLive: number;
  placedByAncestry: number;
}

/** The calls `key` of `pid`, made by `create` the first time. */
function callsOf<T>(byPid: Map<number, Map<string, T>>, pid: number, key: string, create: () => T): T {
  let calls = byPid.get(pid);
  if (!calls) {
    calls = new Map();
    byPid.set(pid, calls);
  }
  let entry = calls.get(key);
  if (entry === undefined) {
    entry = create();
    calls.set(key, entry);
  }
  return entry;
}

/**
 * Decides which SECCOMP records belong to one container, as the Security Profiles Operator's log
 * enricher does: each record's pid is resolved to its cgroup while the process lives. A process too
 * short-lived for that is placed through its parent, known from fork records; what still cannot be
 * placed is reported, never silently added to or dropped from the profile.
 */
export class ContainerAttribution {
  private readonly containerOf = new Map<number, string | null>();
  private readonly parentOf = new Map<number, number>();
  private readonly calls = new Map<number, Map<string, PendingCall>>();
  private readonly audited = new Map<number, Map<string, AuditedCalls>>();

  /** A process seen alive in some cgroup (a record, or a poll of the container's cgroup.procs). */
  place(pid: number, containerId: string | null): void {
    if (!this.containerOf.has(pid)) this.containerOf.set(pid, containerId);
  }

  isPlaced(pid: number): boolean {
    return this.containerOf.has(pid);
  }

  /** From a process-exit record: `pid`'s parent was `parent` (host pids). */
  parent(pid: number, parent: number): void {
    if (parent !== pid) this.parentOf.set(pid, parent);
  }

  record(pid: number, abi: Abi, syscall: string | number): void {
    callsOf(this.calls, pid, `${abi}:${syscall}`, () => ({ abi, syscall, calls: 0 })).calls++;
  }

  /** A learned call's registers, from the SYSCALL record of seccomp-learn's audit rule. */
  audit(pid: number, abi: Abi, syscall: number, registers: readonly bigint[]): void {
    const entry = callsOf(this.audited, pid, `${abi}:${syscall}`, () => ({
      abi,
      syscall,
      calls: 0,
      registers: registers.map(() => new Set<bigint>()),
    }));
    entry.calls++;
    registers.forEach((value, index) => {
      entry.registers[index]?.add(value);
    });
  }

  private resolve(pid: number): string | null | undefined {
    let current: number | undefined = pid;
    for (let depth = 0; current !== undefined && depth < 128; depth++) {
      if (this.containerOf.has(current)) return this.containerOf.get(current);
      current = this.parentOf.get(current);
    }
    return undefined;
  }

  finish(containerId: string): AttributionResult {
    const result: AttributionResult = {
      mine: [],
      mineAudited: [],
      minePids: [],
      unresolved: { pids: 0, calls: 0, syscalls: new Map() },
      othersCalls: 0,
      placedLive: 0,
      placedByAncestry: 0,
    };
    for (const [pid, calls] of this.calls) {
      const owner = this.resolve(pid);
      if (owner === containerId) {
        if (this.containerOf.has(pid)) result.placedLive++;
        else result.placedByAncestry++;
        result.mine.push(...calls.values());
        result.minePids.push(pid);
      } else if (owner === undefined) {
        result.unresolved.pids++;
        for (const [key, call] of calls) {
          result.unresolved.calls += call.calls;
          const seen = result.unresolved.syscalls.get(key);
          if (seen) seen.calls += call.calls;
          else result.unresolved.syscalls.set(key, { ...call });
        }
      } else {
        for (const call of calls.values()) result.othersCalls += call.calls;
      }
    }
    for (const [pid, calls] of this.audited)
      if (this.resolve(pid) === containerId) result.mineAudited.push(...calls.values());
    return result;
  }
}

/** What the rule records tell of one learned call of the container. */
export interface AuditedArguments {
  abi: Abi;
  name: string;
  /** Calls seccomp logged (SECCOMP records), and calls the argument rule logged (SYSCALL records). */
  logged: number;
  audited: number;
  /** Per register argument, the values seen; undefined (unread) unless the rule logged every call. */
  arguments: Array<[ArgumentKey, bigint[] | undefined]>;
}

/**
 * The learned arguments of the container's calls, from the SYSCALL records of seccomp-learn's audit
 * rules. A call's values are kept only when the rule logged as many calls of it as seccomp did: every
 * call was seen. Otherwise (records lost, an x32 call no rule selects) they are unread: the values
 * that happened to be seen must not become the only ones allowed.
 */
export function auditedArguments(result: AttributionResult): AuditedArguments[] {
  const nameOf = (abi: Abi, syscall: string | number): string | undefined =>
    typeof syscall === 'number' ? syscallName(abi, syscall) : syscall;
  const calls = new Map<string, AuditedArguments & { registers: Array<Set<bigint>> }>();
  const entry = (abi: Abi, name: string) => {
    const key = `${abi}:${name}`;
    let found = calls.get(key);
    if (!found) {
      found = {
        abi,
        name,
        logged: 0,
        audited: 0,
        arguments: [],
        registers: [0, 1, 2, 3].map(() => new Set()),
      };
      calls.set(key, found);
    }
    return found;
  };
  for (const call of result.mine) {
    const name = nameOf(call.abi, call.syscall);
    if (name !== undefined && registerArguments(name).length > 0) entry(call.abi, name).logged += call.calls;
  }
  for (const call of result.mineAudited) {
    const name = nameOf(call.abi, call.syscall);
    if (name === undefined || registerArguments(name).length === 0) continue;
    const found = entry(call.abi, name);
    found.audited += call.calls;
    call.registers.forEach((values, index) => {
      for (const value of values) found.registers[index]?.add(value);
    });
  }
  return [...calls.values()]
    .filter((call) => call.logged > 0)
    .map(({ registers, ...call }) => ({
      ...call,
      arguments: registerArguments(call.name).map((key): [ArgumentKey, bigint[] | undefined] => [
        key,
        call.audited === call.logged ? [...(registers[Number(key)] ?? [])] : undefined,
      ]),
    }));
}

/** The learned arguments of `syscall` that a SYSCALL record carries. */
function registerArguments(syscall: string): ArgumentKey[] {
  return (learnedArgumentsOf(syscall) ?? []).map((argument) => argument.key).filter(isAuditedArgument);
}

const CGROUP_POLL_MS = 5;
/** New processes are few between scans of /proc; each pid's command line is read once. */
const HOLDER_SCAN_MS = 10;

/**
 * Places every container holder (containerd-shim, conmon) that starts while the client runs, ours and
 * those of containers learning at the same time: each container's processes then resolve to their own
 * container through the process-exit records, however short their lives.
 */
export async function placeThroughHolders(
  attribution: ContainerAttribution,
  client: Promise<unknown>,
): Promise<void> {
  const holders = new ContainerHolders();
  let clientEnded = false;
  void client.finally(() => {
    clientEnded = true;
  });
  while (!clientEnded) {
    for (const [pid, containerId] of holders.scan()) attribution.place(pid, containerId);
    await new Promise((resolve) => setTimeout(resolve, HOLDER_SCAN_MS));
  }
}

/** Polls the container's cgroup.procs so that processes are placed while they live, however briefly. */
export function pollCgroup(
  attribution: ContainerAttribution,
  procsFiles: string[],
  containerId: string,
): () => void {
  let file = procsFiles.find((candidate) => existsSync(candidate));
  let busy = false;
  const timer = setInterval(() => {
    if (busy || !file) return;
    busy = true;
    readFile(file, 'utf8')
      .then((text) => {
        for (const pid of text.split('\n')) if (pid !== '') attribution.place(Number(pid), containerId);
      })
      .catch(() => {
        // The container is gone: its cgroup went with it.
        file = undefined;
      })
      .finally(() => {
        busy = false;
      });
  }, CGROUP_POLL_MS);
  return () => clearInterval(timer);
}
