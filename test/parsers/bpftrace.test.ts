import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  countSyscalls,
  executedFiles,
  keyParts,
  parseBpftraceOutput,
  scopeSightings,
} from '../../parsers/bpftrace.js';
import { InputError } from '../../src/errors.js';
import { RecordingBuilder } from '../../src/recording/builder.js';
import {
  commandProgram,
  containerProgram,
  pidProgram,
  READY_LINE,
  TASK_FIELDS_BY_NAME,
} from '../../src/sources/bpf.js';
import { hostInfo } from '../../src/sources/host.js';
import { CollectingSink } from '../helpers/collecting-sink.js';

const SAMPLES = new URL('../../samples/traces/bpftrace/', import.meta.url);
const sample = (name: string) => readFileSync(new URL(name, SAMPLES), 'utf8');

const FIRST = 'b2cdf0a8a20f98910d39503e4a9edff01c956a467340be4a52e2bd10d176993a';
const SECOND = '3ae65818bd45dff48016cebcdfb181ea6ce30cbb291caca913051585cdc82af2';

describe('parseBpftraceOutput', () => {
  it('reads the maps, the printfs and what the perf buffer lost', () => {
    const output = parseBpftraceOutput(
      [
        '{"type": "attached_probes", "data": {"probes": 6}}',
        '{"type": "printf", "data": "seccomp-learn-bpf-ready\\n"}',
        '{"type": "lost_events", "data": {"events": 3}}',
        '',
        '',
        '{"type": "map", "data": {"@calls": {"0,1": 4, "1,4": 2}}}',
        '{"type": "map", "data": {"@total": 6}}',
      ].join('\n'),
      'out.json',
    );
    expect(output.printed).toEqual([READY_LINE]);
    expect(output.lostEvents).toBe(3);
    expect(Object.fromEntries(output.maps.get('@calls') ?? [])).toEqual({ '0,1': 4, '1,4': 2 });
    expect(output.maps.get('@total')?.get('')).toBe(6);
  });

  it('refuses what is not bpftrace JSON, naming the line', () => {
    expect(() => parseBpftraceOutput('{"type": "map"}\nAttaching 3 probes...', 'out.json')).toThrow(
      InputError,
    );
    expect(() => parseBpftraceOutput('Attaching 3 probes...', 'out.json')).toThrow(
      'out.json:1: not bpftrace JSON output',
    );
    expect(() => parseBpftraceOutput('{"type": "map", "data": {"@calls": {"0,1": -1}}}', 'o')).toThrow(
      'is not a count',
    );
  });

  it('splits keys whose last part holds commas', () => {
    expect(keyParts('1,2,/bin/a,b', 3)).toEqual(['1', '2', '/bin/a,b']);
    expect(keyParts('7', 2)).toEqual(['7']);
  });
});

describe('a host command (commandProgram output)', () => {
  const output = parseBpftraceOutput(sample('command-hello32-busybox.json'), 'sample');

  it('tells 32-bit calls from native ones and counts errors where the call returned', () => {
    const sink = new CollectingSink();
    countSyscalls(output, sink, { host: 'x86_64' });
    // hello32 (gcc -m32 -static) after its execve: the i386 table's numbers.
    expect(sink.of('x86')).toEqual({
      '4': [1, 0], // write
      '20': [1, 0], // getpid
      '45': [5, 0], // brk
      '85': [1, 0], // readlink
      '125': [1, 0],
      '191': [1, 0],
      '243': [1, 0],
      '252': [1, 0], // exit_group: read where the task exited, from its saved registers
      '258': [1, 0],
      '311': [1, 0],
      '355': [1, 0],
      '383': [1, 0],
      '386': [1, 0],
    });
    // Two execve: hello32's and busybox's; busybox cat's failed openat of /nonexistent.
    expect(sink.get('x86_64', 59)).toEqual({ calls: 2, errors: 0 });
    expect(sink.get('x86_64', 257)).toEqual({ calls: 1, errors: 1 });
    expect(sink.notices).toEqual([]);
  });

  it('builds a recording with names per ABI', () => {
    const builder = new RecordingBuilder();
    countSyscalls(output, builder, { host: 'x86_64' });
    const recording = builder.build({ source: 'bpf', inputs: [], host: hostInfo(), seccompLearn: 'test' });
    expect(Object.keys(recording.abis).sort()).toEqual(['x86', 'x86_64']);
    expect(recording.abis.x86?.set_thread_area).toEqual({ calls: 1, errors: 0, runs: 1 });
    expect(recording.abis.x86?.ugetrlimit).toEqual({ calls: 1, errors: 0, runs: 1 });
    expect(recording.abis.x86_64?.openat).toEqual({ calls: 1, errors: 1, runs: 1 });
    expect(recording.warnings).toEqual([]);
  });

  it('reads x32 numbers with their bit, and leaves out errors of calls it never saw begin', () => {
    const x32Execve = 0x40000000 + 520;
    const sink = new CollectingSink();
    countSyscalls(
      parseBpftraceOutput(
        `{"type": "map", "data": {"@calls": {"2,${x32Execve}": 1, "0,202": 2}}}\n{"type": "map", "data": {"@errors": {"0,202": 5, "0,61": 1}}}`,
        'o',
      ),
      sink,
      { host: 'x86_64' },
    );
    expect(sink.of('x32')).toEqual({ [x32Execve]: [1, 0] });
    expect(sink.of('x86_64')).toEqual({ '202': [2, 2] });
  });
});

