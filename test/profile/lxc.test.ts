import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emitLxc, emitLxcV1, lxcWarnings } from '../../src/emit/lxc.js';
import { FormatError, InputError } from '../../src/errors.js';
import { generateForRecording } from '../../src/profile/generate.js';
import { logProfile } from '../../src/profile/log-profile.js';
import type { SeccompProfile } from '../../src/profile/model.js';
import { parseProfile } from '../../src/profile/read.js';
import { readLxcPolicy } from '../../src/profile/read-lxc.js';
import { syscallNumber } from '../../src/syscalls/table.js';
import { DATA, ROOT } from '../helpers/cli.js';
import { sampleRecording } from '../helpers/sample-recording.js';

const FIXTURES = join(ROOT, 'test/fixtures/lxc');
const fixture = (name: string) => readFile(join(FIXTURES, name), 'utf8');

/** The learned profile of the python sockets trace: clone and socket rules, clone3's ENOSYS. */
async function learned(options: { defaultAction?: 'errno' | 'kill'; args?: 'none' } = {}) {
  return generateForRecording(await sampleRecording('strace-f-tt-T-yy-python-sockets.txt'), {
    defaultAction: 'errno',
    runtime: 'none',
    allow: [],
    deny: [],
    ...options,
  }).profile;
}

/** Per syscall name: its outcome and argument comparisons, as a loader would read them. */
function rulesByName(profile: SeccompProfile): Map<string, string[]> {
  const rules = new Map<string, string[]>();
  for (const rule of profile.syscalls ?? []) {
    for (const name of rule.names) {
      const entry = JSON.stringify([rule.action, rule.errnoRet ?? null, rule.args ?? []], (_key, value) =>
        typeof value === 'bigint' ? value.toString() : value,
      );
      rules.set(name, [...(rules.get(name) ?? []), entry].sort());
    }
  }
  return rules;
}

describe('generate --format lxc (version 2)', () => {
  it('writes a learned profile as LXC reads it: header, default, names, LXC-ordered comparisons', async () => {
    const text = emitLxc(await learned());
    const lines = text.split('\n');
    expect(lines.slice(0, 2)).toEqual(['2', 'allowlist errno 1']);
    expect(lines[2]).toMatch(/^# /);
    expect(lines[3]).toBe('[all]');
    expect(lines).toContain('read');
    // Docker's clone rule {value: mask, valueTwo: 0}: LXC takes the expected bits second, the mask fourth.
    expect(lines).toContain('clone allow [0,0,SCMP_CMP_MASKED_EQ,0x7e020000]');
    expect(lines).toContain('socket allow [0,2,SCMP_CMP_EQ]');
    expect(lines).toContain('clone3 errno 38');
    // No indented line (LXC would read an empty name) and no comment outside the first column.
    expect(lines.filter((line) => /^\s/.test(line))).toEqual([]);
    expect(text.endsWith('\n')).toBe(true);
  });

  it('reads back to the same allowed set and argument rules', async () => {
    const profile = await learned();
    const read = readLxcPolicy(emitLxc(profile), 'learned.seccomp');
    expect(read.defaultAction).toBe(profile.defaultAction);
    expect(read.defaultErrnoRet).toBe(profile.defaultErrnoRet);
    expect(rulesByName(read)).toEqual(rulesByName(profile));
  });

  it("round-trips LXC's own policies (lxc/lxc doc/examples, config/templates)", async () => {
    for (const name of ['common.seccomp', 'seccomp-v2.conf', 'seccomp-v2-denylist.conf']) {
      const profile = readLxcPolicy(await fixture(name), name);
      expect(rulesByName(readLxcPolicy(emitLxc(profile), name)), name).toEqual(rulesByName(profile));
    }
  });

  it('says what LXC loads differently: compat ABIs on the same rules, kill of the thread', async () => {
    const warnings = lxcWarnings(await learned({ defaultAction: 'kill' }), 2);
    expect(warnings).toEqual([
      expect.stringContaining("LXC's kill ends the calling thread, not the process"),
      expect.stringContaining('LXC on x86_64 hosts filters x86 and x32 calls with these same rules'),
    ]);
    const all: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ERRNO',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }],
    };
    expect(lxcWarnings(all, 2)).toEqual([]);
  });

  it('refuses in one line what LXC cannot say', async () => {
    expect(() => emitLxc(logProfile('x86_64'))).toThrow(FormatError);
    expect(() => emitLxc(logProfile('x86_64'))).toThrow(/^--format lxc: LXC has no SCMP_ACT_LOG action/);
    const docker = parseProfile(
      await readFile(join(DATA, 'reference/docker-default.json'), 'utf8'),
      'docker',
    );
    expect(() => emitLxc(docker)).toThrow(
      /no capability, kernel-version or excluded-architecture conditions/,
    );
    const trace: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [{ names: ['ptrace'], action: 'SCMP_ACT_TRACE' }],
    };
    expect(() => emitLxc(trace)).toThrow(/ptrace: LXC has no SCMP_ACT_TRACE action/);
  });

  it("writes Docker's host conditions as the LXC section read on exactly those hosts", () => {
    const profile: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [
        { names: ['read'], action: 'SCMP_ACT_ALLOW' },
        { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64'] } },
        { names: ['sync_file_range2'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['arm', 'arm64'] } },
      ],
    };
    expect(emitLxc(profile).split('\n').slice(3)).toEqual([
      '[all]',
      'read',
      '[x86_64]',
      'arch_prctl',
      '[arm]',
      'sync_file_range2',
      '',
    ]);
    const s390: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [
        { names: ['s390_pci_mmio_read'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['s390', 's390x'] } },
      ],
    };
    expect(() => emitLxc(s390)).toThrow(/no LXC section is read on exactly the hosts s390, s390x/);
  });
});

