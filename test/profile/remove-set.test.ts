import { describe, expect, it } from 'vitest';
import { evaluateProfile, outcomeOfCall, permits } from '../../src/profile/evaluate.js';
import { type GenerateOptions, generateForRecording } from '../../src/profile/generate.js';
import { allowedText, type SeccompProfile } from '../../src/profile/model.js';
import { removeSetOf } from '../../src/profile/remove-set.js';
import { DANGEROUS_SYSCALLS } from '../../src/syscalls/dangerous.js';
import { syscallExists } from '../../src/syscalls/table.js';
import { sampleRecording } from '../helpers/sample-recording.js';

const OPTIONS: GenerateOptions = {
  defaultAction: 'errno',
  runtime: 'none',
  allow: [],
  deny: [],
  widen: 'none',
};
const host = { abi: 'x86_64', capabilities: new Set<string>(), kernel: [6, 1] } as const;

/** The python sockets trace (AF_INET, clone3 without namespace flags) as both styles. */
async function bothStyles(extra: Partial<GenerateOptions> = {}) {
  const recording = await sampleRecording('strace-f-tt-T-yy-python-sockets.txt');
  const options = { ...OPTIONS, ...extra };
  return {
    allowlist: generateForRecording(recording, options).profile,
    removeSet: generateForRecording(recording, { ...options, style: 'remove-set' }),
  };
}

const permitted = (profile: SeccompProfile, name: string, registers: bigint[]): boolean =>
  permits(outcomeOfCall(evaluateProfile(profile, host), name, registers));

const SOCKET_DOMAINS = [...Array(50).keys()].map(BigInt).concat([0xffffffffn, (1n << 64n) - 1n]);
const CLONE_FLAGS = [0x11n, 0x3d0f00n, 0x20000n, 0x10000011n, 0x40000000n, 0x7e020000n, 0x80000000n];

describe('--style remove-set', () => {
  it('allows by default and refuses the dangerous calls the allowlist does not allow, as the allowlist refuses them', async () => {
    const { allowlist, removeSet } = await bothStyles();
    const profile = removeSet.profile;
    expect(profile.defaultAction).toBe('SCMP_ACT_ALLOW');
    expect(profile.architectures).toEqual(allowlist.architectures);
    const allowlistAllows = (name: string) => permitted(allowlist, name, [0n, 0n, 0n, 0n, 0n, 0n]);
    for (const name of DANGEROUS_SYSCALLS.keys()) {
      if (!syscallExists('x86_64', name) || name === 'clone' || name === 'socket') continue;
      const outcome = outcomeOfCall(evaluateProfile(profile, host), name, []);
      expect(permits(outcome), name).toBe(allowlistAllows(name));
    }
    // clone3 keeps the allowlist's ENOSYS, the others its EPERM; a harmless call is allowed.
    expect(outcomeOfCall(evaluateProfile(profile, host), 'clone3', [])).toEqual({
      action: 'SCMP_ACT_ERRNO',
      errnoRet: 38,
    });
    expect(outcomeOfCall(evaluateProfile(profile, host), 'mount', [])).toEqual({
      action: 'SCMP_ACT_ERRNO',
      errnoRet: 1,
    });
    expect(permitted(profile, 'chmod', [])).toBe(true);
    expect(permitted(allowlist, 'chmod', [])).toBe(false);
    expect(allowedText(profile)).toMatch(
      /^every syscall allowed but \d+ \(2 refused for some arguments only\)$/,
    );
  });

  it('keeps the argument limits exactly: socket domains and clone namespace flags judged by the evaluator', async () => {
    const { allowlist, removeSet } = await bothStyles();
    for (const domain of SOCKET_DOMAINS)
      expect(permitted(removeSet.profile, 'socket', [domain]), `socket ${domain}`).toBe(
        permitted(allowlist, 'socket', [domain]),
      );
    for (const flags of CLONE_FLAGS)
      expect(permitted(removeSet.profile, 'clone', [flags]), `clone ${flags}`).toBe(
        permitted(allowlist, 'clone', [flags]),
      );
    expect(permitted(removeSet.profile, 'socket', [2n])).toBe(true);
    expect(permitted(removeSet.profile, 'socket', [17n])).toBe(false);
    expect(removeSet.profile.syscalls?.filter((rule) => rule.names.includes('socket'))).toEqual([
      {
        names: ['socket'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: 1,
        args: [{ index: 0, value: 1n, op: 'SCMP_CMP_LE' }],
      },
      {
        names: ['socket'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: 1,
        args: [{ index: 0, value: 3n, op: 'SCMP_CMP_GE' }],
      },
    ]);
  });

  it('refuses --deny names, and uses the kill action when asked', async () => {
    const { removeSet } = await bothStyles({ deny: ['chmod'], defaultAction: 'kill' });
    expect(outcomeOfCall(evaluateProfile(removeSet.profile, host), 'chmod', [])).toEqual({
      action: 'SCMP_ACT_KILL_PROCESS',
    });
    expect(outcomeOfCall(evaluateProfile(removeSet.profile, host), 'ptrace', [])).toEqual({
      action: 'SCMP_ACT_KILL_PROCESS',
    });
  });

  it('allows for every argument, with a note, a limit a default-allow filter cannot say', () => {
    // Docker's persona rule: the gap between 8 and 0x20000 is too wide to refuse value by value.
    const allowlist: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ERRNO',
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [
        { names: ['read'], action: 'SCMP_ACT_ALLOW' },
        ...[0n, 8n, 0x20000n].map((value) => ({
          names: ['personality'],
          action: 'SCMP_ACT_ALLOW' as const,
          args: [{ index: 0, value, op: 'SCMP_CMP_EQ' as const }],
        })),
      ],
    };
    const { profile, notes } = removeSetOf(allowlist, ['x86_64'], []);
    expect(profile.syscalls?.some((rule) => rule.names.includes('personality'))).toBe(false);
    expect(notes).toEqual([
      expect.objectContaining({
        kind: 'arguments',
        name: 'personality',
        message: expect.stringContaining('allowed for every argument'),
      }),
    ]);
  });
});
