import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { diffAgainstReference } from '../../src/diff/diff.js';
import { DANGEROUS_SYSCALLS } from '../../src/diff/risk.js';
import { evaluateProfile } from '../../src/profile/evaluate.js';
import { generateProfile } from '../../src/profile/generate.js';
import { needsOfRecording } from '../../src/profile/needs.js';
import type { Recording } from '../../src/recording/model.js';
import { loadReference } from '../../src/reference/builtin.js';
import { DOCKER_DEFAULT_CAPABILITIES } from '../../src/reference/capabilities.js';
import { escapeHtml } from '../../src/report/charts.js';
import type { ReviewReport } from '../../src/report/model.js';
import { type Abi, hostAbi } from '../../src/syscalls/abi.js';
import { hostKernel } from '../../src/syscalls/kernel.js';
import { cli, ROOT } from '../helpers/cli.js';

/**
 * Reports on real recordings, made by the CLI from the captured traces in samples/: a busybox shell
 * under strace -c, a busybox container learnt from audit.log, the same container seen through a
 * rate-limited dmesg (lost records), and a Python socket script traced with strace -f.
 */
const samples = join(ROOT, 'samples/traces');
let dir: string;
const files = { shell: '', container: '', lost: '', python: '' };
const recordings = {} as Record<keyof typeof files, Recording>;
const reports: Record<'md' | 'html' | 'json' | 'text', string> = { md: '', html: '', json: '', text: '' };
let report: ReviewReport;

async function learn(command: string, sample: string, name: keyof typeof files, ...extra: string[]) {
  const prefix = join(dir, name);
  const result = await cli([command, join(samples, sample), '-o', prefix, ...extra]);
  expect(result.exitCode, result.stderr).toBe(0);
  files[name] = `${prefix}.recording.json`;
  recordings[name] = JSON.parse(await readFile(files[name], 'utf8'));
}

async function reportJson(args: string[]): Promise<ReviewReport> {
  const result = await cli(['report', ...args, '--format', 'json']);
  expect(result.exitCode, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}

/**
 * What the report must agree with: the generated profile against Docker's default, computed
 * directly; widened as `--widen auto` widens a recording that names no binary, by equivalents.
 */
async function expectedDiff(recording: Recording, runtime: 'runc' | 'none', abi: Abi = hostAbi()) {
  const { profile } = generateProfile(needsOfRecording(recording), {
    defaultAction: 'errno',
    runtime,
    allow: [],
    deny: [],
    widen: 'equivalents',
  });
  const docker = await loadReference('docker');
  const evaluated = evaluateProfile(docker.profile, {
    abi,
    hostAbi: hostAbi(),
    capabilities: new Set(DOCKER_DEFAULT_CAPABILITIES),
    kernel: hostKernel(),
    dialect: docker.dialect,
  });
  const names = new Set(
    (profile.syscalls ?? []).filter((rule) => rule.action === 'SCMP_ACT_ALLOW').flatMap((rule) => rule.names),
  );
  const ours = evaluateProfile(profile, { ...evaluated.target, abi });
  return { profile, diff: diffAgainstReference({ abi, syscalls: names, profile: ours }, evaluated) };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sl-report-'));
  await learn('from-strace', 'strace-c-busybox-sh.txt', 'shell');
  await learn('from-audit', 'audit-docker-busybox.log', 'container');
  await learn('from-audit', 'dmesg-ratelimited.txt', 'lost', '--allow-incomplete');
  await learn('from-strace', 'strace-f-tt-T-yy-python-sockets.txt', 'python');
  for (const format of ['md', 'html', 'json', 'txt'] as const) {
    const out = join(dir, `shell.${format}`);
    const result = await cli(['report', files.shell, '-o', out]);
    expect(result.exitCode, result.stderr).toBe(0);
    reports[format === 'txt' ? 'text' : format] = await readFile(out, 'utf8');
  }
  report = JSON.parse(reports.json);
});

