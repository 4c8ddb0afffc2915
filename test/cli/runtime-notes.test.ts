import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, ROOT } from '../helpers/cli.js';

const shellTrace = join(ROOT, 'samples/traces/strace-c-busybox-sh.txt');

describe('--runtime and the runtime baseline', () => {
  it('every command that takes --runtime shows its default in --help', async () => {
    for (const command of ['record', 'from-strace', 'from-audit', 'generate']) {
      const help = (await cli([command, '--help'])).stdout.replace(/\s+/g, ' ');
      const runtime = /--runtime <runtime> (.*?) --format/.exec(help)?.[1] ?? '';
      expect(runtime, command).toMatch(/default: .*runc/);
    }
  });

  it('names the runtime baseline for what it added without observing it', async () => {
    const prefix = join(await mkdtemp(join(tmpdir(), 'sl-runtime-')), 'shell');
    const learned = await cli(['from-strace', shellTrace, '-o', prefix]);
    expect(learned.exitCode, learned.stderr).toBe(0);
    expect(learned.stderr).toMatch(/added by the runc runtime baseline, not observed: .*\bcapset\b/);
    expect(learned.stderr).not.toContain('added without being observed');
    const crun = await cli([
      'generate',
      `${prefix}.recording.json`,
      '--runtime',
      'crun',
      '--json',
      '-o',
      `${prefix}.crun.json`,
    ]);
    expect(crun.stderr).toMatch(/added by the crun runtime baseline, not observed: /);
    const notes: { kind: string; message: string }[] = JSON.parse(crun.stdout).notes;
    expect(notes.find((note) => note.kind === 'baseline')?.message).toMatch(
      /^added by the crun runtime baseline \(crun 1\.21\), not observed$/,
    );
    const report = await cli(['report', `${prefix}.recording.json`, '--format', 'md']);
    expect(report.stdout).toMatch(/Added by the runc runtime baseline, not observed \(\d+\): .*`capset`/);
    expect(report.stdout).not.toContain('without being observed');
  });
});
