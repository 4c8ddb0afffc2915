import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnalysedBinary, analyseBinary, reachableSyscalls } from '../../src/binaries/reachable.js';
import { available, e2eSkipReason } from '../helpers/e2e.js';

/**
 * glibc for aarch64 (Debian's `libc6-arm64-cross`), read with the cross objdump
 * (`binutils-aarch64-linux-gnu`) on any host: `svc #0x0` with the number in x8, named from the
 * aarch64 table.
 */
const LIBC = '/usr/aarch64-linux-gnu/lib/libc.so.6';
const LOADER = '/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1';

const skip = await e2eSkipReason(
  `${LIBC} (package libc6-arm64-cross) and an objdump for aarch64 (binutils-aarch64-linux-gnu)`,
  async () =>
    (await available('test', ['-f', LIBC])) &&
    ((await available('aarch64-linux-gnu-objdump', ['--version'])) ||
      (await available('objdump-multiarch', ['--version'])) ||
      (process.arch === 'arm64' && (await available('objdump', ['--version'])))),
);

describe.skipIf(skip)(`aarch64 glibc's call graph${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let dir: string;
  let libc: AnalysedBinary;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sl-a64-'));
    libc = await analyseBinary(LIBC, { cacheDirectory: join(dir, 'cache') });
  }, 60_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('names what each wrapper reaches from the aarch64 table', () => {
    expect(libc.elf.machine).toBe('aarch64');
    expect(libc.runtime).toBe(true);
    const reach = (name: string) => libc.summary.exports[name]?.syscalls ?? [];
    expect(reach('fsync')).toContain('fsync');
    expect(reach('sleep')).toContain('clock_nanosleep');
    expect(reach('sigsuspend')).toContain('rt_sigsuspend');
    expect(reach('getpid')).toEqual(['getpid']);
    // aarch64 has no open, stat or fork: only their *at and clone forms.
    expect(reach('open')).toContain('openat');
    expect(reach('open')).not.toContain('open');
    expect(libc.summary.unknownSites.length).toBeLessThan(libc.summary.syscallSites / 20);
    expect(libc.summary.exports.syscall?.unknownNumber).toBe(true);
  });

  it('answers per ABI: aarch64 names for aarch64 files', async () => {
    const reach = await reachableSyscalls([LIBC, LOADER], { cacheDirectory: join(dir, 'cache') });
    expect([...reach.syscalls.keys()]).toEqual(['aarch64']);
    const names = reach.syscalls.get('aarch64') ?? new Map();
    expect(names.get('fsync')).toEqual({ function: 'fsync', binary: LIBC });
    expect(names.has('open')).toBe(false);
  });

  it('reads it again from the cache, keyed by build id', async () => {
    const again = await analyseBinary(LIBC, { cacheDirectory: join(dir, 'cache') });
    expect(again.fromCache).toBe(true);
    expect(again.summary).toEqual(libc.summary);
    expect(await readdir(join(dir, 'cache', 'binaries'))).toContain(`build-id-${libc.elf.buildId}.json`);
  });
});
