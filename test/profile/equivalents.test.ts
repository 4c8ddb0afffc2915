import { describe, expect, it } from 'vitest';
import { EQUIVALENCE_GROUPS, widen } from '../../src/profile/equivalents.js';
import { WORK_KINDS, workKindOf } from '../../src/profile/work-kinds.js';
import { DANGEROUS_SYSCALLS } from '../../src/syscalls/dangerous.js';
import { knownSyscallName, syscallExists } from '../../src/syscalls/table.js';

const names = (list: { name: string }[]) => list.map((entry) => entry.name);

describe('EQUIVALENCE_GROUPS', () => {
  it('names only syscalls libseccomp knows, each group with a reason', () => {
    for (const group of EQUIVALENCE_GROUPS) {
      expect([...group.when, ...group.add].filter((name) => !knownSyscallName(name))).toEqual([]);
      expect(group.reason.length).toBeGreaterThan(20);
    }
  });

  it('never puts clone3 beside fork: it is how a process makes new namespaces', () => {
    expect(EQUIVALENCE_GROUPS.filter((group) => group.add.includes('clone3'))).toEqual([]);
  });

  // One test per group: seeing any member on x86_64 adds every other member that exists there,
  // dangerous members held back.
  it.each(EQUIVALENCE_GROUPS.map((group) => [group.when.join('/'), group] as const))(
    'widens %s',
    (_, group) => {
      for (const seen of group.when.filter((name) => syscallExists('x86_64', name))) {
        const { added, heldBack } = widen(new Set([seen]), 'equivalents');
        const expected = group.add.filter((name) => name !== seen && syscallExists('x86_64', name));
        for (const name of expected) {
          const entry = [...added, ...heldBack].find((candidate) => candidate.name === name);
          expect(entry, `${seen} → ${name}`).toBeDefined();
          expect(entry?.reason).toMatch(/^equivalent of [a-z0-9_]+: /);
          expect(DANGEROUS_SYSCALLS.has(name) ? heldBack : added).toContainEqual(entry);
        }
      }
    },
  );
});

