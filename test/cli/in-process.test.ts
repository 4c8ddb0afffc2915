import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { SAMPLES } from '../helpers/cli.js';

/**
 * The command line run in this process: flags to a pipeline use, its result printed, its status
 * returned by main() (bin/seccomp-learn.js sets process.exitCode from it, nothing else does).
 */
async function run(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const status = await main(['node', 'seccomp-learn', ...args]);
    return { status, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sl-cli-'));
  vi.stubEnv('NO_COLOR', '1');
  vi.stubEnv('FORCE_COLOR', undefined);
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await rm(dir, { recursive: true, force: true });
});

describe('main, in process', () => {
  it('learns from strace output and prints the summary, the files and the JSON asked for', async () => {
    const prefix = join(dir, 'sh');
    const result = await run([
      'from-strace',
      join(SAMPLES, 'strace-c-busybox-sh.txt'),
      '-o',
      prefix,
      '--json',
    ]);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      recording: `${prefix}.recording.json`,
      profile: `${prefix}.profile.json`,
      incomplete: false,
    });
    expect(result.stderr).toMatch(/23 syscalls/);
    expect(result.stderr).toContain(`profile:   ${prefix}.profile.json`);
  });

  it('returns 3 for an audit log that lost records, and says why', async () => {
    const result = await run(['from-audit', join(SAMPLES, 'dmesg-ratelimited.txt'), '-o', join(dir, 'd')]);
    expect(result.status).toBe(3);
    expect(result.stderr).toMatch(/warning: audit records were lost/);
  });

  it('returns 1 from merge --check with the gaps listed', async () => {
    const shell = join(dir, 'check-sh');
    await run(['from-strace', join(SAMPLES, 'strace-c-busybox-sh.txt'), '-o', shell, '--runtime', 'none']);
    const python = join(dir, 'check-py');
    await run(['from-strace', join(SAMPLES, 'strace-f-tt-T-yy-python-sockets.txt'), '-o', python]);
    const result = await run(['merge', '--check', `${shell}.profile.json`, `${python}.recording.json`]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/does not cover \d+ syscall\(s\)/);
    expect(result.stderr).toContain('socket');
  });

  it('writes a generated profile to stdout when no -o is given', async () => {
    const prefix = join(dir, 'gen');
    await run(['from-strace', join(SAMPLES, 'strace-c-busybox-sh.txt'), '-o', prefix]);
    const result = await run(['generate', `${prefix}.recording.json`, '--runtime', 'none']);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout).defaultAction).toBe('SCMP_ACT_ERRNO');
    const written = JSON.parse(await readFile(`${prefix}.profile.json`, 'utf8'));
    expect(JSON.parse(result.stdout).syscalls[0].names.length).toBeLessThan(written.syscalls[0].names.length);
  });

  it('diffs against Docker default as text, Markdown and JSON, and reports to stdout', async () => {
    const prefix = join(dir, 'ref');
    await run(['from-strace', join(SAMPLES, 'strace-c-busybox-sh.txt'), '-o', prefix]);
    const text = await run(['diff', `${prefix}.profile.json`, '--kernel', '6.1']);
    expect(text.status).toBe(0);
    expect(text.stderr).toMatch(/allowed vs \d+ in Docker's default/);
    const markdown = await run(['diff', `${prefix}.profile.json`, '--kernel', '6.1', '--markdown']);
    expect(markdown.stdout).toMatch(/^#/m);
    const json = await run(['diff', `${prefix}.recording.json`, '--kernel', '6.1', '--json']);
    expect(JSON.parse(json.stdout).reference.label).toBe("Docker's default");
    const report = await run(['report', `${prefix}.recording.json`, '--kernel', '6.1', '--format', 'json']);
    expect(report.status).toBe(0);
    expect(JSON.parse(report.stdout).format).toBe('seccomp-learn/report@1');
  });

  it('merges recordings and profiles, and prints the complain-mode profile', async () => {
    const one = join(dir, 'one');
    const two = join(dir, 'two');
    await run(['from-strace', join(SAMPLES, 'strace-c-busybox-sh.txt'), '-o', one]);
    await run(['from-strace', join(SAMPLES, 'strace-f-tt-T-yy-python-sockets.txt'), '-o', two]);
    const recordings = await run([
      'merge',
      `${one}.recording.json`,
      `${two}.recording.json`,
      '-o',
      join(dir, 'both.recording.json'),
    ]);
    expect(recordings.status).toBe(0);
    expect(recordings.stderr).toMatch(/merged 2 recording\(s\), 2 run\(s\)/);
    const profiles = await run([
      'merge',
      `${one}.profile.json`,
      `${two}.profile.json`,
      '-o',
      join(dir, 'both.json'),
    ]);
    expect(profiles.stderr).toMatch(/merged 2 profile\(s\)/);
    const log = await run(['log-profile']);
    expect(JSON.parse(log.stdout).defaultAction).toBe('SCMP_ACT_LOG');
  });

  it('keeps the warnings about its inputs when a use then fails', async () => {
    const prefix = join(dir, 'newer');
    await run(['from-strace', join(SAMPLES, 'strace-c-busybox-sh.txt'), '-o', prefix]);
    const recording = JSON.parse(await readFile(`${prefix}.recording.json`, 'utf8'));
    // An entry no run saw is ignored with a warning; then the second input is of the other kind.
    recording.abis.x86_64.getppid = { calls: 0, runs: 0 };
    const newer = join(dir, 'newer-format.recording.json');
    await writeFile(newer, JSON.stringify(recording));
    const result = await run(['merge', newer, `${prefix}.profile.json`, '-o', join(dir, 'mixed.json')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/warning: .*newer-format\.recording\.json: getppid/);
    expect(result.stderr).toMatch(/seccomp-learn: error: .*is a profile; merge recordings with recordings/);
  });

  it('returns 2 with one line for a usage error and for a user error, never a stack trace', async () => {
    const usage = await run(['generate', '--format', 'nope', 'x']);
    expect(usage.status).toBe(2);
    const missing = await run(['generate', join(dir, 'missing.recording.json')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^seccomp-learn: error: .*missing\.recording\.json/);
    expect(missing.stderr).not.toMatch(/\n\s+at /);
  });
});
