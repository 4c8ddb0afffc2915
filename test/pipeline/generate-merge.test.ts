import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate, generateLogProfile } from '../../src/pipeline/generate.js';
import { learnFromStraceFiles } from '../../src/pipeline/learn-strace.js';
import { check, merge } from '../../src/pipeline/merge.js';
import { SAMPLES } from '../helpers/cli.js';
import { NO_RUNTIME_CHOICES } from '../helpers/pipeline.js';

let dir: string;
let shell: string;
let python: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sl-pipeline-'));
  shell = (
    await learnFromStraceFiles([join(SAMPLES, 'strace-c-busybox-sh.txt')], {
      ...NO_RUNTIME_CHOICES,
      output: join(dir, 'sh'),
    })
  ).recordingPath;
  python = (
    await learnFromStraceFiles([join(SAMPLES, 'strace-f-tt-T-yy-python-sockets.txt')], {
      ...NO_RUNTIME_CHOICES,
      output: join(dir, 'py'),
    })
  ).recordingPath;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('generate', () => {
  it('returns the profile text when there is no output, and writes nothing', async () => {
    const result = await generate([shell], NO_RUNTIME_CHOICES);
    expect(result.written).toEqual([]);
    expect(JSON.parse(result.text)).toEqual(result.profile);
    expect(result.runs).toBe(1);
  });

  it('merges its recordings: the profile allows what either run called', async () => {
    const output = join(dir, 'both.json');
    const result = await generate([shell, python], { ...NO_RUNTIME_CHOICES, output });
    expect(result.written).toEqual([output]);
    expect(result.runs).toBe(2);
    const allowed = new Set(result.profile.syscalls?.[0]?.names);
    // socket is allowed through rules of its own, one per address family observed.
    const socket = result.profile.syscalls?.filter((rule) => rule.names.includes('socket')) ?? [];
    expect(socket.length).toBeGreaterThan(0);
    expect(socket.every((rule) => rule.action === 'SCMP_ACT_ALLOW' && rule.args?.length === 1)).toBe(true);
    expect(allowed.has('getdents64')).toBe(true);
    expect(await readFile(output, 'utf8')).toBe(result.text);
  });

  it('writes the complain-mode profile in the format asked', async () => {
    const result = await generateLogProfile({ format: 'spo', spoApi: 'v1' });
    expect(result.text).toMatch(
      /^apiVersion: security-profiles-operator\.x-k8s\.io\/v1\nkind: SeccompProfile/,
    );
    expect(result.text).toMatch(/defaultAction: SCMP_ACT_LOG/);
  });
});

describe('merge and check', () => {
  it('merges recordings and counts their runs', async () => {
    const output = join(dir, 'merged.recording.json');
    const result = await merge([shell, python], output);
    expect(result.kind).toBe('recording');
    expect(result.kind === 'recording' && result.recording.runs).toBe(2);
    expect(result.written).toEqual([output]);
  });

  it('check exits 1 and lists the gaps when the profile misses calls, 0 when it covers them', async () => {
    const shellProfile = join(dir, 'sh.profile.json');
    const missed = await check([shellProfile, python]);
    expect(missed.exitStatus).toBe(1);
    expect(missed.gaps.map((gap) => gap.name)).toContain('socket');
    const covered = await check([shellProfile, shell]);
    expect(covered.exitStatus).toBe(0);
    expect(covered.gaps).toEqual([]);
  });
});
