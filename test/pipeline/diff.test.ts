import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareWithReference } from '../../src/diff/compare.js';
import { UserError } from '../../src/errors.js';
import { type DiffOptions, type DiffResult, diff } from '../../src/pipeline/diff.js';
import { generateForRecording } from '../../src/profile/generate.js';
import { readLearningInput } from '../../src/profile/inputs.js';
import type { Recording } from '../../src/recording/model.js';
import { ROOT } from '../helpers/cli.js';
import { sampleRecording, writeRecording } from '../helpers/sample-recording.js';

/** `diff` in-process: a Python socket script traced with strace -f, and the profiles in test/fixtures. */
const profiles = join(ROOT, 'test/fixtures/profiles');
// Exactly what was observed: widening is generate's business, tested in widen.test.ts.
const options: DiffOptions = { against: 'docker', arch: 'x86_64', kernel: [6, 1], widen: 'none' };
let python: string;
let recording: Recording;

beforeAll(async () => {
  recording = await sampleRecording('strace-f-tt-T-yy-python-sockets.txt');
  python = await writeRecording('python', recording);
});

function reference(result: DiffResult) {
  if (result.kind !== 'reference')
    throw new Error(`expected a comparison with a reference, got ${result.kind}`);
  return result.comparison;
}

describe('pipeline diff', () => {
  it('compares one recording with the reference, writes nothing and prints nothing', async () => {
    const result = await diff([python], options);
    expect(result).toMatchObject({ written: [], warnings: [], exitStatus: 0, kind: 'reference' });
    const comparison = reference(result);
    expect(comparison.input).toBe(python);
    expect(comparison.reference.label).toBe("Docker's default");
    expect(comparison.abis.map((abi) => abi.diff.abi)).toEqual(['x86_64']);
    const [x86_64] = comparison.abis;
    const status = (name: string) => x86_64?.diff.entries.find((entry) => entry.name === name)?.status;
    expect(status('clone3')).toBe('denied');
    expect(status('socket')).toBe('conditional');
    expect(status('read')).toBe('allowed');
    expect(x86_64?.risks.needed.map((risk) => risk.name)).toEqual(['clone3', 'socket']);
  });

  it('gives the model compareWithReference gives for the same input and options', async () => {
    const comparison = reference(await diff([python], options));
    const input = await readLearningInput(python, () => undefined);
    if (input.kind !== 'recording') throw new Error('expected a recording');
    // A recording is compared through the profile generate makes of it (its argument rules).
    const generated = generateForRecording(input.recording, {
      defaultAction: 'errno',
      runtime: 'none',
      allow: [],
      deny: [],
      widen: 'none',
    });
    expect(comparison).toEqual(
      await compareWithReference(
        input,
        { against: 'docker', host: 'x86_64', kernel: [6, 1] },
        { recording: input.recording, notes: generated.notes },
        generated.profile,
      ),
    );
  });

  it('honours --cap-add: a capability the container gets lets its calls through', async () => {
    const comparison = reference(await diff([python], { ...options, capAdd: ['SYS_ADMIN'] }));
    expect(comparison.capabilities).toContain('CAP_SYS_ADMIN');
    expect(comparison.abis[0]?.diff.entries.find((entry) => entry.name === 'clone3')?.status).toBe('allowed');
  });

  it('collects the warnings reading an input gives instead of printing them', async () => {
    const zero = structuredClone(recording);
    const table = zero.abis.x86_64 ?? {};
    table.sync = { calls: 0, errors: 0, runs: 0 };
    const file = await writeRecording('zero', zero);
    const result = await diff([file], options);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toContain('sync');
    expect(result.exitStatus).toBe(0);
  });

  it('compares two allowlists: what the second adds and removes, named by their files', async () => {
    const before = join(profiles, 'flat-allowlist.json');
    const result = await diff([before, python], options);
    expect(result).toMatchObject({
      written: [],
      warnings: [],
      exitStatus: 0,
      kind: 'allowlists',
      before,
      after: python,
    });
    if (result.kind !== 'allowlists') return;
    const x86_64 = result.diff.abis.find((abi) => abi.abi === 'x86_64');
    expect(x86_64?.added).toContain('socket');
    expect(x86_64?.removed).toEqual([]);
    // The recording ran on x86_64 only: its allowlist has nothing on x86, the profile's names there are removed.
    expect(result.diff.abis.find((abi) => abi.abi === 'x86')?.removed).toContain('read');
  });

  it('refuses a host whose ABIs the input does not use, and more than two inputs', async () => {
    await expect(diff([python], { ...options, arch: 'aarch64' })).rejects.toThrow(
      /nothing to compare on the ABIs of a aarch64 host/,
    );
    await expect(diff([python, python, python], options)).rejects.toBeInstanceOf(UserError);
  });
});
