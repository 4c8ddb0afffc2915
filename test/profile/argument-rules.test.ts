import { describe, expect, it } from 'vitest';
import { mergeRecordings } from '../../src/merge/recordings.js';
import { evaluateProfile, outcomeOfCall, permits } from '../../src/profile/evaluate.js';
import { generateForRecording } from '../../src/profile/generate.js';
import type { SeccompProfile } from '../../src/profile/model.js';
import { RECORDING_FORMAT, type Recording, type SyscallStats } from '../../src/recording/model.js';
import {
  ADDRESS_FAMILY_NAMES,
  AF_ALG,
  AF_INET,
  AF_INET6,
  AF_NETLINK,
  AF_PACKET,
  AF_UNIX,
  AF_VSOCK,
} from '../../src/syscalls/arguments.js';

const base = { defaultAction: 'errno', runtime: 'none', allow: [], deny: [], widen: 'none' } as const;

function recording(table: Record<string, Partial<SyscallStats>>): Recording {
  return {
    format: RECORDING_FORMAT,
    runs: 1,
    abis: {
      x86_64: Object.fromEntries(
        Object.entries(table).map(([name, stats]) => [name, { calls: 1, errors: 0, runs: 1, ...stats }]),
      ),
    },
    provenance: [
      {
        source: 'strace-trace',
        inputs: ['t'],
        host: { kernel: '6.1.0', arch: 'x86_64' },
        seccompLearn: 'test',
      },
    ],
    warnings: [],
  };
}

const host = { abi: 'x86_64', capabilities: new Set<string>(), kernel: [6, 1] } as const;

/** Whether the profile lets `name` through with these argument registers, by the project's evaluator. */
const lets = (profile: SeccompProfile, name: string, ...registers: bigint[]): boolean =>
  permits(outcomeOfCall(evaluateProfile(profile, host), name, registers));

const CLONE_THREAD_FLAGS = 0x3d0f00n;
const CLONE_NEWUSER = 0x10000000n;
const CLONE_NEWNET = 0x40000000n;

