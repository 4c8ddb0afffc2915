import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
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

const LIBZ = '/lib/x86_64-linux-gnu/libz.so.1';
const LIBCRYPTO = '/lib/x86_64-linux-gnu/libcrypto.so.3';
const relocationSkip = await e2eSkipReason(
  `${LIBZ} and ${LIBCRYPTO} (zlib1g, libssl3), and readelf (binutils)`,
  async () =>
    (await available('readelf', ['-v'])) &&
    (await available('test', ['-f', LIBZ])) &&
    (await available('test', ['-f', LIBCRYPTO])),
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

    it.skipIf(relocationSkip)(
      'reads libz’s dynamic relocations: every code address stored in data, as readelf decodes them',
      async () => {
        const libz = await readElf(LIBZ);
        const inCode = (address: number) =>
          libz.executableSegments.some(
            (segment) => address >= segment.address && address < segment.address + segment.size,
          );
        // readelf -r, an independent decoder: the RELATIVE addends that are code addresses.
        const listed = (await execa('readelf', ['-rW', LIBZ])).stdout.split('\n').flatMap((line) => {
          const match = /^[0-9a-f]+\s+[0-9a-f]+\s+R_X86_64_RELATIVE\s+([0-9a-f]+)$/.exec(line.trim());
          return match ? [Number.parseInt(match[1] as string, 16)] : [];
        });
        expect(listed.length).toBeGreaterThan(10);
        const code = [...new Set(listed.filter(inCode))].sort((a, b) => a - b);
        // deflate's configuration_table: deflate_stored, deflate_fast and deflate_slow, and the
        // constructor and destructor that the init and fini arrays hold.
        expect(code.length).toBeGreaterThanOrEqual(5);
        expect(libz.addressTaken).toEqual(code);
        // DT_INIT and DT_FINI, and the init and fini arrays' entries, from `readelf -d`.
        const dynamic = (await execa('readelf', ['-dW', LIBZ])).stdout;
        const tag = (name: string) =>
          Number.parseInt(new RegExp(`\\(${name}\\)\\s+0x([0-9a-f]+)`).exec(dynamic)?.[1] ?? 'NaN', 16);
        expect(libz.initializers).toEqual(expect.arrayContaining([tag('INIT'), tag('FINI')]));
        expect(libz.initializers.length).toBeGreaterThanOrEqual(4);
        expect(libz.initializers.every(inCode)).toBe(true);
        expect(libz.functionsTaken).not.toContain('adler32');
        // zlib's PLT calls are not taken addresses: a JUMP_SLOT is a direct call.
        expect(libz.gotEntries.map((entry) => entry.name)).toContain('__cxa_finalize');
      },
    );

    it.skipIf(relocationSkip)(
      'finds libcrypto’s ASN.1 template callbacks stored in data by absolute relocations',
      async () => {
        const crypto = await readElf(LIBCRYPTO);
        const template = crypto.exports.find((symbol) => symbol.name === 'ACCESS_DESCRIPTION_it');
        expect(template?.type).toBe('func');
        expect(crypto.functionsTaken).toContain('ACCESS_DESCRIPTION_it');
        expect(crypto.addressTaken).toContain(template?.address);
        // An exported function never stored in data is not among them.
        const notStored = crypto.exports.find((symbol) => symbol.name === 'EVP_MD_CTX_new');
        expect(crypto.addressTaken).not.toContain(notStored?.address);
        expect(crypto.addressTaken.length).toBeGreaterThan(1000);
      },
    );

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
