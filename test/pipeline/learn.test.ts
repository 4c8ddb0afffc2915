import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { learnFromAudit } from '../../src/pipeline/learn-audit.js';
import { learnFromStraceFiles } from '../../src/pipeline/learn-strace.js';
import { SAMPLES } from '../helpers/cli.js';
import { DEFAULT_CHOICES } from '../helpers/pipeline.js';

/** The pipeline in process: what each learning use returns, written and exits with, without spawning the CLI. */

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sl-pipeline-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('learnFromStraceFiles', () => {
  it('learns a strace -c table, writes the recording and profile, and exits 0', async () => {
    const output = join(dir, 'sh');
    const result = await learnFromStraceFiles([join(SAMPLES, 'strace-c-busybox-sh.txt')], {
      ...DEFAULT_CHOICES,
      output,
    });
    expect(result.written).toEqual([`${output}.recording.json`, `${output}.profile.json`]);
    expect(result.exitStatus).toBe(0);
    expect(result.incomplete).toBe(false);
    // A strace -c table names no executable: --widen auto says it could widen by equivalents only.
    expect(result.warnings).toEqual([
      expect.stringMatching(/^widened by equivalents only: the recording names no binary/),
    ]);
    expect(Object.keys(result.recording.abis.x86_64 ?? {})).toHaveLength(23);
    const written = JSON.parse(await readFile(result.profilePath, 'utf8'));
    expect(written).toEqual(result.profile);
    // The runc baseline is noted, never silently added.
    expect(result.notes.some((note) => note.kind === 'baseline' && note.name === 'capget')).toBe(true);
  });

  it('reads the files of one strace -ff run as one run', async () => {
    const files = ['trace.8836', 'trace.8837', 'trace.8838'].map((name) =>
      join(SAMPLES, 'strace-samples', 'local-ff-r', name),
    );
    const result = await learnFromStraceFiles(files, { ...DEFAULT_CHOICES, output: join(dir, 'ff') });
    expect(result.recording.runs).toBe(1);
    expect(result.recording.provenance[0]?.inputs).toEqual(files);
  });

  it('refuses to overwrite an input before reading it', async () => {
    const input = join(SAMPLES, 'strace-c-busybox-sh.txt');
    const recordingAsInput = join(dir, 'x.recording.json');
    await learnFromStraceFiles([input], { ...DEFAULT_CHOICES, output: join(dir, 'x') });
    const before = (await stat(recordingAsInput)).mtimeMs;
    await expect(
      learnFromStraceFiles([recordingAsInput], { ...DEFAULT_CHOICES, output: join(dir, 'x') }),
    ).rejects.toThrow(UserError);
    expect((await stat(recordingAsInput)).mtimeMs).toBe(before);
  });
});

describe('learnFromAudit', () => {
  const filter = { action: 'log' as const };

  it('learns a container run from auditd records', async () => {
    const result = await learnFromAudit(
      { file: join(SAMPLES, 'audit-docker-busybox.log') },
      { ...DEFAULT_CHOICES, output: join(dir, 'a'), filter, filterText: '--action log' },
    );
    expect(result.exitStatus).toBe(0);
    expect(Object.keys(result.recording.abis.x86_64 ?? {})).toHaveLength(36);
    expect(result.recording.abis.x86_64?.execve).toEqual({ calls: 1, runs: 1 });
  });

  it('exits 3 with the reason when the kernel rate limit cost records, and 0 when the user accepts it', async () => {
    const origin = { file: join(SAMPLES, 'dmesg-ratelimited.txt') };
    const options = { ...DEFAULT_CHOICES, output: join(dir, 'd'), filter, filterText: '--action log' };
    const refused = await learnFromAudit(origin, options);
    expect(refused.incomplete).toBe(true);
    expect(refused.exitStatus).toBe(3);
    expect(refused.warnings.join('\n')).toMatch(/audit records were lost/);
    expect(refused.recording.warnings.map((warning) => warning.code)).toContain('lost-records');
    const accepted = await learnFromAudit(origin, {
      ...options,
      output: join(dir, 'd2'),
      allowIncomplete: true,
    });
    expect(accepted.exitStatus).toBe(0);
    // The loss is accepted; what remains is --widen auto saying it had no binary to read.
    expect(accepted.warnings).toEqual([expect.stringMatching(/^widened by equivalents only/)]);
    // Accepting does not hide the loss: the recording still says so.
    expect(accepted.incomplete).toBe(true);
  });

  it('names the filters when nothing matches', async () => {
    await expect(
      learnFromAudit(
        { file: join(SAMPLES, 'audit-docker-busybox.log') },
        {
          ...DEFAULT_CHOICES,
          output: join(dir, 'k'),
          filter: { action: 'kill' },
          filterText: '--action kill',
        },
      ),
    ).rejects.toThrow(/no SECCOMP record matches the filters \(--action kill\)/);
  });
});
