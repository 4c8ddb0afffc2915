import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { visible } from '../../src/util/visible.js';
import { cli } from '../helpers/cli.js';
import { checkRenderedMarkdown, controlsIn, elements, textOf } from '../helpers/inert.js';

/**
 * The CLI with a contributed recording and profiles whose strings (syscall names, command, file
 * names, warnings) carry escape sequences, bare CRs, HTML comments and table rows: stderr and
 * `diff --markdown` must show them, never act on them.
 */
const PAYLOAD =
  '`` ` x \r<!-- \n| forged | row |\n\u001b[2J\u001b]0;pwn\u0007\u009b31m\u007f<script>alert(1)<\\script>\t*_&amp;\u202e|';
const evil = (field: string): string => `${field}${PAYLOAD}`;

let dir: string;
let recording: string;
let before: string;
let after: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sl-hostile-cli-'));
  recording = join(dir, `${evil('recording')}.recording.json`);
  before = join(dir, 'before.json');
  after = join(dir, `${evil('after')}.json`);
  const host = { kernel: evil('kernel'), arch: 'x86_64' };
  await writeFile(
    recording,
    JSON.stringify({
      format: 'seccomp-learn/recording@1',
      runs: 1,
      abis: {
        x86_64: {
          read: { calls: 3, errors: 0, runs: 1 },
          mount: { calls: 1, errors: 0, runs: 1 },
          ptrace: { calls: 1, errors: 0, runs: 1 },
          [evil('syscall')]: { calls: 2, errors: 1, runs: 1 },
        },
      },
      provenance: [
        {
          source: 'strace-trace',
          command: [evil('argv0'), evil('argv1')],
          inputs: [evil('input')],
          host,
          seccompLearn: evil('version'),
        },
      ],
      warnings: [{ code: 'lost-records', message: evil('warning'), file: evil('warning-file'), line: 2 }],
    }),
  );
  const profile = (names: string[]) =>
    JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names, action: 'SCMP_ACT_ALLOW' }] });
  await writeFile(before, profile(['read', 'mount', evil('before-syscall')]));
  await writeFile(after, profile(['read', 'write', 'ptrace', evil('after-syscall')]));
});

describe('hostile strings in recordings and profiles on the command line', () => {
  it('the terminal summary table and warnings show control characters escaped', async () => {
    const result = await cli(['merge', recording, recording, '-o', join(dir, 'merged.recording.json')]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(controlsIn(result.stderr)).toEqual([]);
    const row = result.stderr.split('\n').find((line) => line.includes('syscall`'));
    expect(row).toContain(visible(evil('syscall')));
    expect(row).toMatch(/│ x86_64 │ +4 │ +2 │ +2\/2 │$/);
    expect(result.stderr).toContain(`warning: ${visible(`${evil('warning-file')}:2: ${evil('warning')}`)}`);
    const generated = await cli(['generate', recording]);
    expect(controlsIn(generated.stderr)).toEqual([]);
    expect(generated.stderr).toContain(visible(evil('syscall')));
  });

  it('diff and report text on stderr and stdout show control characters escaped', async () => {
    const diff = await cli(['diff', recording]);
    expect(diff.exitCode, diff.stderr).toBe(0);
    expect(controlsIn(diff.stderr)).toEqual([]);
    const two = await cli(['diff', before, after]);
    expect(two.exitCode, two.stderr).toBe(0);
    expect(controlsIn(two.stderr)).toEqual([]);
    const report = await cli(['report', recording, '--format', 'text']);
    expect(report.exitCode, report.stderr).toBe(0);
    expect(controlsIn(report.stdout)).toEqual([]);
    expect(report.stdout).toContain(visible(evil('syscall')));
  });

  it('--json output stays valid JSON with no raw control character, and means the same', async () => {
    const report = await cli(['report', recording, '--format', 'json']);
    expect(report.exitCode, report.stderr).toBe(0);
    expect(controlsIn(report.stdout)).toEqual([]);
    expect(JSON.parse(report.stdout).recorded.subjects[0].text).toBe(`${evil('argv0')} ${evil('argv1')}`);
    const diff = await cli(['diff', before, after, '--json']);
    expect(controlsIn(diff.stdout)).toEqual([]);
    expect(JSON.parse(diff.stdout).abis[0].added).toContain('write');
  });

  it('diff --markdown: input names cannot close code spans, add rows or open comments', async () => {
    const one = await cli(['diff', recording, '--markdown']);
    expect(one.exitCode, one.stderr).toBe(0);
    const { root } = checkRenderedMarkdown(one.stdout);
    const headings = elements(root)
      .filter((element) => /^h[2-4]$/.test(element.tagName))
      .map(textOf);
    expect(headings[0]).toBe(`seccomp: ${visible(recording)} against Docker's default`);
    expect(headings).toContain('Dangerous syscalls');

    const two = await cli(['diff', before, after, '--markdown']);
    expect(two.exitCode, two.stderr).toBe(0);
    const rendered = checkRenderedMarkdown(two.stdout);
    const code = elements(rendered.root)
      .filter((element) => element.tagName === 'code')
      .map(textOf);
    expect(code).toEqual(expect.arrayContaining([before, visible(after), 'write', 'ptrace']));
  });
});
