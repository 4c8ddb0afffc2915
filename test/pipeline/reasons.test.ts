import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import type { ReferenceComparison } from '../../src/diff/compare.js';
import type { DiffEntry } from '../../src/diff/diff.js';
import { type DiffOptions, diff } from '../../src/pipeline/diff.js';
import { report } from '../../src/pipeline/report.js';
import type { CallReason } from '../../src/profile/reasons.js';
import type { Recording } from '../../src/recording/model.js';
import type { ReviewReport, SyscallRow } from '../../src/report/model.js';
import { renderReferenceComparison } from '../../src/report/render.js';
import { ROOT } from '../helpers/cli.js';
import { available, e2eSkipReason } from '../helpers/e2e.js';
import { sampleRecording, writeRecording } from '../helpers/sample-recording.js';

/**
 * Why each allowed call is allowed, in `diff` and `report`: on the busybox shell traced with
 * strace -c (samples/traces), widened by equivalents in-process, and by what /bin/busybox and
 * /usr/bin/true can reach where objdump and those binaries are installed.
 */

const skipReachable = await e2eSkipReason(
  'objdump, /bin/busybox (busybox-static) and /usr/bin/true',
  async () =>
    (await available('objdump', ['--version'])) &&
    (await available('/bin/busybox', ['true'])) &&
    (await available('/usr/bin/true', [])),
);

const options: DiffOptions = { against: 'docker', arch: 'x86_64', kernel: [6, 1] };
const profile = join(ROOT, 'test/fixtures/profiles/flat-allowlist.json');
let dir: string;
let shell: string;
let recording: Recording;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sl-reasons-'));
  // The call-graph cache of this test's own: nothing from an earlier run, nothing left in ~/.cache.
  vi.stubEnv('XDG_CACHE_HOME', join(dir, 'cache'));
  recording = await sampleRecording('strace-c-busybox-sh.txt');
  shell = await writeRecording('shell', recording);
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await rm(dir, { recursive: true, force: true });
});

async function compared(files: string[], extra: Partial<DiffOptions> = {}): Promise<ReferenceComparison> {
  const result = await diff(files, { ...options, ...extra });
  if (result.kind !== 'reference')
    throw new Error(`expected a comparison with a reference, got ${result.kind}`);
  return result.comparison;
}

/** Every call the workload's side allows on x86_64, with its reason. */
function reasons(comparison: ReferenceComparison): Map<string, CallReason | undefined> {
  const entries = comparison.abis.find((abi) => abi.diff.abi === 'x86_64')?.diff.entries ?? [];
  return new Map(
    entries
      .filter((entry): entry is Exclude<DiffEntry, { status: 'unneeded' }> => entry.status !== 'unneeded')
      .map((entry) => [entry.name, entry.reason]),
  );
}

function rows(reviewed: ReviewReport): Map<string, SyscallRow> {
  const abi = reviewed.syscalls.find((syscalls) => syscalls.abi === 'x86_64');
  return new Map((abi?.groups ?? []).flatMap((group) => group.syscalls).map((row) => [row.name, row]));
}

async function reviewJson(files: string[], extra: Record<string, unknown> = {}): Promise<ReviewReport> {
  const result = await report(files, {
    arch: 'x86_64',
    kernel: [6, 1],
    format: 'json',
    toTerminal: false,
    ...extra,
  });
  return JSON.parse(result.text) as ReviewReport;
}