describe('argument rules learned from a recording', () => {
  const python = recording({
    read: {},
    socket: { args: { '0': { values: ['0x1', '0x2'] } } },
    clone: { args: { '0': { values: ['0x1200011'] } } },
    clone3: { args: { flags: { values: ['0x3d0f00', '0x4100'] } } },
  });

  it('allows the observed socket families only, one rule per family', () => {
    const { profile, notes } = generateForRecording(python, base);
    expect(profile.syscalls?.filter((rule) => rule.names.includes('socket'))).toEqual([
      { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1n, op: 'SCMP_CMP_EQ' }] },
      { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2n, op: 'SCMP_CMP_EQ' }] },
    ]);
    expect(lets(profile, 'socket', AF_UNIX, 1n)).toBe(true);
    expect(lets(profile, 'socket', AF_INET, 2n)).toBe(true);
    for (const family of [AF_INET6, AF_NETLINK, AF_PACKET, AF_ALG, AF_VSOCK])
      expect(lets(profile, 'socket', family, 3n)).toBe(false);
    expect(notes.find((note) => note.name === 'socket')?.message).toContain('AF_UNIX, AF_INET');
  });

  it('refuses namespace creation the workload never did, and clone3 with ENOSYS so glibc falls back', () => {
    const { profile } = generateForRecording(python, base);
    expect(profile.syscalls?.find((rule) => rule.names.includes('clone'))).toEqual({
      names: ['clone'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: 0x7e020000n, valueTwo: 0n, op: 'SCMP_CMP_MASKED_EQ' }],
    });
    expect(lets(profile, 'clone', 0x1200011n)).toBe(true);
    expect(lets(profile, 'clone', CLONE_THREAD_FLAGS)).toBe(true);
    expect(lets(profile, 'clone', CLONE_NEWUSER | 17n)).toBe(false);
    expect(lets(profile, 'clone', CLONE_NEWNET | 17n)).toBe(false);
    expect(outcomeOfCall(evaluateProfile(profile, host), 'clone3', [0n])).toEqual({
      action: 'SCMP_ACT_ERRNO',
      errnoRet: 38,
    });
  });

  it('allows clone3 (unfilterable) only when it was seen creating namespaces, and clone for what it saw', () => {
    const { profile } = generateForRecording(
      recording({
        clone: { args: { '0': { values: ['0x10000011'] } } },
        clone3: { args: { flags: { values: ['0x10000000'] } } },
        unshare: { args: { '0': { values: ['0x40000000'] } } },
      }),
      base,
    );
    expect(lets(profile, 'clone3', 0n)).toBe(true);
    expect(lets(profile, 'clone', CLONE_NEWUSER | 17n)).toBe(true);
    expect(lets(profile, 'clone', CLONE_NEWNET | 17n)).toBe(false);
    expect(lets(profile, 'unshare', CLONE_NEWNET)).toBe(true);
    expect(lets(profile, 'unshare', CLONE_NEWUSER)).toBe(false);
    expect(lets(profile, 'unshare', 0x400n)).toBe(true);
  });

  it("keeps Docker's form for clone, socket and personality seen without argument data", () => {
    const summary = recording({ clone: {}, socket: {}, personality: {}, clone3: {}, unshare: {} });
    const { profile, notes } = generateForRecording(summary, base);
    expect(lets(profile, 'socket', AF_PACKET)).toBe(true);
    expect(lets(profile, 'socket', AF_ALG)).toBe(false);
    expect(lets(profile, 'socket', AF_VSOCK)).toBe(false);
    expect(lets(profile, 'clone', CLONE_NEWUSER)).toBe(false);
    expect(lets(profile, 'personality', 0n)).toBe(true);
    expect(lets(profile, 'personality', 0x40000n)).toBe(false);
    expect(lets(profile, 'clone3', 0n)).toBe(false);
    // Docker refuses unshare without CAP_SYS_ADMIN; observed with unknown flags, it stays allowed.
    expect(lets(profile, 'unshare', CLONE_NEWUSER)).toBe(true);
    expect(notes.find((note) => note.name === 'socket')?.message).toMatch(/no argument data.*AF_ALG/);
  });

  it('--args none gives names only', () => {
    const { profile } = generateForRecording(python, { ...base, args: 'none' });
    expect(profile.syscalls?.[0]?.names).toEqual(expect.arrayContaining(['clone', 'clone3', 'socket']));
    expect(profile.syscalls?.some((rule) => rule.args)).toBe(false);
    expect(lets(profile, 'socket', AF_PACKET)).toBe(true);
  });

  it('a merge of two recordings with different socket families allows both and nothing more', () => {
    const merged = mergeRecordings([
      recording({ socket: { args: { '0': { values: ['0x1'] } } } }),
      recording({ socket: { args: { '0': { values: ['0x2'] } } } }),
    ]);
    expect(merged.abis.x86_64?.socket?.args).toEqual({ '0': { values: ['0x1', '0x2'] } });
    const { profile } = generateForRecording(merged, base);
    // Every family the kernel knows, and values past them and in the high half: only the two seen pass.
    const families = [...ADDRESS_FAMILY_NAMES.keys()]
      .map(BigInt)
      .concat([46n, 255n, 1n << 32n, (1n << 32n) | 1n]);
    expect(families.filter((family) => lets(profile, 'socket', family))).toEqual([AF_UNIX, AF_INET]);
    expect(lets(profile, 'socket', AF_INET6)).toBe(false);
    // A run without argument data makes the union unknown: Docker's form then.
    const withSummary = mergeRecordings([merged, recording({ socket: {} })]);
    expect(withSummary.abis.x86_64?.socket?.args).toBeUndefined();
    expect(lets(generateForRecording(withSummary, base).profile, 'socket', AF_INET6)).toBe(true);
  });

  it('leaves prctl unconditional when the runtime baseline calls it', () => {
    const prctl = recording({ prctl: { args: { '0': { values: ['0xf'] } } } });
    expect(lets(generateForRecording(prctl, base).profile, 'prctl', 16n)).toBe(false);
    expect(lets(generateForRecording(prctl, { ...base, runtime: 'runc' }).profile, 'prctl', 16n)).toBe(true);
  });
});
