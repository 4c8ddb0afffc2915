import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, ROOT } from '../helpers/cli.js';

const samples = join(ROOT, 'samples/traces');
let dir: string;
let shell: string;
let container: string;

/** Real recordings: a busybox shell traced with strace -c, and a busybox container learnt from audit.log. */
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sl-merge-'));
  shell = join(dir, 'shell');
  container = join(dir, 'container');
  const a = await cli([
    'from-strace',
    join(samples, 'strace-c-busybox-sh.txt'),
    '-o',
    shell,
    '--runtime',
    'none',
  ]);
  expect(a.exitCode, a.stderr).toBe(0);
  const b = await cli(['from-audit', join(samples, 'audit-docker-busybox.log'), '-o', container]);
  expect(b.exitCode, b.stderr).toBe(0);
});

const read = async (path: string) => JSON.parse(await readFile(path, 'utf8'));

describe('merge', () => {
  it('sums recordings and says how many runs saw each syscall', async () => {
    const out = join(dir, 'merged.recording.json');
    const result = await cli([
      'merge',
      `${shell}.recording.json`,
      `${container}.recording.json`,
      `${shell}.recording.json`,
      '-o',
      out,
    ]);
    expect(result.exitCode, result.stderr).toBe(0);
    const [s, c, m] = await Promise.all([
      read(`${shell}.recording.json`),
      read(`${container}.recording.json`),
      read(out),
    ]);
    expect(m.runs).toBe(3);
    expect(m.provenance).toHaveLength(3);
    for (const name of new Set([...Object.keys(s.abis.x86_64), ...Object.keys(c.abis.x86_64)])) {
      const inShell = s.abis.x86_64[name];
      const inContainer = c.abis.x86_64[name];
      // Audit records (the container's run) cannot show errors: where they saw a call, errors are unknown.
      expect(m.abis.x86_64[name]).toEqual({
        calls: 2 * (inShell?.calls ?? 0) + (inContainer?.calls ?? 0),
        ...(inContainer ? {} : { errors: 2 * (inShell?.errors ?? 0) }),
        runs: (inShell ? 2 : 0) + (inContainer ? 1 : 0),
      });
    }
    expect(result.stderr).toMatch(/│ prctl\s+│ x86_64 │\s+\d+ │\s+\? │\s+3\/3 │/);
    expect(result.stderr).toMatch(/│ capset\s+│ x86_64 │\s+\d+ │\s+\? │\s+1\/3 │/);
    expect(result.stderr).toMatch(/│ uname\s+│ x86_64 │\s+\d+ │\s+│\s+2\/3 │/);
    expect(result.stderr).toMatch(/│ rt_sigaction\s+│ x86_64 │\s+\d+ │\s+\? │\s+3\/3 │/);
    // Rules under the header and above the totals; the unknown errors explained under the table.
    expect(result.stderr).toMatch(/│ syscall\s+│ ABI\s+│ calls │ errors │ runs │\n├─+┼/);
    expect(result.stderr).toMatch(/\n├─+┼[─┼]+┤\n│ \d+ syscalls/);
    expect(result.stderr).toMatch(/│ \d+ syscalls\s+│ x86_64 │\s+\d+ │\s+\? │/);
    expect(result.stderr).toContain('? errors unknown: audit records show that a call was made');
  });

  it('refuses to overwrite an input and to mix recordings with profiles', async () => {
    const own = await cli([
      'merge',
      `${shell}.recording.json`,
      `${container}.recording.json`,
      '-o',
      `${shell}.recording.json`,
    ]);
    expect(own.exitCode).toBe(2);
    expect(own.stderr).toContain('it is one of the inputs');
    const mixed = await cli([
      'merge',
      `${shell}.recording.json`,
      `${container}.profile.json`,
      '-o',
      join(dir, 'x.json'),
    ]);
    expect(mixed.exitCode).toBe(2);
    expect(mixed.stderr).toContain('is a profile; merge recordings with recordings');
  });

  it('--check passes when the profile covers the runs and lists the gaps when it does not', async () => {
    const covered = await cli([
      'merge',
      '--check',
      `${container}.profile.json`,
      `${container}.recording.json`,
    ]);
    expect(covered.exitCode, covered.stderr).toBe(0);
    const gaps = await cli([
      'merge',
      '--check',
      '--json',
      `${container}.profile.json`,
      `${shell}.recording.json`,
    ]);
    expect(gaps.exitCode).toBe(1);
    const report = JSON.parse(gaps.stdout);
    const s = await read(`${shell}.recording.json`);
    const c = await read(`${container}.profile.json`);
    const missing = Object.keys(s.abis.x86_64).filter((name) => !c.syscalls[0].names.includes(name));
    expect(missing.length).toBeGreaterThan(0);
    expect(report.gaps.map((gap: { name: string }) => gap.name).sort()).toEqual(missing.sort());
    expect(report.gaps[0]).toMatchObject({ abi: 'x86_64', problem: 'denied', detail: 'fails with EPERM(1)' });
  });
});