describe('widen', () => {
  it('adds nothing with none', () => {
    expect(widen(new Set(['mkdir', 'fork']), 'none')).toEqual({ added: [], heldBack: [] });
  });

  it('adds the siblings of observed calls with the reason, by name', () => {
    const { added, heldBack } = widen(new Set(['mkdir', 'readlinkat', 'chmod', 'stat']), 'equivalents');
    expect(names(added)).toEqual([
      'fchmodat',
      'fchmodat2',
      'fstat',
      'lstat',
      'mkdirat',
      'newfstatat',
      'readlink',
      'statx',
    ]);
    expect(added.find((entry) => entry.name === 'mkdirat')?.reason).toBe(
      'equivalent of mkdir: mkdir(p) is mkdirat(AT_FDCWD, p)',
    );
    expect(heldBack).toEqual([]);
  });

  it('leaves out names the ABI does not have', () => {
    // x86_64 has no sigsuspend; 32-bit x86 has both.
    expect(names(widen(new Set(['rt_sigsuspend']), 'equivalents').added)).toEqual(['pause']);
    expect(names(widen(new Set(['rt_sigsuspend']), 'equivalents', new Map(), 'x86').added)).toEqual([
      'pause',
      'sigsuspend',
    ]);
    // aarch64 has neither open nor creat: openat alone adds nothing there.
    expect(widen(new Set(['openat']), 'equivalents', new Map(), 'aarch64').added).toEqual([]);
  });

  it('holds back a dangerous sibling unless it was observed', () => {
    const fork = widen(new Set(['fork']), 'equivalents');
    expect(names(fork.added)).toEqual(['vfork']);
    expect(fork.heldBack).toEqual([
      {
        name: 'clone',
        kind: 'equivalent',
        reason: expect.stringMatching(/^equivalent of fork: /),
        cause: { kind: 'equivalent', of: 'fork', why: expect.stringMatching(/^fork\(\) and vfork\(\)/) },
        heldFor: 'dangerous',
      },
    ]);
    const clone = widen(new Set(['clone']), 'equivalents');
    expect(names(clone.added)).toEqual(['fork', 'vfork']);
    expect(clone.heldBack).toEqual([]);
  });

  it('follows a fallback one way only: openat2 adds openat, openat does not add openat2', () => {
    expect(names(widen(new Set(['openat2']), 'equivalents').added)).toEqual(['openat']);
    expect(names(widen(new Set(['openat']), 'equivalents').added)).toEqual(['creat', 'open']);
  });

  it('adds what the binaries can reach with its witness, and the equivalents they can make, never a dangerous call', () => {
    const reachable = new Map([
      ['fsync', { function: 'fsync', binary: '/usr/bin/redis-server' }],
      ['mount', { function: 'mount', binary: '/usr/bin/redis-server' }],
      ['read', { binary: '/usr/bin/redis-server' }],
      ['mkdir', { binary: '/usr/bin/redis-server' }],
      ['unlinkat', { function: 'unlinkat', binary: '/usr/bin/redis-server' }],
    ]);
    const { added, heldBack } = widen(new Set(['read', 'unlink', 'pipe']), 'reachable', reachable);
    const redis = '/usr/bin/redis-server';
    expect(added).toEqual([
      {
        name: 'fsync',
        kind: 'reachable',
        reason: `reachable through fsync of ${redis}`,
        cause: { kind: 'reachable', function: 'fsync', binary: redis },
      },
      {
        name: 'mkdir',
        kind: 'reachable',
        reason: `reachable in the code of ${redis}`,
        cause: { kind: 'reachable', binary: redis },
      },
      {
        name: 'unlinkat',
        kind: 'reachable',
        reason: `reachable through unlinkat of ${redis}`,
        cause: { kind: 'reachable', function: 'unlinkat', binary: redis },
      },
    ]);
    expect(heldBack).toEqual([
      {
        name: 'mount',
        kind: 'reachable',
        reason: `reachable through mount of ${redis}`,
        cause: { kind: 'reachable', function: 'mount', binary: redis },
        heldFor: 'dangerous',
      },
      // pipe's sibling: the code read cannot make it, so that road is not taken.
      {
        name: 'pipe2',
        kind: 'equivalent',
        reason: expect.stringMatching(/^equivalent of pipe: /),
        cause: expect.objectContaining({ kind: 'equivalent', of: 'pipe' }),
        heldFor: 'unreachable',
      },
    ]);
    // reachable-all keeps every equivalent as well.
    expect(names(widen(new Set(['read', 'unlink', 'pipe']), 'reachable-all', reachable).added)).toContain(
      'pipe2',
    );
    // A dangerous call that was observed is the workload's own: nothing to hold back or add.
    expect(widen(new Set(['mount']), 'reachable', reachable).heldBack).toEqual([]);
  });

  it('adds a reachable call of a kind of work only where an observed call shows the kind; reachable-all adds it anyway', () => {
    const python = '/usr/bin/python3.11';
    const reachable = new Map(
      [
        'bind',
        'socket',
        'setxattr',
        'sched_setscheduler',
        'setsid',
        'sethostname',
        'setresuid',
        'unlink',
        'rename',
      ].map((name) => [name, { function: name, binary: python }] as const),
    );
    const { added, heldBack } = widen(new Set(['read', 'write']), 'reachable', reachable);
    // File calls are in no kind, extended attributes included: more of what a program that writes may do.
    expect(names(added)).toEqual(['rename', 'setxattr', 'unlink']);
    const why = (list: typeof heldBack) =>
      list.map(({ name, heldFor }) => [name, typeof heldFor === 'object' ? heldFor.title : heldFor]);
    expect(why(heldBack)).toEqual([
      ['bind', 'network sockets'],
      ['sched_setscheduler', 'scheduling policy'],
      ['sethostname', 'host administration'],
      ['setresuid', 'identity changes'],
      ['setsid', 'sessions and process groups'],
      // socket is dangerous too, but held for its kind first: without a socket observed it is not
      // even added in Docker's restricted form.
      ['socket', 'network sockets'],
    ]);
    // One socket call observed shows the kind: the rest of it is added, socket itself stays dangerous.
    const networked = widen(new Set(['read', 'connect']), 'reachable', reachable);
    expect(names(networked.added)).toContain('bind');
    expect(networked.heldBack.find((entry) => entry.name === 'socket')?.heldFor).toBe('dangerous');
    // The runtime's own setuid (runc sets the container's user after installing the filter) shows
    // nothing of the workload; the workload's own does.
    const runtime = new Set(['setuid', 'setgid', 'setgroups']);
    const asRuntime = widen(new Set(['read', 'setuid']), 'reachable', reachable, 'x86_64', runtime);
    expect(why(asRuntime.heldBack)).toContainEqual(['setresuid', 'identity changes']);
    const asWorkload = widen(new Set(['read', 'setuid']), 'reachable', reachable, 'x86_64');
    expect(names(asWorkload.added)).toContain('setresuid');
    const all = widen(new Set(['read', 'write']), 'reachable-all', reachable);
    expect(names(all.added)).toEqual([
      'bind',
      'rename',
      'sched_setscheduler',
      'sethostname',
      'setresuid',
      'setsid',
      'setxattr',
      'unlink',
    ]);
    expect(all.heldBack.map(({ name, heldFor }) => [name, heldFor])).toEqual([['socket', 'dangerous']]);
  });

  it('ignores what is reachable unless asked for reachable', () => {
    const reachable = new Map([['fsync', { function: 'fsync', binary: '/bin/x' }]]);
    expect(widen(new Set(['read']), 'equivalents', reachable).added).toEqual([]);
  });
});

describe('WORK_KINDS', () => {
  it('names only syscalls libseccomp knows, each once, each kind with a reason', () => {
    const all = WORK_KINDS.flatMap((kind) => kind.names);
    expect(all.filter((name) => !knownSyscallName(name))).toEqual([]);
    expect(new Set(all).size).toBe(all.length);
    for (const kind of WORK_KINDS) expect(kind.why.length).toBeGreaterThan(40);
  });

  it('keeps the calls every process may make out of every kind', () => {
    for (const name of [
      'read',
      'write',
      'openat',
      'unlink',
      'rename',
      'fsync',
      'clone',
      'wait4',
      'setitimer',
    ])
      expect(workKindOf(name), name).toBeUndefined();
  });
});
