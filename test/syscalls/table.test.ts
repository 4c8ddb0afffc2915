import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import {
  ABIS,
  abiFromAuditArch,
  abiFromInterpretedArch,
  abiFromScmpArch,
  abiFromStracePersonality,
  abiInfo,
  hostAbi,
} from '../../src/syscalls/abi.js';
import { SYSCALL_TABLE_ROWS } from '../../src/syscalls/table.generated.js';
import { syscallExists, syscallName, syscallNumber } from '../../src/syscalls/table.js';
import { DATA } from '../helpers/cli.js';
import { available, e2eSkipReason } from '../helpers/e2e.js';

describe('generated syscall table', () => {
  it('holds every row and ABI column of libseccomp syscalls.csv', () => {
    const csv = readFileSync(join(DATA, 'libseccomp/syscalls.csv'), 'utf8').trim().split('\n');
    expect(SYSCALL_TABLE_ROWS).toHaveLength(csv.length - 1);
    expect(SYSCALL_TABLE_ROWS).toHaveLength(508);
    const accept4 = csv.find((line) => line.startsWith('accept4,'))?.split(',');
    expect(accept4?.[3]).toBe('288');
    expect(syscallNumber('x86_64', 'accept4')).toBe(288);
  });

  it('applies the offsets the csv leaves out', () => {
    expect(syscallNumber('x32', 'getpid')).toBe(0x40000000 + 39);
    expect(syscallName('x32', 0x40000027)).toBe('getpid');
    expect(syscallNumber('mips', 'read')).toBe(4003);
    expect(syscallNumber('mipsel', 'read')).toBe(4003);
    expect(syscallNumber('mips64', 'read')).toBe(5000);
    expect(syscallNumber('mips64n32', 'read')).toBe(6000);
    expect(syscallNumber('arm', 'set_tls')).toBe(0x0f0005);
    expect(syscallExists('aarch64', 'open')).toBe(false);
    expect(syscallExists('x86_64', 'open')).toBe(true);
    expect(syscallName('x86_64', 0xbad)).toBeUndefined();
  });
});

describe('ABI names in one place', () => {
  it('maps audit arch codes, strace personalities, SCMP_ARCH names and node arches', () => {
    expect(abiFromAuditArch(0xc000003e, 1)).toBe('x86_64');
    expect(abiFromAuditArch(0xc000003e, 0x40000001)).toBe('x32');
    expect(abiFromAuditArch(0x40000003, 224)).toBe('x86');
    expect(abiFromAuditArch(0x40000028, 208)).toBe('arm');
    expect(abiFromAuditArch(0xc00000b7, 63)).toBe('aarch64');
    expect(abiFromAuditArch(0x12345678, 1)).toBeUndefined();
    expect(abiFromInterpretedArch('x86_64')).toBe('x86_64');
    expect(abiFromInterpretedArch('i386')).toBe('x86');
    expect(abiFromInterpretedArch('armeb')).toBe('arm');
    expect(abiFromStracePersonality('32 bit', 'x86_64')).toBe('x86');
    expect(abiFromStracePersonality('x32', 'x86_64')).toBe('x32');
    expect(abiFromStracePersonality('32 bit', 'aarch64')).toBe('arm');
    expect(abiFromStracePersonality('x32', 'aarch64')).toBeUndefined();
    expect(abiFromScmpArch('SCMP_ARCH_X32')).toBe('x32');
    expect(hostAbi('x64')).toBe('x86_64');
    expect(hostAbi('arm64')).toBe('aarch64');
    for (const abi of ABIS) expect(abiFromScmpArch(abiInfo(abi).scmpArch)).toBe(abi);
  });
});

const resolverSkip = await e2eSkipReason('scmp_sys_resolver (Debian package seccomp)', () =>
  available('scmp_sys_resolver', ['-a', 'x86_64', 'read']),
);

describe.skipIf(resolverSkip)(
  `agrees with scmp_sys_resolver${resolverSkip ? ` (skipped: ${resolverSkip})` : ''}`,
  () => {
    // The installed libseccomp may be older than the table: names it does not know (negative answers) are not compared.
    const abis = [
      'x86_64',
      'x86',
      'x32',
      'aarch64',
      'arm',
      'mips',
      'mips64',
      'mips64n32',
      'ppc64le',
      's390x',
      'riscv64',
    ] as const;
    const sample = SYSCALL_TABLE_ROWS.filter((_, index) => index % 7 === 0).map((row) => row[0]);

    it.each(abis)(
      'numbers on %s',
      async (abi) => {
        let compared = 0;
        for (const name of sample) {
          const { stdout } = await execa('scmp_sys_resolver', ['-a', abi, name]);
          const theirs = Number(stdout.trim());
          if (theirs < 0) continue;
          expect(syscallNumber(abi, name), `${abi} ${name}`).toBe(theirs);
          compared++;
        }
        expect(compared).toBeGreaterThan(30);
      },
      60_000,
    );
  },
);