describe('diff: each allowed call with its reason', () => {
  it('observed calls carry their counts and runs, the exit path its own reason', async () => {
    const why = reasons(await compared([shell], { widen: 'none' }));
    const dup2 = recording.abis.x86_64?.dup2;
    expect(why.get('dup2')).toEqual({ kind: 'observed', calls: dup2?.calls, errors: 0, runs: 1, ofRuns: 1 });
    expect(why.get('exit')).toEqual({ kind: 'always' });
    // With --widen none nothing is added: every reason is observation or the exit path.
    expect(new Set([...why.values()].map((reason) => reason?.kind))).toEqual(new Set(['observed', 'always']));
  });

  it('--widen equivalents: the siblings are allowed as "equivalent of" the observed call, in every format', async () => {
    const comparison = await compared([shell], { widen: 'equivalents' });
    const why = reasons(comparison);
    expect(why.get('dup3')).toEqual({
      kind: 'equivalent',
      of: 'dup2',
      why: 'dup2(a, b) is dup3(a, b, 0); aarch64 has only dup3',
    });
    expect(why.get('readlinkat')).toMatchObject({ kind: 'equivalent', of: 'readlink' });
    expect(why.get('stat')).toMatchObject({ kind: 'equivalent', of: 'newfstatat' });
    expect(comparison.heldBack).toEqual([]);

    const json = JSON.parse(await renderReferenceComparison(comparison, 'json'));
    const dup3 = json.abis[0].diff.entries.find((entry: { name: string }) => entry.name === 'dup3');
    expect(dup3).toMatchObject({ status: 'allowed', reason: { kind: 'equivalent', of: 'dup2' } });
    expect(json.heldBack).toEqual([]);

    const text = await renderReferenceComparison(comparison, 'text');
    expect(text).toMatch(
      /Why each call is allowed: 23 observed, 10 equivalent of an observed call, 2 always allowed\s+\(exit\s+path\)\./,
    );
    expect(text).toMatch(/--why\s+lists\s+each\s+call\s+with\s+its\s+reason/);
    expect(text).not.toContain('equivalent of dup2');
    const listed = await renderReferenceComparison(comparison, 'text', true);
    expect(listed).toMatch(/│ dup3\s+│ equivalent of dup2\s+│/);
    expect(listed).toMatch(
      new RegExp(`│ dup2\\s+│ observed: ${recording.abis.x86_64?.dup2?.calls} calls?, in 1 of 1 run\\s+│`),
    );
    expect(listed).toMatch(/│ exit\s+│ always allowed \(exit path\)\s+│/);

    const markdown = await renderReferenceComparison(comparison, 'markdown');
    expect(markdown).toContain('<summary>Why each call is allowed: 23 observed, ');
    expect(markdown).toContain('| `dup3` | equivalent of dup2 |');
    expect(markdown).toContain('| `exit` | always allowed (exit path) |');
  });

  it("a profile file: every allowed call is the file's, reason unknown; --widen is for recordings", async () => {
    const result = await diff([profile], { ...options, widen: 'equivalents' });
    expect(result.warnings).toEqual([
      '--widen equivalents widens what a recording observed: a profile is compared as it is',
    ]);
    if (result.kind !== 'reference') throw new Error('expected a comparison with a reference');
    const why = reasons(result.comparison);
    expect(why.size).toBeGreaterThan(0);
    for (const reason of why.values()) expect(reason).toEqual({ kind: 'profile-file', file: profile });
    // The text table wraps a long path inside its cell; Markdown keeps it whole.
    const text = await renderReferenceComparison(result.comparison, 'text', true);
    expect(text).toContain('reason unknown');
    const markdown = await renderReferenceComparison(result.comparison, 'markdown');
    expect(markdown).toContain(`in ${profile}, reason unknown`);
  });
});

describe('report: each syscall row with its reason', () => {
  it('observed with counts and runs, the runc baseline with its versions, equivalents with what they stand for', async () => {
    const reviewed = await reviewJson([shell], { widen: 'equivalents' });
    const byName = rows(reviewed);
    expect(byName.get('dup2')?.reason).toEqual({
      kind: 'observed',
      calls: recording.abis.x86_64?.dup2?.calls,
      errors: 0,
      runs: 1,
      ofRuns: 1,
    });
    expect(byName.get('dup3')?.reason).toMatchObject({ kind: 'equivalent', of: 'dup2' });
    expect(byName.get('capset')?.reason).toEqual({
      kind: 'baseline',
      runtime: 'runc',
      versions: expect.arrayContaining(['runc 1.4.2']),
    });
    expect(byName.get('exit')?.reason).toEqual({ kind: 'always' });
    expect(reviewed.profile.heldBack).toEqual([]);
    expect(reviewed.profile.assumed.find((name) => name.name === 'dup3')?.reason).toMatchObject({
      kind: 'equivalent',
      of: 'dup2',
    });

    const text = (
      await report([shell], {
        arch: 'x86_64',
        kernel: [6, 1],
        widen: 'equivalents',
        format: 'text',
        toTerminal: false,
      })
    ).text;
    expect(text).toMatch(/│ dup3\s+│\s+│\s+│\s+│ equivalent of dup2\s+│ allowed/);
    expect(text).toMatch(/│ capset\s+│\s+│\s+│\s+│ runc runtime baseline\s+│ allowed/);
    expect(text).toMatch(/│ dup2\s+│\s+\d+ │\s+│\s+1\/1 │ observed\s+│ allowed/);
    const md = (
      await report([shell], {
        arch: 'x86_64',
        kernel: [6, 1],
        widen: 'equivalents',
        format: 'md',
        toTerminal: false,
      })
    ).text;
    expect(md).toContain('| `dup3` |  |  |  | equivalent of dup2 | allowed |');
    expect(md).toContain('| Group | Syscall | Calls | Errors | Runs | Reason |');
    const html = (
      await report([shell], {
        arch: 'x86_64',
        kernel: [6, 1],
        widen: 'equivalents',
        format: 'html',
        toTerminal: false,
      })
    ).text;
    expect(html).toContain('<span class="tag info">equivalent of dup2</span>');
    expect(html).toContain('<th>Reason</th>');
  });

  it("a given profile: what no run made is the profile's, reason unknown", async () => {
    const reviewed = await reviewJson([shell, profile], { widen: 'equivalents' });
    const notObserved = [...rows(reviewed).values()].filter((row) => row.reason.kind !== 'observed');
    expect(notObserved.length).toBeGreaterThan(0);
    for (const row of notObserved) expect(row.reason).toEqual({ kind: 'profile-file', file: profile });
  });
});

