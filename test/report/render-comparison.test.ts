import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ReferenceComparison } from '../../src/diff/compare.js';
import type { AllowlistDiff } from '../../src/diff/diff.js';
import { type DiffOptions, diff } from '../../src/pipeline/diff.js';
import { review } from '../../src/pipeline/report.js';
import { readLearningInput } from '../../src/profile/inputs.js';
import { comparisonView } from '../../src/report/comparison.js';
import { allowlistDiffMarkdown, comparisonMarkdown } from '../../src/report/comparison-md.js';
import { allowlistDiffText, comparisonText } from '../../src/report/comparison-text.js';
import type { ReviewReport } from '../../src/report/model.js';
import { renderAllowlistDiff, renderReferenceComparison } from '../../src/report/render.js';
import { renderHtml } from '../../src/report/render-html.js';
import { renderMarkdown } from '../../src/report/render-md.js';
import { renderText } from '../../src/report/render-text.js';
import { COMPARISON } from '../../src/report/words.js';
import { visible } from '../../src/util/visible.js';
import { ROOT } from '../helpers/cli.js';
import { checkRenderedMarkdown, controlsIn, elements, textOf } from '../helpers/inert.js';
import { sampleRecording, writeRecording } from '../helpers/sample-recording.js';

/**
 * The renderers of the comparison with a reference, in-process: `diff` and `report` show one model
 * with one set of words. Inputs: a Python socket script traced with strace -f (it needs clone3,
 * which Docker's default denies, and socket, which it allows for some arguments) and the profiles
 * in test/fixtures.
 */
const profiles = join(ROOT, 'test/fixtures/profiles');
const label = "Docker's default";
let comparison: ReferenceComparison;
let changes: { diff: AllowlistDiff; before: string; after: string };
let report: ReviewReport;
let learnedReport: ReviewReport;
const options = { against: 'docker', arch: 'x86_64', kernel: [6, 1], widen: 'none' } satisfies DiffOptions;

beforeAll(async () => {
  vi.stubEnv('NO_COLOR', '1');
  vi.stubEnv('FORCE_COLOR', undefined);
  const recording = await sampleRecording('strace-f-tt-T-yy-python-sockets.txt');
  const python = await writeRecording('python', recording);
  const one = await diff([python], options);
  if (one.kind !== 'reference') throw new Error('expected a comparison with a reference');
  comparison = one.comparison;
  const two = await diff(
    [join(profiles, 'flat-allowlist.json'), join(profiles, 'flat-allowlist-v2.json')],
    options,
  );
  if (two.kind !== 'allowlists') throw new Error('expected a comparison of two allowlists');
  changes = two;
  const input = await readLearningInput(python, () => undefined);
  if (input.kind !== 'recording') throw new Error('expected a recording');
  // Names only: the profile allows clone3 as observed, and Docker's default denies it.
  report = await review(
    { recordings: [input] },
    { arch: 'x86_64', kernel: [6, 1], widen: 'none', args: 'none' },
  );
  learnedReport = await review({ recordings: [input] }, { arch: 'x86_64', kernel: [6, 1], widen: 'none' });
});

afterAll(() => {
  vi.unstubAllEnvs();
});

const headingsOf = (markdown: string): string[] =>
  elements(checkRenderedMarkdown(markdown).root)
    .filter((element) => /^h[2-6]$/.test(element.tagName))
    .map(textOf);

