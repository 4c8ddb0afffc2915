import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseElf, readElf } from '../../parsers/elf.js';
import { loadedFiles } from '../../src/binaries/libraries.js';
import { InputError } from '../../src/errors.js';
import { available, e2eSkipReason } from '../helpers/e2e.js';

/** The real binaries of this machine: /bin/ls, its libc, a static busybox (Debian's busybox-static). */
const hostSkip = await e2eSkipReason(
  'an x86_64 host with /bin/ls and a static /bin/busybox (busybox-static)',
  async () =>
    process.arch === 'x64' &&
    (await available('/bin/ls', ['/'])) &&
    (await available('/bin/busybox', ['true'])),
);

describe.skipIf(hostSkip)(
  `the ELF reader on this machine's binaries${hostSkip ? ` (skipped: ${hostSkip})` : ''}`,
  () => {
    it('reads /bin/ls: a dynamic x86_64 program with a build id, libc among its needs and imports', async () => {
      const ls = await readElf('/bin/ls');
      expect(ls).toMatchObject({
        elfClass: 64,
        endian: 'little',
        machine: 'x86_64',
        staticallyLinked: false,
      });
      expect(ls.buildId).toMatch(/^[0-9a-f]{40}$/);
      expect(ls.needed).toContain('libc.so.6');
      expect(ls.interpreter).toMatch(/ld-linux-x86-64\.so\.2$/);
      expect(ls.soname).toBeUndefined();
      const imports = ls.imports.map((symbol) => symbol.name);
      expect(imports).toEqual(expect.arrayContaining(['opendir', 'readdir', 'closedir', 'fwrite']));
      expect(ls.imports.every((symbol) => symbol.address === 0)).toBe(true);
      expect(ls.executableSegments.length).toBeGreaterThan(0);
    });

    it('reads libc.so.6: its soname and exported functions with addresses and sizes', async () => {
      const { files } = await loadedFiles('/bin/ls');
      const path = files.find((file) => file.endsWith('/libc.so.6')) as string;
      const libc = await readElf(path);
      expect(libc.soname).toBe('libc.so.6');
      expect(libc.staticallyLinked).toBe(false);
      expect(libc.exports.length).toBeGreaterThan(2000);
      const fsync = libc.exports.find((symbol) => symbol.name === 'fsync');
      expect(fsync).toMatchObject({ type: 'func', bind: 'global' });
      expect(fsync?.address).toBeGreaterThan(0);
      expect(fsync?.size).toBeGreaterThan(0);
      // memcpy@@GLIBC_2.14 is an IFUNC: its value is the resolver that picks a variant for this CPU.
      expect(libc.exports.some((symbol) => symbol.name === 'memcpy' && symbol.type === 'ifunc')).toBe(true);
      // Data is exported too, typed as such.
      expect(libc.exports.find((symbol) => symbol.name === 'environ')?.type).toBe('object');
    });

    it('reads a static busybox: no interpreter, no needs, no dynamic symbols', async () => {
      const busybox = await readElf('/bin/busybox');
      expect(busybox).toMatchObject({
        machine: 'x86_64',
        staticallyLinked: true,
        needed: [],
        imports: [],
        exports: [],
      });
      expect(busybox.interpreter).toBeUndefined();
    });
  },
);

describe('the ELF reader on bad input', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sl-elf-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a file that is not ELF, naming it', async () => {
    const path = join(dir, 'script.sh');
    await writeFile(path, '#!/bin/sh\necho hi\n');
    await expect(readElf(path)).rejects.toThrow(`${path}: not an ELF file`);
    await expect(readElf(path)).rejects.toBeInstanceOf(InputError);
  });

  it('refuses an empty file and one cut inside the identification', () => {
    expect(() => parseElf(new Uint8Array(), 'empty')).toThrow('empty: not an ELF file');
    expect(() => parseElf(Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2, 1]), 'short')).toThrow(
      'short: truncated ELF file: the identification is cut short',
    );
  });

  it.skipIf(hostSkip)(
    'refuses a truncated copy of /bin/ls, saying which structure is cut short',
    async () => {
      const path = join(dir, 'ls-cut');
      const bytes = await readFile('/bin/ls');
      await writeFile(path, bytes.subarray(0, 2000));
      await expect(readElf(path)).rejects.toThrow(
        new RegExp(`^${path}: truncated ELF file: .+ is past the end \\(2000 bytes\\)`),
      );
    },
  );

  it('names a file that cannot be read', async () => {
    await expect(readElf(join(dir, 'missing'))).rejects.toThrow(/missing: cannot read: ENOENT/);
  });

  it('knows aarch64 and big-endian 32-bit headers', () => {
    const header = (elfClass: 1 | 2, data: 1 | 2, machine: number) => {
      const size = elfClass === 2 ? 64 : 52;
      const bytes = new Uint8Array(size);
      bytes.set([0x7f, 0x45, 0x4c, 0x46, elfClass, data, 1]);
      const view = new DataView(bytes.buffer);
      view.setUint16(16, 2, data === 1);
      view.setUint16(18, machine, data === 1);
      return bytes;
    };
    expect(parseElf(header(2, 1, 183), 'a64')).toMatchObject({
      machine: 'aarch64',
      elfClass: 64,
      type: 'executable',
    });
    expect(parseElf(header(1, 2, 8), 'mips')).toMatchObject({ machine: 'mips', elfClass: 32, endian: 'big' });
    expect(parseElf(header(2, 1, 9999), 'odd').machine).toBe('machine-9999');
  });
});