describe.skipIf(skipReachable)(
  `--widen reachable: reachable through a function of a binary${skipReachable ? ` (skipped: ${skipReachable})` : ''}`,
  () => {
    it('diff names the binary (and the function) that reaches each added call, and what it held back', async () => {
      const comparison = await compared([shell], { widen: 'reachable', binaries: ['/bin/busybox'] });
      const why = reasons(comparison);
      // busybox is static: its own code holds the syscall instructions.
      expect(why.get('mkdir')).toEqual({ kind: 'reachable', binary: '/bin/busybox' });
      expect(why.get('dup3')).toMatchObject({ kind: expect.stringMatching(/^(reachable|equivalent)$/) });
      const mount = comparison.heldBack.find((held) => held.name === 'mount');
      expect(mount).toEqual({
        name: 'mount',
        reason: { kind: 'reachable', binary: '/bin/busybox' },
        heldFor: 'dangerous',
      });
      expect(why.has('mount')).toBe(false);
      const text = await renderReferenceComparison(comparison, 'text', true);
      expect(text).toMatch(/│ mkdir\s+│ reachable in the code of \/bin\/busybox\s+│/);
      expect(text).toMatch(/Held back: \d+ syscalls --widen did not add/);
      expect(text).toContain('mount (dangerous; reachable in the code of /bin/busybox), not observed');
      const markdown = await renderReferenceComparison(comparison, 'markdown');
      expect(markdown).toContain(
        '- `mount` (dangerous; reachable in the code of /bin/busybox), not observed',
      );
      // busybox's hostname applet can name the host; the shell never did anything of that kind.
      expect(comparison.heldBack).toContainEqual({
        name: 'sethostname',
        reason: { kind: 'reachable', binary: '/bin/busybox' },
        heldFor: 'host administration',
      });
      expect(markdown).toContain(
        '- `sethostname` (host administration, a kind of work no run showed; reachable in the code of /bin/busybox), not observed',
      );
      const everything = await compared([shell], { widen: 'reachable-all', binaries: ['/bin/busybox'] });
      expect(reasons(everything).get('sethostname')).toEqual({ kind: 'reachable', binary: '/bin/busybox' });

      const dynamic = reasons(await compared([shell], { widen: 'reachable', binaries: ['/usr/bin/true'] }));
      const throughLibc = [...dynamic.values()].filter(
        (reason) => reason?.kind === 'reachable' && reason.function !== undefined,
      );
      expect(throughLibc.length).toBeGreaterThan(0);
      expect(throughLibc[0]).toMatchObject({
        kind: 'reachable',
        function: expect.any(String),
        binary: expect.stringMatching(/^\//),
      });
    }, 120_000);

    it('the report shows the witness in the row and lists what was held back, in every format', async () => {
      const base = {
        arch: 'x86_64',
        kernel: [6, 1],
        widen: 'reachable',
        binaries: ['/bin/busybox'],
        toTerminal: false,
      } as const;
      const reviewed = JSON.parse((await report([shell], { ...base, format: 'json' })).text) as ReviewReport;
      expect(rows(reviewed).get('mkdir')?.reason).toEqual({ kind: 'reachable', binary: '/bin/busybox' });
      expect(reviewed.profile.heldBack).toContainEqual({
        name: 'mount',
        reason: { kind: 'reachable', binary: '/bin/busybox' },
        heldFor: 'dangerous',
      });
      const held = 'mount (dangerous; reachable in the code of /bin/busybox), not observed';
      const text = (await report([shell], { ...base, format: 'text' })).text;
      expect(text).toMatch(/│ mkdir\s+│\s+│\s+│\s+│ reachable in the code of \/bin\/busybox\s+│/);
      expect(text).toContain(held);
      const detail = '(dangerous; reachable in the code of /bin/busybox), not observed';
      expect((await report([shell], { ...base, format: 'md' })).text).toContain(`- \`mount\` ${detail}`);
      expect((await report([shell], { ...base, format: 'html' })).text).toContain(
        `<li><code>mount</code> ${detail}</li>`,
      );
    }, 120_000);
  },
);

describe('the command line', () => {
  it('diff and report take --widen and --binary as generate does: the same help and defaults', () => {
    const program = buildProgram();
    const option = (command: string, flag: string) => {
      const found = program.commands
        .find((candidate) => candidate.name() === command)
        ?.options.find((candidate) => candidate.long === flag);
      return (
        found && { description: found.description, default: found.defaultValue, choices: found.argChoices }
      );
    };
    for (const flag of ['--widen', '--binary']) {
      expect(option('generate', flag)).toBeDefined();
      expect(option('diff', flag)).toEqual(option('generate', flag));
      expect(option('report', flag)).toEqual(option('generate', flag));
    }
    expect(option('diff', '--widen')?.default).toBe('auto');
    expect(option('diff', '--why')).toBeDefined();
  });
});