describe('diff', () => {
  it('counts the exit path as needed, as generate and report do, though strace -c never shows it', async () => {
    const recording = await read(`${shell}.recording.json`);
    expect(recording.abis.x86_64.exit_group).toBeUndefined();
    const diff = JSON.parse((await cli(['diff', `${shell}.recording.json`, '--json'])).stdout);
    const entries: { name: string; status: string; usage?: { calls?: number } }[] = diff.abis[0].diff.entries;
    for (const name of ['exit', 'exit_group']) {
      expect(
        entries.find((entry) => entry.name === name),
        name,
      ).toMatchObject({ status: 'allowed' });
    }
    const text = await cli(['diff', `${shell}.recording.json`]);
    const unused = /allows and this profile does not\n([\s\S]*?)(\n\S|$)/.exec(text.stderr)?.[1] ?? '';
    expect(unused).not.toMatch(/\bexit(_group)?\b/);
    const report = JSON.parse((await cli(['report', `${shell}.recording.json`, '--format', 'json'])).stdout);
    expect(report.comparison.abis[0].removed).not.toContain('exit_group');
    expect(report.comparison.abis[0].removed).not.toContain('exit');
  });

  it('--arch means the host to judge for in diff and report alike: the ABIs that host runs', async () => {
    const { writeFile } = await import('node:fs/promises');
    const recording = await read(`${shell}.recording.json`);
    recording.abis.x86 = {
      read: { calls: 2, errors: 0, runs: 1 },
      _llseek: { calls: 1, errors: 0, runs: 1 },
    };
    const mixed = join(dir, 'mixed.recording.json');
    await writeFile(mixed, JSON.stringify(recording));
    for (const arch of [[], ['--arch', 'x86_64']]) {
      const diff = await cli(['diff', mixed, '--json', '--kernel', '6.1', ...arch]);
      expect(diff.exitCode, diff.stderr).toBe(0);
      const report = await cli(['report', mixed, '--format', 'json', '--kernel', '6.1', ...arch]);
      expect(report.exitCode, report.stderr).toBe(0);
      const diffAbis = JSON.parse(diff.stdout).abis.map((abi: { diff: { abi: string } }) => abi.diff.abi);
      const reportJson = JSON.parse(report.stdout);
      expect(diffAbis, arch.join(' ')).toEqual(['x86_64', 'x86']);
      expect(reportJson.comparison.abis.map((abi: { abi: string }) => abi.abi)).toEqual(diffAbis);
      expect(reportJson.comparison.hostAbi).toBe('x86_64');
      expect(JSON.parse(diff.stdout).abis[1].diff.reference.hostAbi).toBe('x86_64');
    }
    const elsewhere = await cli(['diff', mixed, '--arch', 'aarch64']);
    expect(elsewhere.exitCode).toBe(2);
    expect(elsewhere.stderr).toMatch(/nothing to compare on the ABIs of a aarch64 host/);
    const help = [(await cli(['diff', '--help'])).stdout, (await cli(['report', '--help'])).stdout].map(
      (text) => /--arch <abi>([\s\S]*?)\n {2}--/.exec(text)?.[1]?.replace(/\s+/g, ' '),
    );
    expect(help[0]).toContain('the native ABI of the host to judge for');
    expect(help[0]).toBe(help[1]);
    // Seven runs of the CLI: on a loaded 2-CPU machine they take longer than one test's default.
  }, 60_000);

  it('against Docker: every needed syscall gets a status and the headline adds up', async () => {
    const result = await cli([
      'diff',
      `${container}.recording.json`,
      '--widen',
      'none',
      '--json',
      '--kernel',
      '6.1',
    ]);
    expect(result.exitCode, result.stderr).toBe(0);
    const comparison = JSON.parse(result.stdout);
    expect(comparison.reference.name).toBe('docker');
    const [x86] = comparison.abis;
    // What was observed, plus the exit path every profile allows.
    const needed = [
      ...new Set([
        ...Object.keys((await read(`${container}.recording.json`)).abis.x86_64),
        'exit',
        'exit_group',
      ]),
    ];
    const statusOf = new Map(
      x86.diff.entries.map((entry: { name: string; status: string }) => [entry.name, entry.status]),
    );
    for (const name of needed) expect(['allowed', 'conditional', 'denied']).toContain(statusOf.get(name));
    expect(x86.diff.headline.workloadAllows).toBe(needed.length);
    expect(x86.diff.headline.referenceAllows).toBe(309);
    expect(x86.diff.headline.percentFewer).toBe(Math.round((1000 * (309 - needed.length)) / 309) / 10);
    expect(x86.diff.counts.unneeded).toBe(309 - x86.diff.counts.allowed - x86.diff.counts.conditional);
  });

  it('names the capability that would allow a denied call, and honours --cap-add', async () => {
    const profile = join(dir, 'mounting.json');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      profile,
      JSON.stringify({
        defaultAction: 'SCMP_ACT_ERRNO',
        syscalls: [{ names: ['mount', 'read', 'clone3'], action: 'SCMP_ACT_ALLOW' }],
      }),
    );
    const json = JSON.parse((await cli(['diff', profile, '--json', '--arch', 'x86_64'])).stdout);
    const entries = json.abis[0].diff.entries;
    expect(entries.find((e: { name: string }) => e.name === 'mount')).toMatchObject({
      status: 'denied',
      unlockedBy: [{ capabilities: ['CAP_SYS_ADMIN'], verdict: 'allowed' }],
    });
    expect(entries.find((e: { name: string }) => e.name === 'clone3')).toMatchObject({
      status: 'denied',
      errnoName: 'ENOSYS',
    });
    expect(entries.find((e: { name: string }) => e.name === 'read')).toMatchObject({ status: 'allowed' });
    const withAdmin = JSON.parse((await cli(['diff', profile, '--json', '--cap-add', 'SYS_ADMIN'])).stdout);
    expect(withAdmin.abis[0].diff.entries.find((e: { name: string }) => e.name === 'mount').status).toBe(
      'allowed',
    );
    const markdown = (await cli(['diff', profile, '--markdown'])).stdout;
    expect(markdown).toContain('| `mount` |  | EPERM | CAP\\_SYS\\_ADMIN |');
    expect(markdown).toContain('#### Dangerous syscalls');
    const text = await cli(['diff', profile]);
    expect(text.stderr).toMatch(/x86_64: 3 allowed vs \d+ in Docker's default, \d+ fewer \(\d+(\.\d)?%\)/);
  });

  it('between two profiles: what the second adds and removes', async () => {
    const result = await cli(['diff', `${container}.profile.json`, `${shell}.profile.json`, '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    const diff = JSON.parse(result.stdout);
    const before: string[] = (await read(`${container}.profile.json`)).syscalls[0].names;
    const after: string[] = (await read(`${shell}.profile.json`)).syscalls[0].names;
    expect(diff.abis[0].added).toEqual(after.filter((name) => !before.includes(name)).sort());
    expect(diff.abis[0].removed).toEqual(before.filter((name) => !after.includes(name)).sort());
  });

  it("between two profiles with argument rules: both sides of each rule, and against Docker's default", async () => {
    // Two Python runs traced with strace -f: AF_UNIX sockets in one, AF_INET in the other.
    const learned = async (trace: string, name: string) => {
      const prefix = join(dir, name);
      const made = await cli(['from-strace', join(samples, trace), '-o', prefix, '--runtime', 'none']);
      expect(made.exitCode, made.stderr).toBe(0);
      return `${prefix}.profile.json`;
    };
    const unix = await learned('strace-f-python-arguments-unix.txt', 'args-unix');
    const inet = await learned('strace-f-tt-T-yy-python-sockets.txt', 'args-inet');
    const text = await cli(['diff', inet, unix]);
    expect(text.exitCode, text.stderr).toBe(0);
    // The text form goes to stderr (stdout stays for --json and --markdown).
    expect(text.stderr).toContain(
      'changed socket: only when arg0 (domain) is AF_INET(2) → only when arg0 (domain) is AF_UNIX(1)',
    );
    const json = JSON.parse((await cli(['diff', inet, unix, '--json'])).stdout);
    const [x86_64] = json.abis;
    expect(x86_64.changed.find((change: { name: string }) => change.name === 'socket')).toMatchObject({
      from: { verdict: 'conditional', condition: 'only when arg0 (domain) is AF_INET(2)' },
      to: { verdict: 'conditional', condition: 'only when arg0 (domain) is AF_UNIX(1)' },
    });
    const markdown = (await cli(['diff', inet, unix, '--markdown'])).stdout;
    expect(markdown).toContain(
      'only when arg0 (domain) is AF\\_INET(2) → only when arg0 (domain) is AF\\_UNIX(1)',
    );
    // Docker's default given as a profile: its own argument rule on the other side.
    const docker = await cli(['diff', unix, join(ROOT, 'data/reference/docker-default.json')]);
    expect(docker.exitCode, docker.stderr).toBe(0);
    expect(docker.stderr).toContain(
      'changed socket: only when arg0 (domain) is AF_UNIX(1) → only when arg0 (domain) is neither AF_ALG(38) nor AF_VSOCK(40)',
    );
  }, 60_000);

  it('rejects an unknown reference, ABI and kernel clearly', async () => {
    expect((await cli(['diff', `${shell}.profile.json`, '--arch', 'vax'])).stderr).toContain(
      '--arch vax: not an ABI',
    );
    expect((await cli(['diff', `${shell}.profile.json`, '--kernel', 'new'])).stderr).toContain(
      '--kernel new: expected a version',
    );
    const missing = await cli(['diff', `${shell}.profile.json`, '--against', join(dir, 'nope.json')]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('nope.json');
  });
});
