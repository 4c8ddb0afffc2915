import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emitSystemd, systemdWarnings } from '../../src/emit/systemd.js';
import { FormatError, InputError } from '../../src/errors.js';
import type { SeccompProfile } from '../../src/profile/model.js';
import { readSystemdPolicy } from '../../src/profile/read-systemd.js';
import { systemdGroupMembers, systemdResolves } from '../../src/profile/systemd-filter.js';
import { syscallExists } from '../../src/syscalls/table.js';
import { ROOT } from '../helpers/cli.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'formats');

/** What a profile allows, refuses with its own errno and kills, on x86_64: what both sides are compared by. */
function outcomes(profile: SeccompProfile): Record<string, string> {
  const result: Record<string, string> = {};
  for (const rule of profile.syscalls ?? []) {
    for (const name of rule.names) {
      if (syscallExists('x86_64', name)) result[name] = `${rule.action}${rule.errnoRet ?? ''}`;
    }
  }
  return result;
}

const x86_64 = (names: Iterable<string>) => [...names].filter((name) => syscallExists('x86_64', name));

// The profile filters x86_64 and x86: a whole group is every member either of them has.
const basicIo = [...(systemdGroupMembers('@basic-io') ?? [])].filter(
  (name) => syscallExists('x86_64', name) || syscallExists('x86', name),
);
// systemd ignores what its libseccomp cannot name (uretprobe): it is in @default, yet never allowed.
const defaults = x86_64(systemdGroupMembers('@default') ?? []).filter(systemdResolves);

const profile: SeccompProfile = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 1,
  architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
  syscalls: [
    // All of @basic-io, part of @default (execve, exit_group, brk), and a call of no group.
    { names: [...basicIo, 'execve', 'exit_group', 'brk', 'openat', 'socket'], action: 'SCMP_ACT_ALLOW' },
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
  ],
};

describe('generate --format systemd', () => {
  const unit = emitSystemd(profile, { name: 'test' });

  it('writes a whole group only where every member is allowed, and takes back what @default adds', () => {
    const filters = unit.split('\n').filter((line) => line.startsWith('SystemCallFilter='));
    const allowed = filters.filter((line) => !line.startsWith('SystemCallFilter=~')).join(' ');
    expect(allowed).toContain('@basic-io');
    // openat is in @file-system, which the profile does not allow whole.
    expect(allowed).not.toContain('@file-system');
    expect(allowed).toMatch(/\bopenat\b/);
    const takenBack = filters.filter((line) => line.startsWith('SystemCallFilter=~')).join(' ');
    expect(takenBack).toMatch(/\bgetpid\b/);
    expect(takenBack).not.toMatch(/\bexecve\b/);
    expect(takenBack).toContain('clone3:ENOSYS');
    expect(unit).toContain('SystemCallErrorNumber=EPERM\n');
    expect(unit).toContain('SystemCallArchitectures=x86-64 x86\n');
    expect(unit).toContain('[Service]\n');
  });

  it('reads back as exactly the profile: same calls allowed, same errno for clone3', () => {
    const back = readSystemdPolicy(unit, 'test.conf');
    expect(back.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(back.defaultErrnoRet).toBe(1);
    expect(back.architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86']);
    expect(outcomes(back)).toEqual(outcomes(profile));
  });

  it('refuses argument rules in one line, and writes names only with --args none', () => {
    const withArgs: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [
        { names: ['read'], action: 'SCMP_ACT_ALLOW' },
        { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1n, op: 'SCMP_CMP_EQ' }] },
      ],
    };
    expect(() => emitSystemd(withArgs, { name: 'x' })).toThrow(FormatError);
    expect(() => emitSystemd(withArgs, { name: 'x' })).toThrow(/argument rules \(socket\).*--args none/);
    const namesOnly = emitSystemd(withArgs, { name: 'x', args: 'none' });
    expect(namesOnly).toMatch(/^SystemCallFilter=.*\bsocket\b/m);
    expect(systemdWarnings(withArgs, { args: 'none' })).toContain(
      '--args none: socket allowed by name for every argument',
    );
  });

  it('writes a deny list for a profile that allows by default, and no errno when it kills', () => {
    const removeSet: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        { names: ['mount', 'ptrace'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
        { names: ['reboot'], action: 'SCMP_ACT_KILL_PROCESS' },
      ],
    };
    const text = emitSystemd(removeSet, { name: 'x' });
    expect(text).toContain('SystemCallFilter=~mount:EPERM ptrace:EPERM reboot\n');
    expect(text).not.toContain('SystemCallErrorNumber');
    expect(outcomes(readSystemdPolicy(text, 'x.conf'))).toEqual(outcomes(removeSet));
    const kill = emitSystemd({ ...profile, defaultAction: 'SCMP_ACT_KILL_PROCESS' }, { name: 'x' });
    expect(kill).not.toContain('SystemCallErrorNumber');
    expect(readSystemdPolicy(kill, 'x').defaultAction).toBe('SCMP_ACT_KILL_PROCESS');
  });

  it('refuses what systemd has no setting for', () => {
    expect(() => emitSystemd({ ...profile, defaultAction: 'SCMP_ACT_TRAP' }, { name: 'x' })).toThrow(
      /no SCMP_ACT_TRAP default action/,
    );
    expect(() => emitSystemd({ defaultAction: 'SCMP_ACT_LOG' }, { name: 'x' })).toThrow(/SystemCallLog=/);
    expect(() => emitSystemd({ ...profile, architectures: ['SCMP_ARCH_M68K'] }, { name: 'x' })).toThrow(
      /systemd has no name for SCMP_ARCH_M68K/,
    );
  });
});