describe('two containers at once (containerProgram output)', () => {
  const output = parseBpftraceOutput(sample('container-two-busybox.json'), 'sample');

  it('names each scope after its cgroup and hostname', () => {
    const sightings = scopeSightings(output);
    expect(sightings.map((sighting) => sighting.cgroup).sort()).toEqual([FIRST, SECOND].sort());
    expect(sightings.find((sighting) => sighting.cgroup === FIRST)?.hostname).toBe(FIRST.slice(0, 12));
  });

  it("counts one container's scope only, and keeps its executables", () => {
    const scopeOf = (id: string) =>
      new Set(scopeSightings(output).flatMap((sighting) => (sighting.cgroup === id ? [sighting.scope] : [])));
    const first = new CollectingSink();
    countSyscalls(output, first, { host: 'x86_64', scopes: scopeOf(FIRST) });
    const second = new CollectingSink();
    countSyscalls(output, second, { host: 'x86_64', scopes: scopeOf(SECOND) });
    // `true` is one execve of /bin/true (busybox) after runc's prctl calls; `sh -c 'echo hi'` writes.
    expect(second.get('x86_64', 59)).toEqual({ calls: 1, errors: 0 });
    expect(second.get('x86_64', 1)).toEqual({ calls: 1, errors: 0 });
    expect(first.get('x86_64', 1)?.calls).toBeGreaterThanOrEqual(1);
    // Nothing of runc's set-up before the filter: no mount (165), pivot_root (155), unshare (272),
    // nor the seccomp (317) that installed it, which returns under the filter.
    for (const sink of [first, second]) {
      for (const number of [155, 165, 272, 317]) expect(sink.get('x86_64', number)).toBeUndefined();
      // runc's prctl calls after the filter, counted where they begin.
      expect(sink.get('x86_64', 157)?.calls).toBeGreaterThanOrEqual(4);
    }
    expect(executedFiles(output, scopeOf(SECOND))).toEqual(['/bin/true']);
    expect(executedFiles(output, scopeOf(FIRST))).toEqual(['/bin/sh']);
  });
});

describe('learned arguments (commandProgram output with @args)', () => {
  const output = parseBpftraceOutput(sample('command-args.json'), 'sample');
  const recording = (() => {
    const builder = new RecordingBuilder();
    countSyscalls(output, builder, { host: 'x86_64' });
    return builder.build({ source: 'bpf', inputs: [], host: hostInfo(), seccompLearn: 'test' });
  })();
  const args = (abi: 'x86_64' | 'x86', name: string) => recording.abis[abi]?.[name]?.args;

  it('keeps the values per ABI, syscall and argument, as seccomp sees them', () => {
    expect(args('x86_64', 'socket')).toEqual({ '0': { values: ['0x1', '0x2'] } });
    expect(args('x86_64', 'personality')).toEqual({ '0': { values: ['0xffffffff'] } });
    expect(args('x86_64', 'unshare')).toEqual({ '0': { values: ['0x0'] } });
    // fork: CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD.
    expect(args('x86_64', 'clone')).toEqual({ '0': { values: ['0x1200011'] } });
  });

  it("counts the 32-bit build's learned calls, their arguments unread, and says so", () => {
    // ia32 numbers (clone 120, personality 136, prctl 172, unshare 310): the per-syscall tracepoints
    // that read arguments see native calls only.
    for (const name of ['clone', 'personality', 'prctl', 'unshare']) {
      expect(recording.abis.x86?.[name]?.calls).toBe(1);
      expect(args('x86', name)).toEqual({ '0': { unbounded: 'unreadable' } });
    }
    const unread = recording.warnings.filter((warning) => warning.code === 'unread-arguments');
    expect(unread.map((warning) => warning.message)).toContain(
      "clone (x86): the bpf backend reads the arguments of native calls only: unread, and the profile keeps Docker's form for it",
    );
    expect(unread.every((warning) => warning.abi === 'x86')).toBe(true);
  });

  it('counts a fork once, in the parent, and every execve where it began', () => {
    // args64 forks once (clone 56); its child returns from the same clone with 0, not counted.
    expect(recording.abis.x86_64?.clone?.calls).toBe(1);
    // sh and the three programs: four execve, all begun as x86_64 calls, args32's too.
    expect(recording.abis.x86_64?.execve?.calls).toBe(4);
    expect(recording.abis.x86?.execve).toBeUndefined();
  });

  it('says so when an argument took more values than the program keeps', () => {
    // bound.c: prctl options 1000-1019 on top of PR_GET_DUMPABLE; the kernel kept 16 of them.
    expect(output.maps.get('@argn')?.get('0,157,0')).toBe(21);
    expect(
      [...(output.maps.get('@args')?.keys() ?? [])].filter((key) => key.startsWith('0,157,0,')),
    ).toHaveLength(16);
    expect(args('x86_64', 'prctl')).toEqual({ '0': { unbounded: 'too-many' } });
  });

  it("has no values for i386's socketcall, whose domain is in memory", () => {
    expect(recording.abis.x86?.socketcall).toMatchObject({ calls: 2 });
    expect(recording.abis.x86?.socketcall?.args).toBeUndefined();
    expect(recording.abis.x86?.socket).toBeUndefined();
  });

  it('reads the values of a container scope only, and refuses keys of the wrong shape', () => {
    const scoped = parseBpftraceOutput(
      [
        '{"type": "map", "data": {"@calls": {"7,9,0,41": 2, "8,9,0,41": 1}}}',
        '{"type": "map", "data": {"@args": {"7,9,0,41,0,1": 1, "7,9,0,41,0,16": 1, "8,9,0,41,0,17": 1}}}',
      ].join('\n'),
      'scoped',
    );
    const builder = new RecordingBuilder();
    countSyscalls(scoped, builder, { host: 'x86_64', scopes: new Set(['7,9']) });
    const built = builder.build({ source: 'bpf', inputs: [], host: hostInfo(), seccompLearn: 'test' });
    expect(built.abis.x86_64?.socket).toEqual({
      calls: 2,
      errors: 0,
      runs: 1,
      args: { '0': { values: ['0x1', '0x10'] } },
    });
    const wrong = parseBpftraceOutput('{"type": "map", "data": {"@args": {"0,41,0": 1}}}', 'wrong');
    expect(() => countSyscalls(wrong, new CollectingSink(), { host: 'x86_64' })).toThrow(
      'a key of 4 parts was expected',
    );
  });
});

