import { copyFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseFragment } from 'parse5';
import { beforeAll, describe, expect, it } from 'vitest';
import { review } from '../../src/pipeline/report.js';
import { parseProfile } from '../../src/profile/read.js';
import { validateRecording } from '../../src/recording/schema.js';
import { shellWord } from '../../src/report/apply.js';
import { comparisonMarkdown } from '../../src/report/comparison-md.js';
import type { ReviewReport } from '../../src/report/model.js';
import { renderHtml } from '../../src/report/render-html.js';
import { renderMarkdown } from '../../src/report/render-md.js';
import { renderText } from '../../src/report/render-text.js';
import { mdCode, mdTable, mdText } from '../../src/util/markdown.js';
import { inertJson, visible } from '../../src/util/visible.js';
import { ROOT } from '../helpers/cli.js';
import {
  checkRenderedMarkdown,
  comments,
  controlsIn,
  elements,
  markdownIt,
  type Node,
  textOf,
} from '../helpers/inert.js';

/**
 * A contributed recording or profile is untrusted: every string in it must reach every output inert.
 * Each field gets a payload that tries everything at once: close a code span, end the line with a
 * bare CR, open an HTML comment (which would hide the rest of a rendered page, the dangerous-syscall
 * section included), start a table row, inject a tag, and move the terminal's cursor.
 */
const PAYLOAD =
  '`` ` x \r<!-- \n| forged | row |\n\u001b[2J\u001b]0;pwn\u0007\u009b31m\u007f<script>alert(1)</script>\t*_[l](http://e)_*&amp;\u202e|';
const evil = (field: string): string => `${field}${PAYLOAD}`;
/** A part of the payload without spaces, which text output may wrap at. */
const UNBROKEN =
  '\u001b[2J\u001b]0;pwn\u0007\u009b31m\u007f<script>alert(1)</script>\t*_[l](http://e)_*&amp;\u202e|';
/** File names cannot hold `/` or NUL; everything else goes. */
const evilFile = (field: string): string => evil(field).replaceAll('/', '-');

const FIELDS = {
  syscall: evil('syscall'),
  argv0: evil('argv0'),
  argv1: evil('argv1'),
  engine: evil('engine'),
  image: evil('image'),
  containerId: evil('containerId'),
  input: evil('input'),
  startedAt: evil('startedAt'),
  endedAt: evil('endedAt'),
  kernel: evil('kernel'),
  strace: evil('strace'),
  seccompLearn: evil('seccompLearn'),
  warning: evil('warning'),
  warningFile: evil('warningFile'),
  profileSyscall: evil('profileSyscall'),
};

function hostileRecording(): unknown {
  const host = { kernel: FIELDS.kernel, arch: 'x86_64' };
  return {
    format: 'seccomp-learn/recording@1',
    runs: 3,
    abis: {
      x86_64: {
        read: { calls: 40, errors: 0, runs: 3 },
        ptrace: { calls: 2, errors: 0, runs: 1 },
        mount: { calls: 1, errors: 1, runs: 1 },
        [FIELDS.syscall]: { calls: 900, errors: 3, runs: 2 },
      },
    },
    provenance: [
      {
        source: 'strace-trace',
        command: [FIELDS.argv0, FIELDS.argv1],
        inputs: [FIELDS.input],
        startedAt: FIELDS.startedAt,
        endedAt: FIELDS.endedAt,
        host,
        strace: FIELDS.strace,
        seccompLearn: FIELDS.seccompLearn,
        comm: evil('comm'),
        exe: evil('exe'),
      },
      {
        source: 'container',
        container: { engine: FIELDS.engine, image: FIELDS.image, id: FIELDS.containerId },
        inputs: [],
        host,
        seccompLearn: FIELDS.seccompLearn,
      },
      {
        source: 'container',
        container: { engine: FIELDS.engine, id: FIELDS.containerId },
        inputs: [],
        host,
        seccompLearn: FIELDS.seccompLearn,
      },
    ],
    warnings: [
      { code: 'lost-records', message: FIELDS.warning, file: FIELDS.warningFile, line: 7, count: 2 },
      {
        code: 'unresolved-process',
        message: evil('comm in a warning'),
        comm: evil('comm'),
        exe: evil('exe'),
      },
    ],
  };
}

function hostileProfileText(): string {
  return JSON.stringify({
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [
      { names: ['read', 'ptrace', 'bpf', FIELDS.profileSyscall, FIELDS.syscall], action: 'SCMP_ACT_ALLOW' },
      { names: ['kexec_load'], action: 'SCMP_ACT_ALLOW', comment: evil('comment') },
    ],
  });
}

let dir: string;
let referenceFile: string;
const recordingPath = () => join(dir, `${evilFile('recording-file')}.recording.json`);
const profilePath = () => join(dir, `${evilFile('profile-file')}.json`);

async function hostileReport(withProfile: boolean): Promise<ReviewReport> {
  const recording = validateRecording(hostileRecording(), 'hostile.recording.json');
  const profile = parseProfile(hostileProfileText(), profilePath());
  return review(
    {
      recordings: [{ path: recordingPath(), recording }],
      ...(withProfile ? { profile: { path: profilePath(), profile } } : {}),
    },
    { against: referenceFile, kernel: [6, 1] },
  );
}

