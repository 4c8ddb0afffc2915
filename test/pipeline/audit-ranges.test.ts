import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditFilter } from '../../src/recording/audit-filter.js';
import { ROOT, SAMPLES } from '../helpers/cli.js';
import { DEFAULT_CHOICES } from '../helpers/pipeline.js';

// The worker threads load the built modules (dist/, built by the global set-up): this test drives
// the built pipeline, typed as its source.
type LearnAudit = typeof import('../../src/pipeline/learn-audit.js');
const { learnFromAudit } = (await import(
  pathToFileURL(join(ROOT, 'dist/src/pipeline/learn-audit.js')).href
)) as LearnAudit;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sl-ranges-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function learn(
  file: string,
  parallelFromBytes: number,
  name: string,
  filter: AuditFilter = { action: 'all' },
) {
  try {
    const result = await learnFromAudit(
      { file },
      {
        ...DEFAULT_CHOICES,
        output: join(dir, name),
        filter,
        filterText: '--action all',
        parallelFromBytes,
      },
    );
    return {
      recording: await readFile(result.recordingPath, 'utf8'),
      warnings: result.warnings,
      exitStatus: result.exitStatus,
    };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

describe.skipIf(availableParallelism() < 2)('a large audit log read in ranges, one per core', () => {
  it.each([
    'audit-docker-busybox.log',
    'audit-docker-busybox-actions.log',
    'audit-docker-prw.log',
    'audit-docker-prw-ausearch-i.log',
    'dmesg-ratelimited.txt',
    'journal-docker-busybox.json',
  ])('%s: the same recording, warnings and exit status as one parser reading every line', async (sample) => {
    const file = join(SAMPLES, sample);
    const inOrder = await learn(file, Number.POSITIVE_INFINITY, `${sample}-order`);
    const inRanges = await learn(file, 1, `${sample}-ranges`);
    expect(inOrder).not.toHaveProperty('error');
    expect(inRanges).toEqual(inOrder);
  });

  it('reports a bad line of a later range with its line number in the whole file', async () => {
    const file = join(dir, 'nul.log');
    const text = await readFile(join(SAMPLES, 'audit-docker-busybox.log'), 'utf8');
    const lines = text.split('\n');
    const bad = lines.length - 3;
    lines[bad - 1] = `${lines[bad - 1]}\u0000`;
    await writeFile(file, lines.join('\n'));
    const inOrder = await learn(file, Number.POSITIVE_INFINITY, 'nul-order');
    const inRanges = await learn(file, 1, 'nul-ranges');
    expect(inOrder).toEqual({ error: expect.stringContaining(`nul.log:${bad}:`) });
    expect(inRanges).toEqual(inOrder);
  });

  it('numbers the notices of a later range by their line in the whole file', async () => {
    const file = join(dir, 'unreadable.log');
    const text = await readFile(join(SAMPLES, 'audit-docker-busybox.log'), 'utf8');
    const lines = text.split('\n');
    const bad = lines.length - 3;
    lines[bad - 1] = (lines[bad - 1] ?? '').replace(/ syscall=\d+/, '');
    await writeFile(file, lines.join('\n'));
    const inOrder = await learn(file, Number.POSITIVE_INFINITY, 'unreadable-order');
    const inRanges = await learn(file, 1, 'unreadable-ranges');
    expect(inOrder).toHaveProperty('recording', expect.stringContaining(`"line": ${bad}`));
    expect(inRanges).toEqual(inOrder);
  });

  it('filters each range the same way', async () => {
    const file = join(dir, 'copy.log');
    await copyFile(join(SAMPLES, 'audit-docker-busybox-actions.log'), file);
    const filter = { action: 'kill' as const };
    const inOrder = await learn(file, Number.POSITIVE_INFINITY, 'kill-order', filter);
    const inRanges = await learn(file, 1, 'kill-ranges', filter);
    expect(inRanges).toEqual(inOrder);
  });
});