describe('the generated programs', () => {
  const programs = [
    commandProgram(42, TASK_FIELDS_BY_NAME),
    pidProgram(42, TASK_FIELDS_BY_NAME),
    containerProgram(TASK_FIELDS_BY_NAME),
  ];

  it('print the ready line first and count where calls return, by ABI and number', () => {
    for (const program of programs) {
      expect(program.startsWith(`BEGIN { printf("${READY_LINE}\\n"); }`)).toBe(true);
      expect(program).toContain('curtask->thread_info.status & 0x2');
      expect(program).toContain('($id > 0 && ($id & 0x40000000))');
      expect(program).toContain('if ($id >= 0 && $r < 0 && $r >= -4095)');
      // One probe for every call: the exit; no raw entry probe.
      expect(program).toContain('tracepoint:raw_syscalls:sys_exit');
      expect(program).not.toContain('tracepoint:raw_syscalls:sys_enter');
    }
    expect(commandProgram(42, TASK_FIELDS_BY_NAME)).toContain('/pid == 42 || @t[tid] == 2/');
    expect(pidProgram(42, TASK_FIELDS_BY_NAME)).toContain('/pid == 42 || @t[tid]/');
    expect(containerProgram(TASK_FIELDS_BY_NAME)).toContain('/curtask->seccomp.mode == 2/');
  });

  it('count at entry what does not return, and a fork once', () => {
    for (const program of programs) {
      for (const [name, number] of [
        ['exit', 60],
        ['exit_group', 231],
        ['rt_sigreturn', 15],
        ['execve', 59],
        ['seccomp', 317],
      ] as const) {
        const probe = program
          .split('\ntracepoint:')
          .find((block) => block.startsWith(`syscalls:sys_enter_${name} `));
        expect(probe).toContain(`0, ${number}] = count();`);
      }
      expect(program).toContain(
        'if ($r == 0 && (($a == 0 && ($id == 56 || $id == 57 || $id == 58 || $id == 435))',
      );
      // An i386 task's exit: the call in its saved registers.
      expect(program).toContain('if ($nr == 1 || $nr == 252)');
    }
  });

  it('capture the learned arguments of native calls, bounded, and clone3 flags from its structure', () => {
    for (const program of programs) {
      expect(program).toMatch(/sys_enter_socket[^}]*\$v = \(uint64\)args->family;/);
      expect(program).toMatch(/sys_enter_setns[^}]*\$v = \(uint64\)args->flags;[^}]*0, 308, 1, \$v\]/);
      expect(program).toMatch(
        /sys_enter_clone3[^}]*\$v = \*\(uint64 \*\)uptr\(args->uargs\);[^}]*0, 435, 6, \$v\]/,
      );
      expect(program).toContain('if ($n < 16) {');
    }
    expect(containerProgram(TASK_FIELDS_BY_NAME)).toContain('@args[cgroup, $ns, 0, 41, 0, $v] = 1;');
  });
});
