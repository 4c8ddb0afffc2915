import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadedFiles } from '../../src/binaries/libraries.js';
import {
  type AnalysedBinary,
  analyseBinary,
  type Reachability,
  reachableSyscalls,
} from '../../src/binaries/reachable.js';
import { describeWitness, type Witness } from '../../src/binaries/witness.js';
import { ROOT } from '../helpers/cli.js';
import { available, e2eSkipReason } from '../helpers/e2e.js';

/**
 * The call graph of this machine's libc, checked against what the kernel saw: a small C program
 * (test/fixtures/reach/calls.c) calls one libc function between two marker writes, strace records
 * it, and every syscall between the markers must be among those the graph says that function can
 * reach. The same for the whole run against reachableSyscalls over the program and its libraries.
 */
const skip = await e2eSkipReason(
  'an x86_64 host with gcc, objdump (binutils) and strace',
  async () =>
    process.arch === 'x64' &&
    (await available('gcc', ['--version'])) &&
    (await available('objdump', ['--version'])) &&
    (await available('strace', ['-V'])),
);

const busyboxSkip =
  skip ??
  (await e2eSkipReason('a static /bin/busybox (busybox-static)', () => available('/bin/busybox', ['true'])));

/** The distribution's python3, not a shim on PATH (pyenv's is a shell script). */
const PYTHON = '/usr/bin/python3';
const pythonSkip = skip ?? (await e2eSkipReason('/usr/bin/python3', () => available(PYTHON, ['-c', 'pass'])));

/** What the files reach on x86_64, the ABI of everything this suite reads. */
function x86(reach: Reachability): ReadonlyMap<string, Witness> {
  expect([...reach.syscalls.keys()]).toEqual(['x86_64']);
  return reach.syscalls.get('x86_64') ?? new Map();
}

const FUNCTIONS = ['fsync', 'realloc', 'sleep', 'sigsuspend'] as const;