describe('the comparison with a reference', () => {
  it('is one shape for diff and report: the same ABIs, counts, denied, conditional and removed names', async () => {
    const file = join(profiles, 'conditions.json');
    const one = await diff([file], options);
    if (one.kind !== 'reference') throw new Error('expected a comparison with a reference');
    const input = await readLearningInput(file, () => undefined);
    if (input.kind !== 'profile') throw new Error('expected a profile');
    const alone = await review({ recordings: [], profile: input }, options);
    const view = comparisonView(one.comparison);
    expect(view.abis.map(({ allowed, risks, reasons, ...abi }) => abi)).toEqual(alone.comparison.abis);
    expect(view.abis[0]?.allowed).toHaveLength(one.comparison.abis[0]?.diff.counts.allowed ?? -1);
    expect(view.abis[0]?.risks).toEqual(one.comparison.abis[0]?.risks);
  });

  it('as text: the headline, then each section under its title, names wrapped and indented', () => {
    const text = comparisonText(comparison);
    const [x86_64] = comparison.abis;
    const removed = x86_64?.diff.counts.unneeded ?? 0;
    expect(text.split('\n')[0]).toMatch(
      /^x86_64: \d+ allowed vs 309 in Docker's default, \d+ fewer \(\d+\.\d%\); at least as strict as Docker's default for every call both allow$/,
    );
    expect(text).toMatch(
      /\nNeeded, denied by Docker's default\n┌.*\n│ Syscall +│ Calls │ Docker's default │ Would be allowed by +│/,
    );
    expect(text).toMatch(/│ clone3 +│ +\d+ │ ENOSYS +│ CAP_SYS_ADMIN +│/);
    expect(text).toContain("\nAllowed by Docker's default only for some arguments\n");
    expect(text).toMatch(/│ socket +│ +\d+ │ only when arg0 \(domain\)/);
    expect(text).toContain(
      `\nRemoved: ${removed} syscalls Docker's default allows and this profile does not\n  `,
    );
    expect(text).toContain('\nDangerous syscalls\nStill allowed: review each (2)\nclone3 [');
    for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(140);
  });

  it('as Markdown: the same titles as headings, tables with the calls, nothing from the input unescaped', () => {
    const markdown = comparisonMarkdown(comparison);
    expect(headingsOf(markdown)).toEqual([
      `seccomp: ${comparison.input} against ${label}`,
      COMPARISON.denied(label),
      COMPARISON.conditional(label),
      COMPARISON.argumentRules(label),
      COMPARISON.dangerous,
      COMPARISON.riskKept(2),
    ]);
    expect(markdown).toMatch(/\| `clone3` \| \d+ \| ENOSYS \| CAP\\_SYS\\_ADMIN \|/);
    expect(markdown).toContain(
      `<summary>${COMPARISON.allowed(comparison.abis[0]?.diff.counts.allowed ?? 0)}</summary>`,
    );
    expect(markdown).toContain('<summary><b>Removed:</b> ');
  });

  it('as JSON: the model itself', async () => {
    const json = JSON.parse(await renderReferenceComparison(comparison, 'json'));
    expect(json.input).toBe(comparison.input);
    expect(json.abis.map((abi: { diff: { headline: unknown } }) => abi.diff.headline)).toEqual(
      comparison.abis.map((abi) => abi.diff.headline),
    );
    expect(await renderReferenceComparison(comparison, 'markdown')).toBe(comparisonMarkdown(comparison));
    expect(await renderReferenceComparison(comparison, 'text')).toBe(comparisonText(comparison));
  });

  it('uses the same words in the report, in every format', async () => {
    const removed = report.comparison.abis[0]?.removed.length ?? 0;
    const markdown = await renderMarkdown(report);
    const headings = headingsOf(markdown);
    for (const title of [
      COMPARISON.compared(label),
      COMPARISON.denied(label),
      COMPARISON.conditional(label),
      COMPARISON.dangerous,
      COMPARISON.riskKept(2),
    ])
      expect(headings).toContain(title);
    expect(markdown).toContain(
      `<summary><b>Removed:</b> ${removed} syscalls ${label} allows and this profile does not</summary>`,
    );
    const text = await renderText(report);
    for (const title of [COMPARISON.denied(label), COMPARISON.conditional(label), COMPARISON.riskKept(2)])
      expect(text).toContain(`\n${title}\n`);
    expect(text).toContain(`\nRemoved: ${removed} syscalls ${label} allows and this profile does not\n`);
    expect(text).toMatch(/│ clone3 +│ fails with ENOSYS\(38\) │ CAP_SYS_ADMIN +│ yes +│/);
    const html = await renderHtml(report);
    for (const title of [COMPARISON.denied(label), COMPARISON.conditional(label), COMPARISON.riskKept(2)])
      expect(html).toContain(`<h3>${title.replace("'", '&#39;')}</h3>`);
  });

  it('shows the argument rules of both sides, and whether the profile is at least as strict', async () => {
    const [abi] = learnedReport.comparison.abis;
    expect(abi?.headline.looser).toEqual([]);
    expect(abi?.argumentRules.find((row) => row.name === 'socket')).toEqual({
      name: 'socket',
      ours: 'only when arg0 (domain) is AF_INET(2)',
      theirs: 'only when arg0 (domain) is neither AF_ALG(38) nor AF_VSOCK(40)',
      looser: false,
    });
    const sentence = "at least as strict as Docker's default for every call both allow";
    expect(await renderText(learnedReport)).toContain(sentence);
    expect(headingsOf(await renderMarkdown(learnedReport))).toContain(COMPARISON.argumentRules(label));
    expect(await renderHtml(learnedReport)).toContain(sentence.replace("'", '&#39;'));
    // The names-only profile allows socket for every family: looser than Docker's default.
    expect(report.comparison.abis[0]?.headline.looser).toEqual(['socket']);
  });
});

describe('a profile with hostile syscall names, compared in-process', () => {
  it('reaches the terminal and the Markdown inert', async () => {
    const hostile = '`` x \r<!-- \n| forged | row |\n\u001b[2J\u009b31m<script>\u202e|';
    const file = join(await mkdtemp(join(tmpdir(), 'sl-hostile-')), `hostile${hostile}.json`);
    await writeFile(
      file,
      JSON.stringify({
        defaultAction: 'SCMP_ACT_ERRNO',
        architectures: ['SCMP_ARCH_X86_64'],
        syscalls: [{ names: ['read', 'ptrace', 'mount', `mount${hostile}`], action: 'SCMP_ACT_ALLOW' }],
      }),
    );
    const result = await diff([file], options);
    if (result.kind !== 'reference') throw new Error('expected a comparison with a reference');
    const text = comparisonText(result.comparison);
    expect(controlsIn(text)).toEqual([]);
    expect(text).toContain(COMPARISON.denied(label));
    const markdown = comparisonMarkdown(result.comparison);
    const headings = headingsOf(markdown);
    expect(headings[0]).toBe(`seccomp: ${visible(file)} against ${label}`);
    expect(headings).toContain(COMPARISON.dangerous);
  });
});

describe('the comparison of two allowlists', () => {
  it('as text, Markdown and JSON: per ABI what the second adds, removes and treats differently', async () => {
    const { diff: model, before, after } = changes;
    const x86_64 = model.abis.find((abi) => abi.abi === 'x86_64');
    expect(x86_64).toBeDefined();
    const text = allowlistDiffText(model);
    expect(text).toContain(`x86_64: ${x86_64?.allowedBefore} → ${x86_64?.allowedAfter} allowed`);
    const markdown = allowlistDiffMarkdown(model, before, after);
    expect(headingsOf(markdown)).toEqual([`seccomp: ${before} → ${after}`]);
    expect(markdown).toContain(`**x86_64**: ${x86_64?.allowedBefore} → ${x86_64?.allowedAfter} allowed`);
    expect(JSON.parse(await renderAllowlistDiff(model, before, after, 'json'))).toEqual(model);
    expect(await renderAllowlistDiff(model, before, after, 'text')).toBe(text);
  });
});