describe('generate --format lxc-v1', () => {
  it("writes the allowed calls' numbers for the profile's one architecture, and reads them back", async () => {
    const profile = await learned({ defaultAction: 'kill', args: 'none' });
    const text = emitLxcV1(profile);
    const [version, list, ...numbers] = text.trimEnd().split('\n');
    expect([version, list]).toEqual(['1', 'allowlist']);
    expect(numbers).toContain(String(syscallNumber('x86_64', 'read')));
    expect(numbers).toContain(String(syscallNumber('x86_64', 'socket')));
    expect(numbers.map(Number)).toEqual([...numbers.map(Number)].sort((a, b) => a - b));
    const read = readLxcPolicy(text, 'v1', 'x86_64');
    expect(read.defaultAction).toBe('SCMP_ACT_KILL');
    expect(new Set(read.syscalls?.flatMap((rule) => rule.names))).toEqual(
      new Set(
        profile.syscalls?.filter((rule) => rule.action === 'SCMP_ACT_ALLOW').flatMap((rule) => rule.names),
      ),
    );
  });

  it('refuses a non-kill default, argument rules and anything but one architecture', async () => {
    const errnoDefault = await learned();
    const withArgs = await learned({ defaultAction: 'kill' });
    expect(() => emitLxcV1(errnoDefault)).toThrow(
      /^--format lxc-v1: LXC version 1 kills every call it does not list, and this profile's default is SCMP_ACT_ERRNO \(errno 1\)/,
    );
    expect(() => emitLxcV1(withArgs)).toThrow(
      /allows clone, socket only for some arguments: use --format lxc, or allow them for every argument \(generate with --args none --allow clone,socket\)/,
    );
    const two: SeccompProfile = {
      defaultAction: 'SCMP_ACT_KILL',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
      syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }],
    };
    expect(() => emitLxcV1(two)).toThrow(
      /numbers its calls for one architecture, and this profile names SCMP_ARCH_X86_64, SCMP_ARCH_X86/,
    );
  });

  it('warns of calls it cannot refuse the way the profile does', () => {
    const profile: SeccompProfile = {
      defaultAction: 'SCMP_ACT_KILL',
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [
        { names: ['read'], action: 'SCMP_ACT_ALLOW' },
        { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
      ],
    };
    expect(emitLxcV1(profile)).toBe('1\nallowlist\n0\n');
    expect(lxcWarnings(profile, 1)).toEqual([
      'a version 1 policy lists only allowed calls, so LXC kills these instead: clone3 (errno 38)',
    ]);
  });
});

