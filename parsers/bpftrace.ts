import { InputError } from '../src/errors.js';
import {
  ABI_IA32,
  ABI_NATIVE,
  ABI_X32,
  argumentKeyOfCode,
  IA32_SIGRETURN_FAMILY,
  IA32_UNREAD_EXIT,
  SCOPE_EVENT,
} from '../src/sources/bpf.js';
import type { Abi } from '../src/syscalls/abi.js';
import type { ArgumentKey } from '../src/syscalls/arguments.js';
import { learnedArgumentsOf, MAX_ARGUMENT_VALUES } from '../src/syscalls/arguments.js';
import { syscallName } from '../src/syscalls/table.js';
import type { ObservationSink } from './observation.js';

/**
 * bpftrace's `-f json` output: one JSON object per line (`attached_probes`, `printf`,
 * `lost_events`, and at exit one `map` per map), blank lines between. Map keys with several parts
 * are printed joined by commas ("4026532177,0,59"); values here are counts.
 */
export interface BpftraceOutput {
  /** Map name (with its @) to its entries, key as printed. */
  readonly maps: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** The text of every printf, in order. */
  readonly printed: readonly string[];
  /** Events (printfs) the perf buffer dropped. */
  readonly lostEvents: number;
}

function record(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseBpftraceOutput(text: string, source: string): BpftraceOutput {
  const maps = new Map<string, Map<string, number>>();
  const printed: string[] = [];
  let lostEvents = 0;
  const lines = text.split('\n');
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      throw new InputError(source, index + 1, `not bpftrace JSON output: ${line.slice(0, 80)}`);
    }
    if (!record(event) || typeof event.type !== 'string') {
      throw new InputError(source, index + 1, 'a bpftrace event without a type');
    }
    const { type, data } = event;
    if (type === 'printf' && typeof data === 'string') printed.push(data.replace(/\n$/, ''));
    else if (type === 'lost_events' && record(data) && typeof data.events === 'number')
      lostEvents += data.events;
    else if (type === 'map' && record(data)) {
      for (const [name, entries] of Object.entries(data)) {
        const map = maps.get(name) ?? new Map<string, number>();
        maps.set(name, map);
        if (typeof entries === 'number') map.set('', entries);
        else if (record(entries)) {
          for (const [key, value] of Object.entries(entries)) {
            if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
              throw new InputError(
                source,
                index + 1,
                `${name}[${key}] is not a count: ${JSON.stringify(value)}`,
              );
            }
            map.set(key, (map.get(key) ?? 0) + value);
          }
        } else throw new InputError(source, index + 1, `${name} is not a map of counts`);
      }
    }
    // attached_probes, time, … say nothing about the calls.
  }
  return { maps, printed, lostEvents };
}

/** A key's first `parts` - 1 comma-separated fields, and the rest (which may hold commas: a file name). */
export function keyParts(key: string, parts: number): string[] {
  const fields: string[] = [];
  let rest = key;
  for (let index = 1; index < parts; index++) {
    const comma = rest.indexOf(',');
    if (comma < 0) break;
    fields.push(rest.slice(0, comma));
    rest = rest.slice(comma + 1);
  }
  fields.push(rest);
  return fields;
}

function abiOf(code: number, host: Abi): Abi | undefined {
  if (code === ABI_NATIVE) return host;
  if (host !== 'x86_64') return undefined;
  if (code === ABI_IA32) return 'x86';
  if (code === ABI_X32) return 'x32';
  return undefined;
}

export interface SyscallCountOptions {
  /** The host's native ABI (code 0 in the keys). */
  readonly host: Abi;
  /**
   * Keys lead with a scope of two fields (cgroup id, mount namespace), as `scopeOf` gives it: only
   * these scopes are counted. Absent: keys are (abi, number).
   */
  readonly scopes?: ReadonlySet<string>;
}

/**
 * The i386 calls the programs count without their number (src/sources/bpf.ts): each stands for
 * the calls it may be, and all of them are recorded, said in a notice.
 */
const UNNUMBERED_IA32: ReadonlyMap<number, { names: string[]; message: (calls: number) => string }> = new Map(
  [
    [
      IA32_SIGRETURN_FAMILY,
      {
        names: ['sigreturn', 'rt_sigreturn'],
        message: (calls: number) =>
          `${calls} i386 call(s) returned from a signal handler with their number erased, as sigreturn and rt_sigreturn do: both are recorded`,
      },
    ],
    [
      IA32_UNREAD_EXIT,
      {
        names: ['exit', 'exit_group'],
        message: (calls: number) =>
          `${calls} i386 task(s) exited in a call whose number could not be read from their saved registers (a kernel stack other than 16 KiB): exit and exit_group are both recorded`,
      },
    ],
  ],
);

/**
 * The calls (`@calls`) and errors (`@errors`) per ABI and syscall number into `sink`. Errors are
 * counted where the call returns: one that began before counting began (a thread that was in a
 * call when the filter was installed) has no call counted, and its error is left out too.
 */
