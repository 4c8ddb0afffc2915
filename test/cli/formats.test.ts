import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, ROOT } from '../helpers/cli.js';

const fixtures = join(ROOT, 'test/fixtures/formats');
let dir: string;
let recording: string;

/** A real recording: python's socket work traced with strace -f (argument rules for clone and socket). */
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sl-formats-'));
  const learned = await cli([
    'from-strace',
    join(ROOT, 'samples/traces/strace-f-tt-T-yy-python-sockets.txt'),
    '-o',
    join(dir, 'py'),
  ]);
  expect(learned.exitCode, learned.stderr).toBe(0);
  recording = join(dir, 'py.recording.json');
});

describe('systemd and appc through the CLI', () => {
  it('generate --format systemd refuses argument rules in one line, exit 2, and writes nothing', async () => {
    const out = join(dir, 'refused.conf');
    const result = await cli(['generate', recording, '--format', 'systemd', '-o', out]);
    expect(result.exitCode).toBe(2);
    const errors = result.stderr.split('\n').filter((line) => line.startsWith('seccomp-learn: error:'));
    expect(errors).toEqual([
      'seccomp-learn: error: --format systemd: it cannot carry argument rules (clone, socket); generate with --args none to allow these calls by name for every argument',
    ]);
    expect(result.stderr).not.toContain('    at ');
    await expect(readFile(out, 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('generate --format systemd --args none writes a drop-in that diff reads back as the docker profile', async () => {
    const unit = join(dir, 'py.conf');
    const json = join(dir, 'py.json');
    const written = await cli(['generate', recording, '--format', 'systemd', '--args', 'none', '-o', unit]);
    expect(written.exitCode, written.stderr).toBe(0);
    expect(written.stderr).toContain('--args none: clone allowed by name for every argument');
    expect(await readFile(unit, 'utf8')).toMatch(/^\[Service\]$/m);
    const docker = await cli(['generate', recording, '--args', 'none', '--allow', 'clone', '-o', json]);
    expect(docker.exitCode, docker.stderr).toBe(0);
    const compared = await cli(['diff', json, unit, '--json']);
    expect(compared.exitCode, compared.stderr).toBe(0);
    const x86_64 = JSON.parse(compared.stdout).abis.find((abi: { abi: string }) => abi.abi === 'x86_64');
    expect(x86_64.added).toEqual([]);
    expect(x86_64.removed).toEqual([]);
  });

  it('diff reads a systemd unit and an appc isolator (rkt guide) and compares them', async () => {
    const result = await cli([
      'diff',
      join(fixtures, 'rkt-guide-retain-set.json'),
      join(fixtures, 'systemd-unit.service'),
      '--json',
    ]);
    expect(result.exitCode, result.stderr).toBe(0);
    const x86_64 = JSON.parse(result.stdout).abis.find((abi: { abi: string }) => abi.abi === 'x86_64');
    // membarrier comes with systemd's implicit @default; umount2 only with the isolator.
    expect(x86_64.added).toContain('membarrier');
    expect(x86_64.removed).toContain('umount2');
    expect(x86_64.removed).not.toContain('read');
    const alone = await cli(['diff', join(fixtures, 'appc-spec-retain-set.json')]);
    expect(alone.exitCode, alone.stderr).toBe(0);
    expect(alone.stderr).toMatch(/6 allowed vs 309 in Docker's default/);
  });

  it('generate --format appc --args none writes an isolator the appc reader accepts', async () => {
    const out = join(dir, 'py.appc.json');
    const result = await cli(['generate', recording, '--format', 'appc', '--args', 'none', '-o', out]);
    expect(result.exitCode, result.stderr).toBe(0);
    const isolator = JSON.parse(await readFile(out, 'utf8'));
    expect(isolator.name).toBe('os/linux/seccomp-retain-set');
    expect(isolator.value.errno).toBe('EPERM');
    const report = await cli(['diff', out]);
    expect(report.exitCode, report.stderr).toBe(0);
  });
});