describe('reading LXC policies', () => {
  it("reads LXC's shipped common.seccomp: denylist, reject_force_umount, errno rules", async () => {
    const profile = readLxcPolicy(await fixture('common.seccomp'), 'common.seccomp');
    expect(profile.defaultAction).toBe('SCMP_ACT_ALLOW');
    expect(profile.syscalls).toEqual([
      {
        names: ['umount2'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: 13,
        args: [{ index: 1, value: 1n, valueTwo: 1n, op: 'SCMP_CMP_MASKED_EQ' }],
      },
      {
        names: ['kexec_load', 'open_by_handle_at', 'init_module', 'finit_module', 'delete_module'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: 1,
      },
    ]);
  });

  it("reads LXC's examples: a trap default, host sections, a version 1 list", async () => {
    const v2 = readLxcPolicy(await fixture('seccomp-v2.conf'), 'seccomp-v2.conf');
    expect(v2.defaultAction).toBe('SCMP_ACT_TRAP');
    expect(v2.syscalls?.map((rule) => rule.includes?.arches)).toEqual([['amd64'], ['amd64', 'x86']]);
    const v1 = readLxcPolicy(await fixture('seccomp-v1.conf'), 'seccomp-v1.conf', 'x86_64');
    expect(v1.defaultAction).toBe('SCMP_ACT_KILL');
    expect(v1.architectures).toEqual(['SCMP_ARCH_X86_64']);
    // 0-300 are x86_64 calls; the example's 1024-1079 are not (LXC loads them, nothing matches).
    expect(v1.syscalls?.[0]?.names).toHaveLength(301);
    expect(v1.syscalls?.[0]?.names.slice(0, 3)).toEqual(['read', 'write', 'open']);
  });

  it('names file, line and problem for a bad line', () => {
    const cases: [string, RegExp][] = [
      ['# comment\n2\nallowlist\n', /^p:1: LXC reads the policy version \(1 or 2\) alone on the first line/],
      ['2\nallow\n', /^p:2: expected allowlist or denylist/],
      ['2\nallowlist log\n', /^p:2: unknown action "log": .*\(it has no log action\)/],
      ['2\nallowlist errno\n', /^p:2: errno needs a number from 0 to 4095, got none/],
      ['2\nallowlist\nread\n  write\n', /^p:4: a rule must start in the first column/],
      ['2\nallowlist\nread\tallow\n', /^p:3: "read\\tallow" is not a syscall name/],
      ['2\nallowlist\nsocket [0,2,SCMP_CMP_EQ]\n', /^p:3: argument comparisons must follow an action word/],
      ['2\nallowlist\nsocket allow [0, 2, SCMP_CMP_EQ]\n', /^p:3: expected an argument comparison/],
      ['2\nallowlist\nsocket allow [0,2,SCMP_CMP_XX]\n', /^p:3: unknown comparison "SCMP_CMP_XX"/],
      ['2\nallowlist\nsocket allow [0,2,SCMP_CMP_EQ] # inet\n', /^p:3: expected an argument comparison/],
      [
        '2\nallowlist\nsocket allow [0,99999999999999999999999,SCMP_CMP_EQ]\n',
        /^p:3: value .* is beyond uint64/,
      ],
      ['2\nallowlist\n[vax]\n', /^p:3: unsupported architecture section \[vax\]/],
      ['2\nallowlist errno 1\nread errno 1\n', /^p:3: read: the rule's action is the policy's default/],
      ['1\ndenylist\n', /^p:2: a version 1 policy is an allowlist/],
      ['1\nallowlist\n0\n\n1\n', /^p:4: a version 1 policy has one syscall number per line/],
      ['2\nallowlist debug\n', /^p:2: LXC refuses "debug"/],
    ];
    for (const [text, message] of cases) {
      let error: unknown;
      try {
        readLxcPolicy(text, 'p', 'x86_64');
      } catch (caught) {
        error = caught;
      }
      expect(error, text).toBeInstanceOf(InputError);
      expect((error as Error).message, text).toMatch(message);
    }
  });

  it('reads the spellings LXC accepts: whitelist, symbolic operators, hex and octal values', () => {
    const profile = readLxcPolicy(
      '2\nwhitelist errno 38\n# comment\n[ALL]\nread # trailing comment\nioctl allow [1,0x5401,==] [2,010,&=,0xff]\n',
      'p',
    );
    expect(profile).toEqual({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 38,
      syscalls: [
        { names: ['read'], action: 'SCMP_ACT_ALLOW' },
        {
          names: ['ioctl'],
          action: 'SCMP_ACT_ALLOW',
          args: [
            { index: 1, value: 0x5401n, op: 'SCMP_CMP_EQ' },
            { index: 2, value: 0xffn, valueTwo: 8n, op: 'SCMP_CMP_MASKED_EQ' },
          ],
        },
      ],
    });
  });
});
