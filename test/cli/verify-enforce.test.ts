import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { available, e2eSkipReason, straceSkipReason } from '../helpers/e2e.js';

const skip =
  (await straceSkipReason()) ??
  (await e2eSkipReason('python3 with libseccomp (libseccomp.so.2)', () =>
    available('python3', ['-c', 'import ctypes; ctypes.CDLL("libseccomp.so.2")']),
  ));

async function profileFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sl-enforce-'));
  const file = join(dir, 'p.json');
  await writeFile(file, JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [] }));
  return file;
}

describe('verify --enforce on the command line', () => {
  it('--compare-output without --enforce is a usage error', async () => {
    const result = await cli(['verify', await profileFile(), '--compare-output', '--', '/bin/true']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--compare-output');
    expect(result.stderr).toContain('needs --enforce');
  });

  it('names python3 when it is missing for a host command, before the workload runs', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'sl-no-python-'));
    const marker = join(empty, 'ran');
    const result = await cli(
      ['verify', await profileFile(), '--enforce', '--', '/bin/sh', '-c', `: > ${marker}`],
      { env: { PATH: empty } },
    );
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/python3 is not installed.*libseccomp/);
    expect(await readdir(empty)).toEqual([]);
  });
});

describe.skipIf(skip)(`verify --enforce a host command${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('prints the comparison in text and --json, and leaves no file behind', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sl-enforce-'));
    const tmp = await mkdtemp(join(tmpdir(), 'sl-tmp-'));
    const env = { NO_COLOR: '1', TMPDIR: tmp };
    const workload = ['/bin/busybox', 'echo', 'hello'];
    const learned = await cli(['record', '--runtime', 'none', '-o', join(dir, 'echo'), '--', ...workload], {
      env,
    });
    expect(learned.exitCode, learned.stderr).toBe(0);
    const profile = join(dir, 'echo.profile.json');

    const text = await cli(['verify', profile, '--enforce', '--compare-output', '--', ...workload], { env });
    expect(text.exitCode, text.stderr).toBe(0);
    // Only the first run's stdout is printed: the comparison runs' is captured.
    expect(text.stdout).toBe('hello');
    expect(text.stderr).toContain('the workload exited 0 as unconfined; stdout the same');

    const json = await cli(['verify', profile, '--enforce', '--json', '--', ...workload], { env });
    expect(json.exitCode, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).enforced).toEqual({
      unconfinedExit: 0,
      enforcedExit: 0,
      exitMatches: true,
    });
    expect(await readdir(tmp)).toEqual([]);
  });
});
