import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emitAppc } from '../../src/emit/appc.js';
import { FormatError, InputError } from '../../src/errors.js';
import { rktWildcards } from '../../src/profile/appc-wildcards.js';
import type { SeccompProfile } from '../../src/profile/model.js';
import { readAppcPolicy } from '../../src/profile/read-appc.js';
import { ROOT } from '../helpers/cli.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'formats');
const read = (name: string) => readAppcPolicy(readFileSync(join(FIXTURES, name), 'utf8'), name);
const dockerWhitelist = [...(rktWildcards().get('@docker/default-whitelist') ?? [])];

describe('reading appc isolators: the appc spec and the rkt guide examples', () => {
  it('reads the spec examples: a remove-set with ENOTSUP, a retain-set killing (empty errno)', () => {
    expect(read('appc-spec-remove-set.json')).toEqual({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        { names: ['clock_adjtime', 'clock_settime', 'reboot'], action: 'SCMP_ACT_ERRNO', errnoRet: 95 },
      ],
    });
    expect(read('appc-spec-retain-set.json')).toEqual({
      defaultAction: 'SCMP_ACT_KILL_PROCESS',
      syscalls: [
        { names: ['accept', 'bind', 'listen', 'read', 'socket', 'write'], action: 'SCMP_ACT_ALLOW' },
      ],
    });
  });

  it("expands rkt's wildcards as rkt's source defines them", () => {
    const retain = read('rkt-guide-retain-set.json');
    expect(retain.syscalls?.[0]?.names).toEqual(
      [...new Set([...dockerWhitelist, 'umount', 'umount2'])].sort(),
    );
    const patched = read('rkt-guide-retain-set-patched.json');
    expect(patched.defaultErrnoRet).toBe(38);
    expect(patched.syscalls?.[0]?.names).toHaveLength(309);
    const remove = read('rkt-guide-remove-set.json');
    expect(remove.defaultAction).toBe('SCMP_ACT_ALLOW');
    expect(remove.syscalls?.[0]?.names).toContain('socket');
    expect(remove.syscalls?.[0]?.names).toContain('mount');
    expect(remove.syscalls?.[0]?.action).toBe('SCMP_ACT_KILL_PROCESS');
  });

  it('names the file, line and problem of an invalid isolator', () => {
    const bad = (value: unknown) => () =>
      readAppcPolicy(JSON.stringify({ name: 'os/linux/seccomp-retain-set', value }, null, 1), 'i.json');
    expect(bad({ set: [] })).toThrow(InputError);
    expect(bad({ set: [] })).toThrow('"set" must be a non-empty list');
    expect(bad({ set: ['read'], errno: 'eperm' })).toThrow(/i\.json:\d+: .*upper-case errno name/);
    expect(bad({ set: ['read', '@nope/x'] })).toThrow(/i\.json:\d+: unknown wildcard @nope\/x/);
    expect(bad({ set: ['frobnicate'] })).toThrow('unknown system call "frobnicate"');
    expect(() => readAppcPolicy('{"isolators": []}', 'none.json')).toThrow(
      'none.json:1: no appc seccomp isolator',
    );
  });
});

describe('generate --format appc', () => {
  it('writes a retain-set with its errno, and uses a wildcard only where the profile allows all of it', () => {
    const profile: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [{ names: [...dockerWhitelist, 'umount2'], action: 'SCMP_ACT_ALLOW' }],
    };
    const isolator = JSON.parse(emitAppc(profile, {}));
    expect(isolator.name).toBe('os/linux/seccomp-retain-set');
    expect(isolator.value.errno).toBe('EPERM');
    expect(isolator.value.set).toEqual(expect.arrayContaining(['@docker/default-whitelist', 'umount2']));
    const fewer = JSON.parse(
      emitAppc({ ...profile, syscalls: [{ names: dockerWhitelist.slice(1), action: 'SCMP_ACT_ALLOW' }] }, {}),
    );
    expect(fewer.value.set.some((entry: string) => entry.startsWith('@'))).toBe(false);
    // Read back, the same calls are allowed.
    const back = readAppcPolicy(emitAppc(profile, {}), 'back.json');
    expect(new Set(back.syscalls?.[0]?.names)).toEqual(new Set([...dockerWhitelist, 'umount2']));
    expect(back.defaultErrnoRet).toBe(1);
  });

  it('writes a remove-set for a profile that allows by default', () => {
    const isolator = JSON.parse(
      emitAppc(
        {
          defaultAction: 'SCMP_ACT_ALLOW',
          syscalls: [{ names: ['reboot', 'mount'], action: 'SCMP_ACT_KILL_PROCESS' }],
        },
        {},
      ),
    );
    expect(isolator).toEqual({ name: 'os/linux/seccomp-remove-set', value: { set: ['mount', 'reboot'] } });
  });

  it('refuses what one errno and a set of names cannot say', () => {
    const base: SeccompProfile = { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, syscalls: [] };
    const perCall = {
      ...base,
      syscalls: [
        { names: ['read'], action: 'SCMP_ACT_ALLOW' as const },
        { names: ['clone3'], action: 'SCMP_ACT_ERRNO' as const, errnoRet: 38 },
      ],
    };
    expect(() => emitAppc(perCall, {})).toThrow(FormatError);
    expect(() => emitAppc(perCall, {})).toThrow(/clone3 \(errno 38\)/);
    const args = {
      ...base,
      syscalls: [
        {
          names: ['socket'],
          action: 'SCMP_ACT_ALLOW' as const,
          args: [{ index: 0, value: 1n, op: 'SCMP_CMP_EQ' as const }],
        },
      ],
    };
    expect(() => emitAppc(args, {})).toThrow(/argument rules \(socket\)/);
    expect(JSON.parse(emitAppc(args, { args: 'none' })).value.set).toEqual(['socket']);
  });
});