export function countSyscalls(
  output: BpftraceOutput,
  sink: ObservationSink,
  options: SyscallCountOptions,
): void {
  const parts = options.scopes ? 4 : 2;
  const tallies = new Map<string, { abi: Abi; number: number; calls: number; errors: number }>();
  const visit = (
    mapName: string,
    add: (tally: { calls: number; errors: number }, value: number) => void,
  ): void => {
    for (const [key, value] of output.maps.get(mapName) ?? []) {
      const fields = keyParts(key, parts);
      if (fields.length !== parts)
        throw new InputError(
          'bpftrace output',
          undefined,
          `${mapName}[${key}]: a key of ${parts} parts was expected`,
        );
      if (options.scopes && !options.scopes.has(`${fields[0]},${fields[1]}`)) continue;
      const [code, number] = fields.slice(-2).map(Number) as [number, number];
      const abi = abiOf(code, options.host);
      const stands = abi === 'x86' && mapName === '@calls' ? UNNUMBERED_IA32.get(number) : undefined;
      if (stands) {
        for (const name of stands.names) sink.count('x86', name, value, 0);
        sink.notice({ code: 'compat-abi', abi: 'x86', count: value, message: stands.message(value) });
        continue;
      }
      if (abi === undefined || !Number.isSafeInteger(number) || number < 0) {
        sink.notice({
          code: 'unreadable-line',
          message: `bpftrace ${mapName}[${key}]: unknown ABI code or syscall number: ${value} call(s) left out`,
        });
        continue;
      }
      const id = `${abi}:${number}`;
      const tally = tallies.get(id) ?? { abi, number, calls: 0, errors: 0 };
      tallies.set(id, tally);
      add(tally, value);
    }
  };
  visit('@calls', (tally, value) => {
    tally.calls += value;
  });
  visit('@errors', (tally, value) => {
    tally.errors += value;
  });
  for (const { abi, number, calls, errors } of tallies.values()) {
    if (calls === 0) continue;
    sink.count(abi, number, calls, Math.min(errors, calls));
    // The programs read arguments at the per-syscall tracepoints, which see native calls only.
    const name = abi === options.host ? undefined : syscallName(abi, number);
    const learned = name === undefined ? undefined : learnedArgumentsOf(name);
    if (name !== undefined && learned) {
      for (const { key } of learned) sink.argument?.(abi, name, key, undefined);
      sink.notice({
        code: 'unread-arguments',
        abi,
        count: calls,
        message: `${name} (${abi}): the bpf backend reads the arguments of native calls only: unread, and the profile keeps Docker's form for it`,
      });
    }
  }
  countArguments(output, sink, options);
}

/**
 * The learned arguments' values (`@args`, keyed by abi, number, argument code and value) into
 * `sink.argument`, and `too-many` for an argument that was offered more distinct values (`@argn`)
 * than the program keeps (MAX_ARGUMENT_VALUES).
 */
function countArguments(output: BpftraceOutput, sink: ObservationSink, options: SyscallCountOptions): void {
  const lead = options.scopes ? 2 : 0;
  const visit = (
    mapName: string,
    parts: number,
    take: (abi: Abi, name: string, key: ArgumentKey, count: number, value?: bigint) => void,
  ): void => {
    for (const [key, count] of output.maps.get(mapName) ?? []) {
      const fields = key.split(',');
      if (fields.length !== lead + parts)
        throw new InputError(
          'bpftrace output',
          undefined,
          `${mapName}[${key}]: a key of ${lead + parts} parts was expected`,
        );
      if (options.scopes && !options.scopes.has(`${fields[0]},${fields[1]}`)) continue;
      const [code, number, index, value] = fields.slice(lead);
      const abi = abiOf(Number(code), options.host);
      const name = abi === undefined ? undefined : syscallName(abi, Number(number));
      const argument = argumentKeyOfCode(Number(index));
      if (
        abi === undefined ||
        name === undefined ||
        argument === undefined ||
        !learnedArgumentsOf(name)?.some((learned) => learned.key === argument) ||
        (value !== undefined && !/^\d+$/.test(value))
      ) {
        sink.notice({
          code: 'unreadable-line',
          message: `bpftrace ${mapName}[${key}]: not an argument of a learned call: left out`,
        });
        continue;
      }
      take(abi, name, argument, count, value === undefined ? undefined : BigInt(value));
    }
  };
  visit('@args', 4, (abi, name, key, _count, value) => sink.argument?.(abi, name, key, value));
  visit('@argn', 3, (abi, name, key, offered) => {
    if (offered > MAX_ARGUMENT_VALUES) sink.argument?.(abi, name, key, 'too-many');
  });
}

/** The container program's first sight of a scope (a cgroup and mount namespace). */
export interface ScopeSighting {
  /** "cgroup-id,namespace-inode", as the keys of the maps begin. */
  readonly scope: string;
  readonly pid: number;
  /** The name of the task's cgroup (v2): the container's id for Docker and Podman. */
  readonly cgroup: string;
  readonly hostname: string;
}

export function scopeSightings(output: BpftraceOutput): ScopeSighting[] {
  const sightings: ScopeSighting[] = [];
  const pattern = new RegExp(`^${SCOPE_EVENT} (\\d+) (\\d+) (\\d+) (\\S*) ?(.*)$`);
  for (const line of output.printed) {
    const match = pattern.exec(line);
    if (!match) continue;
    sightings.push({
      scope: `${match[1]},${match[2]}`,
      pid: Number(match[3]),
      cgroup: match[4] as string,
      hostname: match[5] as string,
    });
  }
  return sightings;
}

/** The files executed (`@exec`, keyed by scope and path) in the given scopes, sorted. */
export function executedFiles(output: BpftraceOutput, scopes: ReadonlySet<string>): string[] {
  const files = new Set<string>();
  for (const key of output.maps.get('@exec')?.keys() ?? []) {
    const [cgroup, namespace, file] = keyParts(key, 3);
    if (file !== undefined && scopes.has(`${cgroup},${namespace}`)) files.add(file);
  }
  return [...files].sort();
}
