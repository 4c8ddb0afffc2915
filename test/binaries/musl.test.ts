import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadedFiles } from '../../src/binaries/libraries.js';
import { type AnalysedBinary, analyseBinary, reachableSyscalls } from '../../src/binaries/reachable.js';
import { ROOT } from '../helpers/cli.js';
import { available, e2eSkipReason } from '../helpers/e2e.js';

/**
 * musl's libc.so (Debian's `musl` package): no DT_SONAME, the dynamic linker too, and most syscalls
 * made through `__syscall_cp(nr, …)`, whose number is found at its callers.
 */
const MUSL = '/usr/lib/x86_64-linux-musl/libc.so';

const skip = await e2eSkipReason(
  `an x86_64 host with musl's ${MUSL} (package musl) and objdump (binutils)`,
  async () =>
    process.arch === 'x64' &&
    (await available('objdump', ['--version'])) &&
    (await available('test', ['-f', MUSL])),
);

const programSkip =
  skip ??
  (await e2eSkipReason('musl-gcc (package musl-tools) and strace', async () => {
    return (await available('musl-gcc', ['--version'])) && (await available('strace', ['-V']));
  }));

/** Syscall names in a `strace -f -o` trace, with the marker writes of calls.c as BEGIN and END. */
function traced(text: string): string[] {
  return text.split('\n').flatMap((line) => {
    const match = /^\d+\s+([a-z0-9_]+)\(/.exec(line);
    return match
      ? [line.includes('"BEGIN"') ? 'BEGIN' : line.includes('"END"') ? 'END' : (match[1] as string)]
      : [];
  });
}

describe.skipIf(skip)(`musl's call graph${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let dir: string;
  let musl: AnalysedBinary;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sl-musl-'));
    musl = await analyseBinary(MUSL, { cacheDirectory: join(dir, 'cache') });
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('takes musl libc.so, which has no soname, as the C runtime, per export', () => {
    expect(musl.elf.soname).toBeUndefined();
    expect(musl.runtime).toBe(true);
    expect(Object.keys(musl.summary.exports).length).toBeGreaterThan(1500);
  });

  it('finds the numbers passed to __syscall_cp and those of inline syscalls', () => {
    const reach = (name: string) => musl.summary.exports[name]?.syscalls ?? [];
    expect(reach('fsync')).toContain('fsync');
    expect(reach('read')).toContain('read');
    expect(reach('write')).toContain('write');
    // musl 1.2.3: nanosleep is clock_nanosleep(CLOCK_REALTIME); x86_64 builds keep the nanosleep path.
    expect(reach('nanosleep')).toEqual(expect.arrayContaining(['nanosleep', 'clock_nanosleep']));
    expect(reach('sleep')).toEqual(expect.arrayContaining(['nanosleep', 'clock_nanosleep']));
    expect(reach('realloc')).toEqual(expect.arrayContaining(['mremap', 'mmap', 'brk', 'munmap']));
    expect(reach('getpid')).toEqual(['getpid']);
  });

  it('leaves few sites unknown, and syscall(2) is one of the functions that reach them', () => {
    expect(musl.summary.syscallSites).toBeGreaterThan(400);
    expect(musl.summary.unknownSites.length).toBeLessThan(musl.summary.syscallSites / 20);
    expect(musl.summary.exports.syscall?.unknownNumber).toBe(true);
    expect(musl.summary.exports.getpid?.unknownNumber).toBe(false);
  });

  it('reads the second analysis from the cache, keyed by build id', async () => {
    const again = await analyseBinary(MUSL, { cacheDirectory: join(dir, 'cache') });
    expect(again.fromCache).toBe(true);
    expect(again.summary).toEqual(musl.summary);
  });

  it.skipIf(programSkip)(
    `covers what strace saw a musl-gcc program make${programSkip ? ` (skipped: ${programSkip})` : ''}`,
    async () => {
      const program = join(dir, 'calls');
      await execa('musl-gcc', ['-O1', '-o', program, join(ROOT, 'test/fixtures/reach/calls.c')]);
      const { files, missing } = await loadedFiles(program);
      expect(missing).toEqual([]);
      const reach = await reachableSyscalls(files, { cacheDirectory: join(dir, 'cache') });
      expect([...reach.syscalls.keys()]).toEqual(['x86_64']);
      const reachable = reach.syscalls.get('x86_64') ?? new Map();
      expect(reach.unresolved).toEqual([]);
      for (const name of ['fsync', 'sleep']) {
        const trace = join(dir, `${name}.strace`);
        await execa('strace', ['-f', '-qq', '-o', trace, program, name]);
        const all = traced(await readFile(trace, 'utf8'));
        const between = all.slice(all.indexOf('BEGIN') + 1, all.indexOf('END'));
        expect(between.length).toBeGreaterThan(0);
        const own = new Set(musl.summary.exports[name]?.syscalls);
        expect(between.filter((call) => !own.has(call))).toEqual([]);
        // execve is strace starting the program, before any of its code runs.
        const calls = all.filter((call) => !['BEGIN', 'END', 'execve'].includes(call));
        expect(calls.filter((call) => !reachable.has(call))).toEqual([]);
      }
      expect(reachable.get('fsync')).toEqual({ function: 'fsync', binary: program });
    },
    60_000,
  );
});