const reports: { generated?: ReviewReport; given?: ReviewReport } = {};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sl-hostile-'));
  // The reference is a file too, so its label (the file name) is input.
  referenceFile = join(dir, `${evilFile('reference')}.json`);
  await copyFile(join(ROOT, 'data/reference/docker-default.json'), referenceFile);
  reports.generated = await hostileReport(false);
  reports.given = await hostileReport(true);
});

const both = () =>
  [
    ['generated profile', reports.generated as ReviewReport],
    ['given profile', reports.given as ReviewReport],
  ] as const;

describe('a recording and a profile with hostile strings in every field', () => {
  it('were accepted by validation: these strings are what a contributed recording can carry', () => {
    expect(() => validateRecording(hostileRecording(), 'x')).not.toThrow();
    expect(() => parseProfile(hostileProfileText(), 'x')).not.toThrow();
  });

  it('Markdown: renders with the dangerous-syscall section visible, nothing injected, each string shown as itself', async () => {
    for (const [what, report] of both()) {
      const markdown = await renderMarkdown(report);
      const { root, text } = checkRenderedMarkdown(markdown);
      const headings = elements(root)
        .filter((element) => /^h[2-4]$/.test(element.tagName))
        .map(textOf);
      expect(headings, what).toContain('Dangerous syscalls');
      expect(headings.some((heading) => heading.startsWith('Still allowed: review each'))).toBe(true);
      const riskTable = elements(root).find(
        (element) => element.tagName === 'table' && textOf(element).includes('Why it is dangerous'),
      );
      expect(textOf(riskTable as Node)).toContain('ptrace');
      // No code span closed early: each input string is one code element or text, shown as it is.
      const code = elements(root)
        .filter((element) => element.tagName === 'code')
        .map(textOf);
      expect(code, what).toContain(visible(FIELDS.syscall));
      expect(code).toContain(visible(`${FIELDS.argv0} ${FIELDS.argv1} (1 run)`));
      expect(code).toContain(visible(`container ${FIELDS.engine} ${FIELDS.image} (1 run)`));
      expect(code).toContain(visible(recordingPath()));
      expect(code).toContain(visible(`${FIELDS.warningFile}:7`));
      expect(text).toContain(visible(FIELDS.warning));
      expect(text).toContain(visible(`${FIELDS.startedAt} to ${FIELDS.endedAt}`));
      expect(text).toContain(visible(`Linux ${FIELDS.kernel} x86_64`));
      expect(text).toContain(visible(FIELDS.strace));
      expect(text).toContain(visible(evilFile('reference')));
      // A name no ABI knows is left out of the comparison, but the profile JSON shows it, escaped.
      const json = inertJson(JSON.stringify(report.inputs.profile ? FIELDS.profileSyscall : 'ptrace'));
      expect(
        elements(root)
          .find((element) => element.tagName === 'pre')
          ?.childNodes.map(textOf)
          .join(''),
      ).toContain(json);
      if (report.inputs.profile) expect(text).toContain(visible(`${evilFile('profile-file')}.json`));
    }
  });

  it('Markdown: a backtick pair and a bare CR with <!-- in a command cannot hide the dangerous syscalls', async () => {
    const recording = validateRecording(
      {
        format: 'seccomp-learn/recording@1',
        runs: 1,
        abis: {
          x86_64: { read: { calls: 1, errors: 0, runs: 1 }, ptrace: { calls: 1, errors: 0, runs: 1 } },
        },
        provenance: [
          {
            source: 'strace-summary',
            command: ['sh', '-c', 'true `` x\r<!-- no dangerous syscalls'],
            inputs: [],
            host: { kernel: '6.1.0', arch: 'x86_64' },
            seccompLearn: '0.1.0',
          },
        ],
        warnings: [],
      },
      'forged.recording.json',
    );
    const report = await review(
      { recordings: [{ path: 'forged.recording.json', recording }] },
      { kernel: [6, 1] },
    );
    const root = parseFragment(markdownIt.render(await renderMarkdown(report)));
    expect(comments(root)).toEqual([]);
    const headings = elements(root)
      .filter((element) => /^h[2-4]$/.test(element.tagName))
      .map(textOf);
    expect(headings).toContain('Dangerous syscalls');
    expect(headings[0]).toBe('Seccomp review: sh -c true `` x\\r<!-- no dangerous syscalls');
  });

  it('HTML: parses to no injected element, comment or attribute; every string is text', async () => {
    for (const [what, report] of both()) {
      const html = await renderHtml(report);
      expect(controlsIn(html), what).toEqual([]);
      expect(html).not.toMatch(/<script/i);
      const document = parse(html);
      expect(comments(document)).toEqual([]);
      const all = elements(document);
      const tags = new Set(all.map((element) => element.tagName));
      for (const tag of ['script', 'iframe', 'img', 'a', 'object', 'embed', 'link', 'form', 'input'])
        expect(tags.has(tag), tag).toBe(false);
      for (const element of all) {
        for (const attribute of element.attrs) {
          expect(attribute.name, `<${element.tagName} ${attribute.name}>`).not.toMatch(/^on|^href$|^src$/);
        }
      }
      const text = textOf(document);
      expect(text).toContain(visible(FIELDS.syscall));
      expect(text).toContain(visible(`${FIELDS.argv0} ${FIELDS.argv1}`));
      expect(text).toContain(visible(FIELDS.warning));
      expect(text).toContain(visible(evilFile('reference')));
      expect(textOf(all.find((element) => element.tagName === 'title') as Node)).toContain(
        visible(`Seccomp review: ${FIELDS.engine} ${FIELDS.image} and 2 more`),
      );
      expect(textOf(all.find((element) => element.tagName === 'pre') as Node)).toContain(
        inertJson(JSON.stringify(report.inputs.profile ? FIELDS.profileSyscall : 'ptrace')),
      );
    }
  });

  it('text: no control character but the newline reaches the terminal', async () => {
    for (const [what, report] of both()) {
      const text = await renderText(report);
      expect(controlsIn(text), what).toEqual([]);
      expect(text).toContain(visible(FIELDS.syscall));
      expect(text).toContain(visible(`warning${PAYLOAD.slice(0, PAYLOAD.indexOf('|') - 1)}`));
      expect(text.split(visible(UNBROKEN)).length).toBeGreaterThan(10);
    }
  });

  it('diff --markdown: syscall names and the input name cannot add rows or open comments', async () => {
    const { compareWithReference } = await import('../../src/diff/compare.js');
    const profile = parseProfile(hostileProfileText(), profilePath());
    const comparison = await compareWithReference(
      { kind: 'profile', path: profilePath(), profile },
      { against: referenceFile, kernel: [6, 1] },
    );
    const { root } = checkRenderedMarkdown(comparisonMarkdown(comparison));
    const code = elements(root)
      .filter((element) => element.tagName === 'code')
      .map(textOf);
    expect(code).toContain(visible(profilePath()));
    expect(code).toContain('bpf');
    const headings = elements(root)
      .filter((element) => /^h[2-4]$/.test(element.tagName))
      .map(textOf);
    expect(headings).toContain('Dangerous syscalls');
  });
});