describe('report on a busybox shell traced with strace -c', () => {
  it('gives the same headline numbers as diffAgainstReference', async () => {
    const { diff } = await expectedDiff(recordings.shell, 'runc');
    expect(report.comparison.abis).toHaveLength(1);
    expect(report.comparison.abis[0]?.headline).toEqual(diff.headline);
    expect(report.comparison.abis[0]?.counts).toEqual(diff.counts);
    const { workloadAllows, referenceAllows, fewer, percentFewer } = diff.headline;
    expect(workloadAllows).toBeGreaterThan(23);
    expect(referenceAllows).toBeGreaterThan(250);
    const headline = `${workloadAllows} allowed vs ${referenceAllows} in Docker's default, ${fewer} fewer (${percentFewer}%)`;
    expect(reports.md).toContain(`**${headline}; at least as strict as Docker's default`);
    expect(reports.text).toContain(headline);
    expect(reports.html).toContain(`<div class="num">${workloadAllows}</div>`);
    expect(reports.html).toContain(`<div class="num">${referenceAllows}</div>`);
    expect(reports.html).toContain(`<div class="num">${percentFewer}%</div>`);
  });

  it('lists exactly the recorded syscalls as observed, with their counts, grouped', () => {
    const table = recordings.shell.abis.x86_64 ?? {};
    const rows = report.syscalls[0]?.groups.flatMap((group) => group.syscalls) ?? [];
    const observed = rows.filter((row) => row.reason.kind === 'observed');
    expect(observed.map((row) => row.name).sort()).toEqual(Object.keys(table).sort());
    for (const row of observed) {
      expect(row).toMatchObject({ calls: table[row.name]?.calls, errors: 0, runs: 1, allowed: true });
      expect(reports.md).toMatch(
        new RegExp(`\\| \`${row.name}\` \\| ${row.calls} \\|  \\| 1/1 \\| observed \\|`),
      );
      expect(reports.text).toMatch(new RegExp(`│ ${row.name}\\s+│\\s+${row.calls} │\\s+│\\s+1/1 │ observed`));
      expect(reports.html).toContain(`<code>${row.name}</code>`);
    }
    expect(report.recorded?.totals).toEqual({ calls: 55, errors: 0, syscalls: 23 });
    expect(report.syscalls[0]?.groups.map((group) => group.id)).toEqual(
      expect.arrayContaining(['process', 'memory', 'file-system', 'basic-io', 'signals']),
    );
    expect(reports.md).toContain('**Files and directories**');
    expect(reports.html).toContain('Files and directories');
  });

  it('says which names the runtime baseline added rather than observed', async () => {
    const { profile } = await expectedDiff(recordings.shell, 'runc');
    const observed = new Set(Object.keys(recordings.shell.abis.x86_64 ?? {}));
    const assumed = (profile.syscalls?.[0]?.names ?? []).filter((name) => !observed.has(name));
    expect(report.profile.assumed.map((name) => name.name)).toEqual(assumed);
    expect(report.profile.assumed.find((name) => name.name === 'capset')?.reason).toMatchObject({
      kind: 'baseline',
      runtime: 'runc',
      versions: expect.arrayContaining([expect.stringMatching(/^runc /)]),
    });
    expect(report.profile.assumed.find((name) => name.name === 'exit')?.reason).toEqual({ kind: 'always' });
    const baseline = report.profile.assumed.filter((name) => name.reason.kind === 'baseline');
    expect(baseline.length).toBeGreaterThan(0);
    expect(report.warnings).toContainEqual(
      expect.objectContaining({ code: 'assumed-baseline', derived: true, count: baseline.length }),
    );
    expect(reports.md).toMatch(/\| `capset` \| {2}\| {2}\| {2}\| runc runtime baseline \| allowed \|/);
    expect(reports.md).toContain(`Added by the runc runtime baseline, not observed (${baseline.length}): `);
    expect(reports.md).toContain(
      'Always allowed so that a refused process can still exit, not observed (1): `exit`',
    );
    expect(reports.text).toContain('assumed-baseline');
    expect(reports.html).toContain('runtime baseline');
  });

  it('says what was recorded: source, host, runs, tool version', () => {
    expect(report.recorded).toMatchObject({
      runs: 1,
      sources: ['strace-summary'],
      hosts: [{ arch: hostAbi() }],
      abis: ['x86_64'],
      seccompLearnVersions: ['0.1.0'],
      subjects: [{ kind: 'input', text: join(samples, 'strace-c-busybox-sh.txt'), runs: 1 }],
    });
    for (const text of [reports.md, reports.text, reports.html]) {
      expect(text).toContain('strace-summary');
      expect(text).toContain(recordings.shell.provenance[0]?.host.kernel);
      expect(text).toContain('seccomp-learn 0.1.0');
    }
  });

  it('names the dangerous syscalls kept and removed, with what to check', () => {
    const removed = report.risks.removed.map((risk) => risk.name);
    expect(removed).toEqual(expect.arrayContaining(['ptrace', 'personality', 'clone']));
    for (const name of removed) expect(DANGEROUS_SYSCALLS.has(name)).toBe(true);
    expect(report.risks.needed).toEqual([]);
    const ptrace = DANGEROUS_SYSCALLS.get('ptrace');
    expect(reports.md).toContain('| `ptrace` | process-access |');
    expect(reports.html).toContain(escapeHtml(ptrace?.risk ?? '-'));
    expect(reports.text).toContain('ptrace');
  });

  it('lists what the profile removes relative to Docker', () => {
    const abi = report.comparison.abis[0];
    expect(abi?.removed).toHaveLength(abi?.counts.unneeded ?? -1);
    expect(abi?.counts.unneeded).toBe((abi?.headline.referenceAllows ?? 0) - (abi?.counts.allowed ?? 0));
    expect(abi?.removed).toContain('socket');
    expect(reports.md).toContain(`<b>Removed:</b> ${abi?.removed.length} syscalls Docker's default allows`);
    expect(reports.html).toContain(`Removed: ${abi?.removed.length} syscalls Docker`);
  });

  it('shows the profile and how to apply it with Docker, Podman, runc and Kubernetes', async () => {
    const generated = await cli(['generate', files.shell]);
    expect(report.profile.document).toEqual(JSON.parse(generated.stdout));
    expect(reports.md).toContain('```json\n{\n  "defaultAction": "SCMP_ACT_ERRNO"');
    expect(reports.md).toContain('<details>');
    for (const text of [reports.md, reports.text].map((report) => report.replace(/ \\\n\s+/g, ' '))) {
      expect(text).toContain(`seccomp-learn generate ${files.shell} -o shell.json`);
      expect(text).toContain('docker run --security-opt seccomp=shell.json IMAGE');
      expect(text).toContain('podman run --security-opt seccomp=shell.json IMAGE');
      expect(text).toContain('--format oci');
      expect(text).toContain('linux');
      expect(text).toContain('/var/lib/kubelet/seccomp/profiles/shell.json');
      expect(text).toContain('type: Localhost');
      expect(text).toContain('localhostProfile: profiles/shell.json');
      expect(text).toContain('--format spo');
    }
    expect(reports.html).toContain('docker run --security-opt seccomp=shell.json IMAGE');
  });

  it('writes a self-contained HTML page with SVG charts and no remote resources', () => {
    const { html } = reports;
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.match(/<svg /g)?.length).toBeGreaterThanOrEqual(3);
    expect(html).toContain('Most-called syscalls');
    expect(html).toContain('@media print');
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/\b(src|href)\s*=/i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link/i);
  });

  it('writes plain text without colour codes when NO_COLOR is set', () => {
    expect(reports.text).not.toContain('\u001b[');
    expect(reports.text).toContain('┌');
  });
});

