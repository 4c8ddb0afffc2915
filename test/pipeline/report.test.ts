import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { learnFromAudit } from '../../src/pipeline/learn-audit.js';
import { report } from '../../src/pipeline/report.js';
import { SAMPLES } from '../helpers/cli.js';
import { DEFAULT_CHOICES } from '../helpers/pipeline.js';

let dir: string;
let recording: string;
let profile: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sl-pipeline-'));
  const learned = await learnFromAudit(
    { file: join(SAMPLES, 'audit-docker-busybox.log') },
    {
      ...DEFAULT_CHOICES,
      output: join(dir, 'busybox'),
      filter: { action: 'log' },
      filterText: '--action log',
    },
  );
  recording = learned.recordingPath;
  profile = learned.profilePath;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('report', () => {
  it('reviews a recording against Docker default on a given kernel, in every format', async () => {
    const options = { arch: 'x86_64' as const, toTerminal: false };
    const json = await report([recording], { ...options, kernel: [6, 1], format: 'json' });
    const parsed = JSON.parse(json.text);
    expect(parsed.format).toBe('seccomp-learn/report@1');
    expect(parsed.comparison.kernel).toBe('6.1');
    expect(parsed.profile.origin).toBe('generated');
    const [x86] = json.report.comparison.abis;
    expect(x86?.abi).toBe('x86_64');
    expect(x86?.headline.referenceAllows).toBeGreaterThan(x86?.headline.workloadAllows ?? Infinity);
    const markdown = await report([recording], { ...options, kernel: [6, 1], format: 'md' });
    expect(markdown.text).toContain("Docker's default");
    const html = await report([recording], { ...options, kernel: [6, 1], format: 'html' });
    expect(html.text).toMatch(/^<!doctype html>/i);
  });

  it('reviews a given profile with the recording, and writes the rendered text without colour', async () => {
    const output = join(dir, 'review.txt');
    const result = await report([recording, profile], {
      kernel: [6, 1],
      format: 'text',
      output,
      toTerminal: true,
    });
    expect(result.written).toEqual([output]);
    expect(result.report.profile.origin).toBe('file');
    const text = await readFile(output, 'utf8');
    expect(text).toBe(result.text);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: colour codes are what must be absent
    expect(text).not.toMatch(/\u001b\[/);
  });

  it('refuses two profiles', async () => {
    await expect(report([profile, profile], { format: 'json', toTerminal: false })).rejects.toThrow(
      /give at most one profile/,
    );
  });
});