/** Syscall names in a `strace -f -o` trace (`PID  name(args) = …`), in order, with their line. */
function traced(text: string): string[] {
  return text.split('\n').flatMap((line) => {
    const match = /^\d+\s+([a-z0-9_]+)\(/.exec(line);
    return match
      ? [line.includes('"BEGIN"') ? 'BEGIN' : line.includes('"END"') ? 'END' : (match[1] as string)]
      : [];
  });
}

describe.skipIf(skip)(`libc's call graph against strace${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let dir: string;
  let program: string;
  let files: string[];
  let libc: AnalysedBinary;
  let whole: Reachability;
  const seen = new Map<string, { between: string[]; all: string[] }>();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sl-reach-'));
    program = join(dir, 'calls');
    await execa('gcc', ['-O1', '-o', program, join(ROOT, 'test/fixtures/reach/calls.c')]);
    ({ files } = await loadedFiles(program));
    const cacheDirectory = join(dir, 'cache');
    whole = await reachableSyscalls(files, { cacheDirectory });
    libc = whole.binaries.find((binary) => binary.elf.soname === 'libc.so.6') as AnalysedBinary;
    for (const name of FUNCTIONS) {
      const trace = join(dir, `${name}.strace`);
      await execa('strace', ['-f', '-qq', '-o', trace, program, name]);
      const all = traced(await readFile(trace, 'utf8'));
      seen.set(name, { between: all.slice(all.indexOf('BEGIN') + 1, all.indexOf('END')), all });
    }
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('finds the one syscall each wrapper makes, and what realloc can do to memory', () => {
    const reach = (name: string) => libc.summary.exports[name]?.syscalls ?? [];
    expect(reach('fsync')).toContain('fsync');
    expect(reach('realloc')).toEqual(expect.arrayContaining(['mremap', 'mmap', 'brk', 'munmap']));
    expect(reach('sleep')).toContain('clock_nanosleep');
    expect(reach('sigsuspend')).toContain('rt_sigsuspend');
    expect(reach('getpid')).toEqual(['getpid']);
  });

  it.each(FUNCTIONS)('covers what strace saw %s make', (name) => {
    const { between } = seen.get(name) as { between: string[] };
    expect(between.length).toBeGreaterThan(0);
    const reach = new Set(libc.summary.exports[name]?.syscalls);
    expect(between.filter((call) => !reach.has(call))).toEqual([]);
  });

  it('covers every call of the whole run through the program and its libraries', () => {
    // execve is strace starting the program: made before any of its code runs.
    const calls = new Set(
      [...seen.values()]
        .flatMap(({ all }) => all)
        .filter((call) => !['BEGIN', 'END', 'execve'].includes(call)),
    );
    expect(calls.size).toBeGreaterThan(20);
    expect([...calls].filter((call) => !x86(whole).has(call))).toEqual([]);
    expect(describeWitness(x86(whole).get('fsync') as Witness)).toBe(`through fsync of ${program}`);
    expect(describeWitness(x86(whole).get('mremap') as Witness)).toMatch(
      /^through (realloc|malloc|free|\w+) of /,
    );
    expect(whole.unresolved).toEqual([]);
  });

  it('has few syscall sites whose number it cannot tell, and names the functions that reach them', () => {
    const exports = Object.entries(libc.summary.exports);
    expect(exports.length).toBeGreaterThan(2000);
    expect(libc.summary.unknownSites.length).toBeLessThan(libc.summary.syscallSites / 20);
    const unknown = exports.filter(([, reach]) => reach.unknownNumber).map(([name]) => name);
    expect(unknown).toContain('syscall');
    expect(unknown.length).toBeLessThan(exports.length / 10);
  });

  it('reads the second run from the cache, keyed by build id, with the same answer', async () => {
    const cacheDirectory = join(dir, 'cache');
    const again = await reachableSyscalls(files, { cacheDirectory });
    expect(again.binaries.every((binary) => binary.fromCache)).toBe(true);
    expect([...x86(again)]).toEqual([...x86(whole)]);
    const entries = await readdir(join(cacheDirectory, 'binaries'));
    expect(entries).toContain(`build-id-${libc.elf.buildId}.json`);
  });

  it('takes libc’s own exports as entry points when libc is the program', async () => {
    const alone = await reachableSyscalls([libc.path], { cacheDirectory: join(dir, 'cache') });
    expect(x86(alone).get('fsync')).toEqual({ function: 'fsync', binary: libc.path });
    expect(x86(alone).size).toBeGreaterThan(x86(whole).size);
  });

  it.skipIf(busyboxSkip)('takes a static binary whole: every syscall instruction in it', async () => {
    const busybox = await analyseBinary('/bin/busybox', { cacheDirectory: join(dir, 'cache') });
    expect(busybox.elf.staticallyLinked).toBe(true);
    const reach = await reachableSyscalls(['/bin/busybox'], { cacheDirectory: join(dir, 'cache') });
    expect(x86(reach).get('fsync')).toEqual({ binary: '/bin/busybox' });
    expect(x86(reach).size).toBeGreaterThan(100);
  });

  it.skipIf(pythonSkip)(
    'covers every call of a python3 run, given the extension modules it loaded',
    async () => {
      const trace = join(dir, 'python.strace');
      const python = (await execa('sh', ['-c', 'command -v python3'])).stdout.trim();
      await execa('strace', [
        '-f',
        '-qq',
        '-o',
        trace,
        python,
        join(ROOT, 'test/fixtures/reach/workload.py'),
      ]);
      const text = await readFile(trace, 'utf8');
      // The modules python3 mapped: the shared objects it opened (/proc/PID/maps would say the same).
      const modules = [
        ...text.matchAll(/openat\(AT_FDCWD, "([^"]+\.so(?:\.\d+)*)", O_RDONLY\|O_CLOEXEC\) = \d+/g),
      ].map((match) => match[1] as string);
      // Only python3's own processes: the child `true` is another program with its own binaries.
      const calls = new Set(
        traced(text.slice(0, text.search(/execve\("[^"]*\/true"/))).filter((call) => call !== 'execve'),
      );
      const reach = await reachableSyscalls([...(await loadedFiles(PYTHON)).files, ...modules], {
        cacheDirectory: join(dir, 'cache'),
      });
      expect(modules.length).toBeGreaterThan(3);
      expect(calls.size).toBeGreaterThan(40);
      expect([...calls].filter((call) => !x86(reach).has(call))).toEqual([]);
    },
    120_000,
  );
});
