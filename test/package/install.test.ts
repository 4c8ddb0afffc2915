import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { available, e2eSkipReason } from '../helpers/e2e.js';

const skip = await e2eSkipReason('strace, to record from the installed package', () =>
  available('strace', ['-V']),
);
const scratch = await mkdtemp(join(tmpdir(), 'sl-pack-'));
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe.skipIf(skip)(`the packed package${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('installs from its tarball into an empty prefix and records from there', async () => {
    // dist/ was built by the global set-up; --ignore-scripts keeps `prepare` from rebuilding it under the
    // feet of the tests that run at the same time.
    const packed = await execa('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], {
      cwd: ROOT,
    });
    const [{ filename, files }] = JSON.parse(packed.stdout) as [
      { filename: string; files: { path: string }[] },
    ];
    const paths = files.map((file) => file.path);
    expect(paths).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'bin/seccomp-learn.js']));
    expect(paths).toContain('data/reference/docker-default.json');
    // verify --enforce runs host commands through it: read from the package root at run time.
    expect(paths).toContain('data/loader/seccomp-exec.py');
    expect(paths.filter((path) => path.startsWith('test/') || path.startsWith('src/'))).toEqual([]);

    const prefix = join(scratch, 'prefix');
    await execa(
      'npm',
      [
        'install',
        '--global',
        '--prefix',
        prefix,
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        join(scratch, filename),
      ],
      { cwd: scratch },
    );
    const installed = join(prefix, 'bin', 'seccomp-learn');
    const help = await execa(installed, ['--help'], { env: { NO_COLOR: '1' } });
    expect(help.stdout).toContain('Usage: seccomp-learn');

    const out = join(scratch, 'true');
    const record = await execa(installed, ['record', '-o', out, '--', '/bin/true'], {
      env: { NO_COLOR: '1' },
      reject: false,
    });
    expect(record.exitCode, record.stderr).toBe(0);
    const profile = JSON.parse(await readFile(`${out}.profile.json`, 'utf8'));
    expect(profile.syscalls[0].names).toEqual(expect.arrayContaining(['execve', 'exit_group']));
  }, 240_000);
});
