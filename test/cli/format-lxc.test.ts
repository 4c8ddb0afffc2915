import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, ROOT } from '../helpers/cli.js';

const samples = join(ROOT, 'samples/traces');
const common = join(ROOT, 'test/fixtures/lxc/common.seccomp');
let dir: string;
let recording: string;

/** A real recording: the python sockets trace, learnt with strace's own file. */
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sl-lxc-cli-'));
  const prefix = join(dir, 'py');
  const learned = await cli([
    'from-strace',
    join(samples, 'strace-f-tt-T-yy-python-sockets.txt'),
    '-o',
    prefix,
  ]);
  expect(learned.exitCode, learned.stderr).toBe(0);
  recording = `${prefix}.recording.json`;
});

describe('LXC policies on the command line', () => {
  it("diff compares an LXC v2 policy with Docker's default (no longer 'invalid JSON')", async () => {
    const policy = join(dir, 'py.seccomp');
    const generated = await cli(['generate', recording, '--format', 'lxc', '-o', policy]);
    expect(generated.exitCode, generated.stderr).toBe(0);
    expect(generated.stderr).toContain('LXC on x86_64 hosts filters x86 and x32 calls');
    const diffed = await cli(['diff', policy, '--json']);
    expect(diffed.exitCode, diffed.stderr).toBe(0);
    // Read back, the policy compares with Docker's default exactly as the Docker JSON of the same profile.
    const docker = join(dir, 'py.json');
    expect((await cli(['generate', recording, '-o', docker])).exitCode).toBe(0);
    const dockerDiff = await cli(['diff', docker, '--json']);
    const abis = (stdout: string, file: string) =>
      JSON.stringify(JSON.parse(stdout).abis).replaceAll(file, 'FILE');
    expect(abis(diffed.stdout, policy)).toEqual(abis(dockerDiff.stdout, docker));
  });

  it("diff reads LXC's common.seccomp against a learned profile, and as --against", async () => {
    const docker = join(dir, 'py.json');
    expect((await cli(['generate', recording, '-o', docker])).exitCode).toBe(0);
    const two = await cli(['diff', common, docker]);
    expect(two.exitCode, two.stderr).toBe(0);
    const against = await cli(['diff', docker, '--against', common, '--json']);
    expect(against.exitCode, against.stderr).toBe(0);
    expect(JSON.parse(against.stdout).reference.file).toBe(common);
  });

  it('report and merge --check read an LXC policy', async () => {
    const policy = join(dir, 'py.seccomp');
    expect((await cli(['generate', recording, '--format', 'lxc', '-o', policy])).exitCode).toBe(0);
    const report = await cli(['report', recording, policy, '--format', 'text']);
    expect(report.exitCode, report.stderr).toBe(0);
    const check = await cli(['merge', '--check', policy, recording]);
    expect(check.exitCode, check.stderr).toBe(0);
  });

  it('refuses in one line what a format cannot say, and a bad policy line by file and line', async () => {
    const v1 = await cli(['generate', recording, '--format', 'lxc-v1']);
    expect(v1.exitCode).toBe(2);
    expect(v1.stderr).toMatch(
      /^seccomp-learn: error: --format lxc-v1: LXC version 1 kills every call it does not list/m,
    );
    expect(v1.stderr).not.toMatch(/\n\s+at /);
    expect(v1.stdout).toBe('');
    const log = await cli(['log-profile', '--format', 'lxc']);
    expect(log.exitCode).toBe(2);
    expect(log.stderr).toContain('--format lxc: LXC has no SCMP_ACT_LOG action');
    const bad = join(dir, 'bad.seccomp');
    await writeFile(bad, '2\nallowlist errno 1\nread\nsocket [0,2,SCMP_CMP_EQ]\n');
    const diffed = await cli(['diff', bad]);
    expect(diffed.exitCode).toBe(2);
    expect(diffed.stderr).toContain(`${bad}:4: argument comparisons must follow an action word`);
  });

  it('learning uses write the policy beside the recording as PREFIX.profile.seccomp', async () => {
    const prefix = join(dir, 'again');
    const learned = await cli([
      'from-strace',
      join(samples, 'strace-f-tt-T-yy-python-sockets.txt'),
      '-o',
      prefix,
      '--format',
      'lxc',
    ]);
    expect(learned.exitCode, learned.stderr).toBe(0);
    expect((await readFile(`${prefix}.profile.seccomp`, 'utf8')).startsWith('2\nallowlist errno 1\n')).toBe(
      true,
    );
  });
});