describe('reading a systemd unit', () => {
  it('follows systemd: the first assignment decides the list, @default joins an allow list, ~ takes back', () => {
    const file = join(FIXTURES, 'systemd-unit.service');
    const read = readSystemdPolicy(readFileSync(file, 'utf8'), file);
    const allowed = new Set(read.syscalls?.find((rule) => rule.action === 'SCMP_ACT_ALLOW')?.names);
    for (const name of [
      ...x86_64(basicIo),
      ...defaults.filter((name) => name !== 'getpgid' && name !== 'getsid'),
    ]) {
      expect(allowed.has(name), name).toBe(true);
    }
    expect(allowed.has('getpgid')).toBe(false);
    expect(allowed.has('uretprobe')).toBe(false);
    expect(allowed.has('mmap')).toBe(true);
    expect(allowed.has('socket')).toBe(false);
    expect(read.syscalls).toContainEqual({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
    expect(read.defaultErrnoRet).toBe(1);
    expect(read.architectures).toEqual(['SCMP_ARCH_NATIVE']);
  });

  it('resets on an empty assignment, and a deny list first makes allow lines take calls back', () => {
    const read = readSystemdPolicy(
      'SystemCallFilter=read\nSystemCallFilter=\nSystemCallFilter=~mount umount2:EACCES\nSystemCallFilter=umount2\n',
      'drop-in.conf',
    );
    expect(read).toEqual({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['mount'], action: 'SCMP_ACT_KILL_PROCESS' }],
    });
  });

  it('names the file, line and problem of what it cannot read', () => {
    const bad = (text: string) => () => readSystemdPolicy(text, 'unit.conf');
    expect(bad('[Service]\nSystemCallFilter=@nope\n')).toThrow(InputError);
    expect(bad('[Service]\nSystemCallFilter=@nope\n')).toThrow(
      'unit.conf:2: systemd 252 has no syscall group @nope',
    );
    expect(bad('SystemCallFilter=read frobnicate\n')).toThrow(
      'unit.conf:1: unknown system call "frobnicate"',
    );
    expect(bad('SystemCallFilter=~read:EWHAT\n')).toThrow('unit.conf:1: unknown errno "EWHAT"');
    expect(bad('SystemCallArchitectures=vax\n')).toThrow(
      'unit.conf:1: SystemCallArchitectures=: systemd has no architecture "vax"',
    );
    expect(bad('[Service]\nExecStart=/bin/true\n')).toThrow('unit.conf: no SystemCallFilter=');
  });
});
