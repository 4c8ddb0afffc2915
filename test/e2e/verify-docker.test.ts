import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { containerAuditSkipReason, dockerRunArgv } from '../helpers/e2e.js';

const skip = await containerAuditSkipReason();

// Trained on one input; the held-out inputs use features the training never touched.
const TRAINING = 'echo hello > /tmp/f; cat /tmp/f; wc -c < /tmp/f';
const HELD_OUT = {
  directories: 'mkdir /tmp/d; echo x > /tmp/d/f; ls /tmp/d; rm -r /tmp/d',
  links: 'echo x > /tmp/a; ln -s /tmp/a /tmp/b; readlink /tmp/b; chmod 600 /tmp/a',
};

async function recordRun(dir: string, name: string, script: string) {
  const prefix = join(dir, name);
  const result = await cli([
    'record',
    // verify reads the kernel's SECCOMP records: the recording it is compared with does too.
    '--backend',
    'audit',
    '-o',
    prefix,
    '--runtime',
    'runc',
    '--widen',
    'none',
    '--',
    ...dockerRunArgv(script),
  ]);
  expect(result.exitCode, result.stderr).toBe(0);
  return prefix;
}

describe.skipIf(skip)(`verify -- docker run${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('covers the training run, and on held-out runs names exactly the calls the profile refuses', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sl-verify-'));
    const trained = await recordRun(dir, 'trained', TRAINING);
    const profile = `${trained}.profile.json`;
    // Every allow rule's names: clone, seen without its arguments, has a rule of its own (Docker's form).
    const allowed = new Set<string>(
      JSON.parse(await readFile(profile, 'utf8'))
        .syscalls.filter((rule: { action: string }) => rule.action === 'SCMP_ACT_ALLOW')
        .flatMap((rule: { names: string[] }) => rule.names),
    );

    const same = await cli(['verify', profile, '--json', '--', ...dockerRunArgv(TRAINING)]);
    expect(same.exitCode, same.stderr).toBe(0);
    expect(JSON.parse(same.stdout).covers).toBe(true);

    for (const [name, script] of Object.entries(HELD_OUT)) {
      const verified = await cli(['verify', profile, '--json', '--', ...dockerRunArgv(script)]);
      expect(verified.exitCode, verified.stderr).toBe(1);
      const refused = new Set<string>(
        JSON.parse(verified.stdout).refused.map((gap: { name: string }) => gap.name),
      );
      // What the held-out run calls, recorded on its own, minus what the profile allows.
      const heldOut = await recordRun(dir, name, script);
      const called = Object.keys(JSON.parse(await readFile(`${heldOut}.recording.json`, 'utf8')).abis.x86_64);
      const expected = new Set(called.filter((call) => !allowed.has(call)));
      expect([...refused].sort(), name).toEqual([...expected].sort());
    }
  }, 120_000);

  it('--merge-into closes the gaps: the profile learned from the merged recording covers the held-out run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sl-verify-'));
    const trained = await recordRun(dir, 'trained', TRAINING);
    const first = await cli([
      'verify',
      `${trained}.profile.json`,
      '--merge-into',
      `${trained}.recording.json`,
      '--',
      ...dockerRunArgv(HELD_OUT.directories),
    ]);
    expect(first.exitCode, first.stderr).toBe(1);
    const regenerated = join(dir, 'regenerated.json');
    const generated = await cli(['generate', `${trained}.recording.json`, '-o', regenerated]);
    expect(generated.exitCode, generated.stderr).toBe(0);
    const again = await cli(['verify', regenerated, '--', ...dockerRunArgv(HELD_OUT.directories)]);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stderr).toContain('covers this run');
  }, 120_000);

  it('--widen reachable, read from the image binary the container ran, holds on both held-out runs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sl-verify-'));
    const env = { NO_COLOR: '1', XDG_CACHE_HOME: join(dir, 'cache') };
    const trained = await recordRun(dir, 'trained', TRAINING);
    const binaries: string[] = JSON.parse(await readFile(`${trained}.recording.json`, 'utf8')).provenance[0]
      .binaries;
    expect(binaries).toHaveLength(1);
    expect(binaries[0]).toMatch(/\/bin\/busybox$/);
    const wide = join(dir, 'wide.json');
    const generated = await cli(
      ['generate', `${trained}.recording.json`, '--widen', 'reachable', '-o', wide],
      { env },
    );
    expect(generated.exitCode, generated.stderr).toBe(0);
    for (const [name, script] of Object.entries(HELD_OUT)) {
      const verified = await cli(['verify', wide, '--', ...dockerRunArgv(script)], { env });
      expect(verified.exitCode, `${name}: ${verified.stderr}`).toBe(0);
    }
  }, 120_000);

  it('--enforce --compare-output: the training run behaves the same under the profile, a held-out run does not', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sl-verify-'));
    const trained = await recordRun(dir, 'trained', TRAINING);
    const profile = `${trained}.profile.json`;
    // A name of the user's: the comparison runs must neither clash with it nor stay behind.
    const name = `sl-enforce-${process.pid}`;
    const named = (script: string) => {
      const argv = dockerRunArgv(script);
      return [...argv.slice(0, 2), '--name', name, ...argv.slice(2)];
    };

    const enforce = (script: string) =>
      cli(['verify', profile, '--enforce', '--compare-output', '--json', '--', ...named(script)]);

    const same = await enforce(TRAINING);
    expect(same.exitCode, same.stderr).toBe(0);
    expect(JSON.parse(same.stdout).enforced).toEqual({
      unconfinedExit: 0,
      enforcedExit: 0,
      exitMatches: true,
      outputMatches: true,
    });

    const heldOut = await enforce(HELD_OUT.directories);
    expect(heldOut.exitCode, heldOut.stderr).toBe(1);
    const { enforced } = JSON.parse(heldOut.stdout);
    expect(enforced.unconfinedExit).toBe(0);
    // mkdir is refused with EPERM: the file is never written, so ls prints nothing and rm fails.
    expect(enforced.exitMatches && enforced.outputMatches).toBe(false);
    expect(enforced.firstDifference).toMatchObject({ unconfined: 'f', enforced: '' });

    const left = await execa('docker', ['ps', '-a', '--filter', `name=${name}`, '--format', '{{.Names}}']);
    expect(left.stdout).toBe('');
  }, 180_000);
});
