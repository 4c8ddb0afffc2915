import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadedFiles } from '../../src/binaries/libraries.js';
import { type AnalysedBinary, type Reachability, reachableSyscalls } from '../../src/binaries/reachable.js';
import { describeWitness, type Witness } from '../../src/binaries/witness.js';
import { ROOT } from '../helpers/cli.js';
import { available, e2eSkipReason } from '../helpers/e2e.js';

/**
 * A library other than the C runtime read per export: a program that uses one function of
 * libsystemd (test/fixtures/reach/notify.c) gets what that function, libsystemd's constructors and
 * its address-taken functions reach, not all of libsystemd; and what it made under strace is in it.
 */
const LIBSYSTEMD = '/lib/x86_64-linux-gnu/libsystemd.so.0';
const skip = await e2eSkipReason(
  `an x86_64 host with gcc, objdump (binutils), strace and ${LIBSYSTEMD} (libsystemd0)`,
  async () =>
    process.arch === 'x64' &&
    (await available('gcc', ['--version'])) &&
    (await available('objdump', ['--version'])) &&
    (await available('strace', ['-V'])) &&
    (await available('test', ['-f', LIBSYSTEMD])),
);

function x86(reach: Reachability): ReadonlyMap<string, Witness> {
  return reach.syscalls.get('x86_64') ?? new Map();
}

describe.skipIf(skip)(`libsystemd read per export${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let dir: string;
  let program: string;
  let perExport: Reachability;
  let whole: Reachability;
  let systemd: AnalysedBinary;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sl-libraries-'));
    program = join(dir, 'notify');
    await execa('gcc', ['-O1', '-o', program, join(ROOT, 'test/fixtures/reach/notify.c'), LIBSYSTEMD]);
    const { files } = await loadedFiles(program);
    const cacheDirectory = join(dir, 'cache');
    perExport = await reachableSyscalls(files, { cacheDirectory });
    whole = await reachableSyscalls(files, { cacheDirectory, wholeLibraries: true });
    systemd = perExport.binaries.find((binary) => binary.elf.soname === 'libsystemd.so.0') as AnalysedBinary;
  }, 120_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reads libsystemd per export, with constructors and address-taken functions of its own', () => {
    expect(systemd.library).toBe(true);
    expect(systemd.runtime).toBe(false);
    expect(systemd.elf.initializers.length).toBeGreaterThan(0);
    expect(systemd.summary.exports.sd_notify).toBeDefined();
    // What runs once it is entered: imports its constructors and callbacks call (free, sendmsg, …).
    expect(systemd.summary.entered.imports.length).toBeGreaterThan(10);
    expect(systemd.summary.entered.imports.length).toBeLessThan(systemd.summary.whole.imports.length);
  });

  it('gives fewer names than libsystemd taken whole, all of them among those', () => {
    const narrow = [...x86(perExport).keys()];
    const wide = new Set(x86(whole).keys());
    expect(narrow.filter((name) => !wide.has(name))).toEqual([]);
    expect(narrow.length).toBeLessThan(wide.size);
  });

  it('still reaches what the libraries’ constructors and address-taken functions call', () => {
    // libcap (which libsystemd needs) has a constructor, _libcap_initialize, that reads the
    // capability bounding set with prctl: nothing the program imports reaches it otherwise.
    const libcap = perExport.binaries.find((binary) => binary.elf.soname === 'libcap.so.2');
    expect(libcap?.library).toBe(true);
    // DT_INIT, DT_FINI, the init array's two entries (one is _libcap_initialize) and the fini array's.
    expect(libcap?.elf.initializers.length).toBeGreaterThanOrEqual(4);
    // What `entered` leads to, followed by hand through every library's exports.
    const libraries = perExport.binaries.filter((binary) => binary.library || binary.runtime);
    const expected = new Set<string>();
    const seen = new Set<string>();
    const pending: string[] = [];
    for (const binary of libraries.filter((library) => library.library)) {
      for (const call of binary.summary.entered.syscalls) expected.add(call);
      pending.push(...binary.summary.entered.imports);
    }
    while (pending.length > 0) {
      const name = pending.pop() as string;
      if (seen.has(name)) continue;
      seen.add(name);
      for (const binary of libraries) {
        const reach = binary.summary.exports[name];
        if (reach === undefined) continue;
        for (const call of reach.syscalls) expected.add(call);
        pending.push(...reach.imports);
      }
    }
    expect(expected).toContain('prctl');
    expect(expected.size).toBeGreaterThan(10);
    expect([...expected].filter((name) => !x86(perExport).has(name))).toEqual([]);
  });

  it('covers every call sd_notify made under strace, and names it as the way in', async () => {
    const trace = join(dir, 'notify.strace');
    await execa('strace', ['-f', '-qq', '-o', trace, program], {
      env: { NOTIFY_SOCKET: join(dir, 'no-such-socket') },
    });
    const calls = new Set(
      (await readFile(trace, 'utf8'))
        .split('\n')
        .flatMap((line) => /^\d+\s+([a-z0-9_]+)\(/.exec(line)?.[1] ?? [])
        .filter((call) => call !== 'execve'),
    );
    expect(calls).toContain('sendmsg');
    expect([...calls].filter((call) => !x86(perExport).has(call))).toEqual([]);
    expect(describeWitness(x86(perExport).get('sendmsg') as Witness)).toMatch(/^through \w+ of /);
  });
});
