import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CACHE_FORMAT,
  cacheKey,
  defaultCacheDirectory,
  readCached,
  writeCached,
} from '../../src/binaries/cache.js';
import type { CallGraphSummary } from '../../src/binaries/callgraph.js';

const SUMMARY: CallGraphSummary = {
  exports: { fsync: { syscalls: ['fsync'], imports: [], unknownNumber: false } },
  whole: { syscalls: ['fsync'], imports: ['malloc'], unknownNumber: false },
  entered: { syscalls: [], imports: ['free'], unknownNumber: false },
  regions: 2,
  syscallSites: 1,
  unknownSites: [],
  indirectCalls: 0,
};

describe('the call-graph cache', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sl-cache-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lives under $XDG_CACHE_HOME, or ~/.cache when it is unset or relative', () => {
    expect(defaultCacheDirectory({ XDG_CACHE_HOME: '/var/cache/me' })).toBe('/var/cache/me/seccomp-learn');
    expect(defaultCacheDirectory({ XDG_CACHE_HOME: 'relative' })).toBe(
      join(homedir(), '.cache/seccomp-learn'),
    );
    expect(defaultCacheDirectory({})).toBe(join(homedir(), '.cache/seccomp-learn'));
  });

  it('keys a file by its build id, else by the SHA-256 of its bytes', () => {
    expect(cacheKey('93ac61ec', () => new Uint8Array())).toBe('build-id-93ac61ec');
    expect(cacheKey(undefined, () => new TextEncoder().encode('abc'))).toBe(
      'sha256-ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('gives back what it stored, versioned', async () => {
    expect(await writeCached(dir, 'build-id-aa', 'x86_64', SUMMARY)).toBe(true);
    expect(await readCached(dir, 'build-id-aa')).toEqual(SUMMARY);
    const stored = JSON.parse(await readFile(join(dir, 'binaries', 'build-id-aa.json'), 'utf8'));
    expect(stored).toMatchObject({ format: CACHE_FORMAT, key: 'build-id-aa', machine: 'x86_64' });
  });

  it('ignores an entry that is missing, corrupt, of another format or filed under another key', async () => {
    expect(await readCached(dir, 'build-id-none')).toBeUndefined();
    await writeFile(join(dir, 'binaries', 'build-id-bad.json'), '{"format": ');
    expect(await readCached(dir, 'build-id-bad')).toBeUndefined();
    const old = {
      format: 'seccomp-learn/binary-reach@0',
      key: 'build-id-old',
      machine: 'x86_64',
      summary: SUMMARY,
    };
    await writeFile(join(dir, 'binaries', 'build-id-old.json'), JSON.stringify(old));
    expect(await readCached(dir, 'build-id-old')).toBeUndefined();
    const moved = { format: CACHE_FORMAT, key: 'build-id-aa', machine: 'x86_64', summary: SUMMARY };
    await writeFile(join(dir, 'binaries', 'build-id-cc.json'), JSON.stringify(moved));
    expect(await readCached(dir, 'build-id-cc')).toBeUndefined();
  });

  it('reports a cache it cannot write instead of failing the analysis', async () => {
    const blocked = join(dir, 'blocked');
    await mkdir(blocked);
    await writeFile(join(blocked, 'binaries'), 'a file where the directory should be');
    expect(await writeCached(blocked, 'build-id-aa', 'x86_64', SUMMARY)).toBe(false);
  });
});