describe('the escaping functions', () => {
  it('visible writes every control character as an escape and leaves other text alone', () => {
    expect(visible('a\r\n\t\u001b[31m\u0007\u007f\u009b\u202e é → ⚠')).toBe(
      'a\\r\\n\\t\\x1b[31m\\x07\\x7f\\x9b\\u202e é → ⚠',
    );
    expect(inertJson(JSON.stringify({ 'a\u007f': '\u009b\u001b' }))).toBe('{"a\\u007f":"\\u009b\\u001b"}');
    expect(JSON.parse(inertJson(JSON.stringify('\u007f\u2028')))).toBe('\u007f\u2028');
  });

  it('mdCode fences past the longest backtick run and pads a span that starts or ends with one', () => {
    expect(mdCode('read')).toBe('`read`');
    expect(mdCode('a `` b')).toBe('```a `` b```');
    expect(mdCode('`a`')).toBe('`` `a` ``');
    expect(mdCode('x\ry')).toBe('`x\\ry`');
    for (const value of ['a `` b', '`a`', ' a ', 'x\ry', '<!--', 'a|b']) {
      const html = markdownIt.renderInline(mdCode(value));
      expect(html).toBe(`<code>${markdownIt.utils.escapeHtml(visible(value))}</code>`);
    }
  });

  it('mdText shows punctuation as itself and opens nothing', () => {
    const value = '<!-- *a* _b_ [l](u) `c` | # $x$ ~~s~~ &amp; \\';
    expect(markdownIt.renderInline(mdText(value))).toBe(markdownIt.utils.escapeHtml(value));
    expect(markdownIt.render(mdText('- item'))).toBe('<p>- item</p>\n');
    expect(markdownIt.render(mdText('1. item'))).toBe('<p>1. item</p>\n');
  });

  it('mdTable keeps every pipe inside its cell, in code spans and in text', () => {
    const rows = [
      [mdCode('a|b'), mdText('c|d')],
      [mdCode('e\\|f'), mdText('g\\|h')],
    ];
    const root = parseFragment(markdownIt.render(mdTable(['x', 'y'], rows).join('\n')));
    const cells = elements(root)
      .filter((element) => element.tagName === 'td')
      .map(textOf);
    // GFM cannot write a backslash just before a pipe inside a code span in a table: the backslash
    // is lost ('e|f'), but the pipe stays in its cell.
    expect(cells).toEqual(['a|b', 'c|d', 'e|f', 'g\\|h']);
  });

  it("shellWord quotes a file name with control characters as $'…', which the shell reads back", () => {
    expect(shellWord('app.json')).toBe('app.json');
    expect(shellWord("it's")).toBe("'it'\\''s'");
    expect(shellWord("a\nb\u001b'\\")).toBe("$'a\\nb\\x1b\\'\\\\'");
  });
});