describe('report on several recordings and with options', () => {
  it('merges runs, counts runs-seen and carries every warning', async () => {
    const merged = await reportJson([files.container, files.lost]);
    expect(merged.recorded?.runs).toBe(2);
    const rows = merged.syscalls[0]?.groups.flatMap((group) => group.syscalls) ?? [];
    const openat = rows.find((row) => row.name === 'openat');
    expect(openat?.runs).toBe(2);
    expect(openat?.calls).toBe(
      (recordings.container.abis.x86_64?.openat?.calls ?? 0) +
        (recordings.lost.abis.x86_64?.openat?.calls ?? 0),
    );
    const lost = merged.warnings.filter((warning) => warning.code === 'lost-records');
    expect(lost).toHaveLength(recordings.lost.warnings.length);
    expect(lost[0]).toMatchObject({ derived: false, count: 132, line: 1 });
    // Audit records include the runtime's calls of those runs; the runc baseline covers the ones that vary
    // from run to run, and the report says which names are there by assumption.
    expect(merged.profile.runtime).toBe('runc');
    expect(merged.warnings.map((warning) => warning.code)).toContain('assumed-baseline');
    const md = await cli(['report', files.container, files.lost, '--format', 'md']);
    expect(md.stdout).toContain('**lost-records**');
    expect(md.stdout).toContain('the kernel suppressed 132 audit message(s)');
    expect(md.stdout).toContain('| `openat` |');
    expect(md.stdout).toMatch(/\| `openat` \| \d+ \| \? \| 2\/2 \|/);
    expect(md.stdout).toContain('? errors unknown: audit records show that a call was made');
    const html = await cli(['report', files.container, files.lost, '--format', 'html']);
    expect(html.stdout).toContain('lost-records');
    const { diff } = await expectedDiff(await mergedRecording(), 'runc');
    expect(merged.comparison.abis[0]?.headline).toEqual(diff.headline);
  });

  it('names what the workload needs that Docker denies, and the capability that allows it', async () => {
    // Names only: the profile allows clone3 as observed, and Docker's default denies it.
    const python = await reportJson([files.python, '--args', 'none']);
    const denied = python.comparison.abis[0]?.denied ?? [];
    expect(denied.map((entry) => entry.name)).toEqual(['clone3']);
    expect(denied[0]).toMatchObject({
      outcomeText: 'fails with ENOSYS(38)',
      unlockedBy: [{ capabilities: ['CAP_SYS_ADMIN'], verdict: 'allowed' }],
      observed: true,
    });
    // clone is added as Docker allows it, without namespace flags: conditional on both sides.
    expect(python.comparison.abis[0]?.conditional.map((entry) => entry.name)).toEqual(['clone', 'socket']);
    expect(python.risks.needed.map((risk) => risk.name)).toEqual(['clone', 'clone3', 'socket']);
    const md = await cli(['report', files.python, '--args', 'none']);
    expect(md.stdout).toContain('| `clone3` | fails with ENOSYS(38) | CAP\\_SYS\\_ADMIN | yes |');
    const added = await reportJson([
      files.python,
      '--args',
      'none',
      '--cap-add',
      'SYS_ADMIN',
      '--kernel',
      '5.4',
    ]);
    expect(added.comparison.abis[0]?.denied).toEqual([]);
    expect(added.comparison).toMatchObject({ capAdd: ['SYS_ADMIN'], kernel: '5.4', kernelFrom: 'option' });
    expect(added.comparison.capabilities).toContain('CAP_SYS_ADMIN');
    // Arguments learned (the default): clone3 fails with ENOSYS as in Docker's default, and socket
    // is allowed for the one family the trace shows.
    const learned = await reportJson([files.python]);
    expect(learned.comparison.abis[0]?.denied).toEqual([]);
    expect(learned.risks.needed.map((risk) => risk.name)).toEqual(['clone', 'socket']);
    expect(learned.comparison.abis[0]?.headline.looser).toEqual([]);
  });

  it('warns about a 32-bit ABI in use and compares it too', async () => {
    const recording: Recording = structuredClone(recordings.shell);
    recording.abis.x86 = {
      read: { calls: 3, errors: 0, runs: 1 },
      exit_group: { calls: 1, errors: 0, runs: 1 },
    };
    const file = join(dir, 'compat.recording.json');
    await writeFile(file, JSON.stringify(recording));
    const compat = await reportJson([file]);
    expect(compat.warnings).toContainEqual(
      expect.objectContaining({ code: 'compat-abi', abi: 'x86', count: 4, derived: true }),
    );
    expect(compat.syscalls.map((abi) => [abi.abi, abi.native])).toEqual([
      ['x86_64', true],
      ['x86', false],
    ]);
    expect(compat.comparison.abis.map((abi) => abi.abi)).toEqual(['x86_64', 'x86']);
    expect(compat.profile.architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86']);
  });

  it('reviews a given profile against the recordings, and a profile alone', async () => {
    const profile = files.container.replace('.recording.json', '.profile.json');
    const withProfile = await reportJson([files.shell, profile]);
    expect(withProfile.profile).toMatchObject({ origin: 'file', file: profile, name: 'container' });
    // The container's profile lacks calls the shell made: the report says so.
    const refused = withProfile.warnings.find((warning) => warning.code === 'profile-denies-observed');
    expect(refused?.message).toContain('sendfile');
    const alone = await reportJson([profile]);
    expect(alone.recorded).toBeUndefined();
    expect(alone.warnings.map((warning) => warning.code)).toEqual(['no-recording']);
    expect(
      alone.syscalls[0]?.groups
        .flatMap((group) => group.syscalls)
        .every((row) => row.reason.kind === 'profile-file'),
    ).toBe(true);
    const html = await cli(['report', profile, '--format', 'html']);
    expect(html.stdout).toContain('No recording was given');
  });

  it('escapes what the recording says in every format', async () => {
    const recording: Recording = structuredClone(recordings.shell);
    recording.provenance = [
      {
        ...(recording.provenance[0] as Recording['provenance'][number]),
        command: ['sh', '-c', '<script>x()</script> | `a`'],
      },
    ];
    const file = join(dir, 'evil.recording.json');
    await writeFile(file, JSON.stringify(recording));
    const html = await cli(['report', file, '--format', 'html']);
    expect(html.stdout).not.toContain('<script>');
    expect(html.stdout).toContain('&lt;script&gt;x()&lt;/script&gt;');
    const md = await cli(['report', file, '--format', 'md']);
    // Inside a code span the markup is shown, not interpreted; it appears nowhere else.
    const raw = md.stdout.split('\n').filter((line) => line.includes('<script>'));
    expect(raw.map((line) => line.slice(0, line.indexOf('``') + 2))).toEqual([
      '## Seccomp review: ``',
      '| Workload | ``',
    ]);
    // The fence is longer than the backtick run inside, padded where the text ends in a backtick;
    // in a table cell the pipe is escaped for the table, elsewhere it stays as it is.
    expect(md.stdout).toContain('## Seccomp review: `` sh -c <script>x()</script> | `a` ``\n');
    expect(md.stdout).toContain('| Workload | `` sh -c <script>x()</script> \\| `a` `` |');
  });

  it('chooses the format: --format, else the extension, else Markdown when piped', async () => {
    const piped = await cli(['report', files.shell]);
    expect(piped.stdout.startsWith('## Seccomp review:')).toBe(true);
    const unknown = await cli(['report', files.shell, '-o', join(dir, 'report.pdf')]);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('cannot tell the report format');
    const forced = await cli(['report', files.shell, '-o', join(dir, 'report.pdf'), '--format', 'html']);
    expect(forced.exitCode, forced.stderr).toBe(0);
    expect(await readFile(join(dir, 'report.pdf'), 'utf8')).toContain('<!doctype html>');
  });

  it('refuses bad inputs and never writes over an input', async () => {
    const profile = files.container.replace('.recording.json', '.profile.json');
    const twoProfiles = await cli(['report', profile, profile]);
    expect(twoProfiles.exitCode).toBe(2);
    expect(twoProfiles.stderr).toContain('at most one profile');
    const overInput = await cli(['report', files.shell, '-o', files.shell, '--format', 'json']);
    expect(overInput.exitCode).toBe(2);
    expect(overInput.stderr).toContain('it is one of the inputs');
    const neither = join(dir, 'neither.json');
    await writeFile(neither, '{"hello": 1}');
    const bad = await cli(['report', neither]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('neither a recording');
    const arch = await cli(['report', files.shell, '--arch', 'vax']);
    expect(arch.stderr).toContain('--arch vax');
  });
});

async function mergedRecording(): Promise<Recording> {
  const out = join(dir, 'merged.recording.json');
  const result = await cli(['merge', files.container, files.lost, '-o', out]);
  expect(result.exitCode, result.stderr).toBe(0);
  return JSON.parse(await readFile(out, 'utf8'));
}
