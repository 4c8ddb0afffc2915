import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, ROOT } from '../helpers/cli.js';

const samples = join(ROOT, 'samples/traces');
const actions = join(samples, 'audit-docker-busybox-actions.log');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sl-audit-'));
});

async function learn(args: string[]) {
  const prefix = join(dir, `r${Math.random().toString(36).slice(2)}`);
  const result = await cli(['from-audit', ...args, '-o', prefix, '--json']);
  const recording =
    result.exitCode === 2 ? undefined : JSON.parse(await readFile(`${prefix}.recording.json`, 'utf8'));
  return { result, recording };
}

/** Calls per syscall name across ABIs, from the recording a command wrote. */
const calls = (recording: { abis: Record<string, Record<string, { calls: number }>> }) =>
  Object.fromEntries(
    Object.values(recording.abis).flatMap((table) => Object.entries(table).map(([n, s]) => [n, s.calls])),
  );

describe('from-audit on real captures', () => {
  it('learns the complain-mode records by default and the refused ones with --action', async () => {
    const logged = await learn([actions]);
    expect(logged.result.exitCode, logged.result.stderr).toBe(0);
    const total = Object.values(calls(logged.recording)).reduce((sum, n) => sum + n, 0);
    expect(total).toBe(199); // 200 SECCOMP records, one of them the KILL_PROCESS of sethostname
    expect(calls(logged.recording).sethostname).toBeUndefined();
    // Logged calls went through: whether they failed is not in the records, so errors are unknown.
    for (const stats of Object.values(logged.recording.abis.x86_64 as Record<string, object>))
      expect(stats).not.toHaveProperty('errors');
    const killed = await learn([actions, '--action', 'kill']);
    expect(calls(killed.recording)).toEqual({ sethostname: 1 });
    expect(killed.recording.abis.x86_64.sethostname.errors).toBe(1);
    const all = await learn([actions, '--action', 'all']);
    expect(Object.values(calls(all.recording)).reduce((sum, n) => sum + n, 0)).toBe(200);
  });

  it('ausearch -i of a glibc program: pread and pwrite are learned as pread64 and pwrite64', async () => {
    const { result, recording } = await learn([
      join(samples, 'audit-docker-prw-ausearch-i.log'),
      '--comm',
      'prw',
    ]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(recording.abis.x86_64.pread64.calls).toBe(1);
    expect(recording.abis.x86_64.pwrite64.calls).toBe(1);
    expect(recording.abis.x86_64.pread).toBeUndefined();
    const profile = JSON.parse(await readFile(JSON.parse(result.stdout).profile, 'utf8'));
    expect(profile.syscalls[0].names).toEqual(expect.arrayContaining(['pread64', 'pwrite64']));
  });

  it('says why --action errno finds nothing, and what works instead', async () => {
    // The capture's container refused calls with ERRNO, yet the log holds no ERRNO record.
    for (const action of ['errno', 'trap']) {
      const none = await learn([actions, '--action', action]);
      expect(none.result.exitCode).toBe(2);
      expect(none.result.stderr).toContain(
        `The kernel logs SCMP_ACT_${action.toUpperCase()} results only for a filter loaded with SECCOMP_FILTER_FLAG_LOG`,
      );
      expect(none.result.stderr).toContain('seccomp-learn merge --check PROFILE RECORDING');
    }
    const kill = await learn([actions, '--action', 'kill', '--since', '1795430542.580']);
    expect(kill.result.stderr).not.toContain('SECCOMP_FILTER_FLAG_LOG');
    const help = await cli(['from-audit', '--help']);
    // Option descriptions are wrapped to the terminal's width.
    expect(help.stdout.replace(/\s+/g, ' ')).toContain(
      'errno/trap (logged only for filters loaded with SECCOMP_FILTER_FLAG_LOG',
    );
    expect(help.stdout).toContain('What did my profile refuse?');
    expect(help.stdout).toContain('seccomp-learn merge --check myprofile.json today.recording.json');
  });

  it('filters by process, command, executable and time', async () => {
    const runc = await learn([actions, '--comm', 'runc:[2:INIT]']);
    expect(Object.values(calls(runc.recording)).reduce((sum, n) => sum + n, 0)).toBe(155);
    const mkdir = await learn([actions, '--comm', 'mkdir']);
    expect(Object.values(calls(mkdir.recording)).reduce((sum, n) => sum + n, 0)).toBe(2);
    const busybox = await learn([actions, '--exe', '/bin/busybox', '--action', 'all']);
    expect(Object.values(calls(busybox.recording)).reduce((sum, n) => sum + n, 0)).toBe(45);
    const hostname = await learn([actions, '--pid', '8408', '--action', 'all']);
    expect(Object.values(calls(hostname.recording)).reduce((sum, n) => sum + n, 0)).toBe(5);
    expect(calls(hostname.recording).sethostname).toBe(1);
    const none = await learn([actions, '--since', '1795430542.580']);
    expect(none.result.exitCode).toBe(2);
    expect(none.result.stderr).toContain('no SECCOMP record matches the filters');
    const late = await learn([actions, '--since', '1795430542.579', '--action', 'all']);
    expect(Object.values(calls(late.recording)).reduce((sum, n) => sum + n, 0)).toBeLessThan(200);
    const bad = await cli(['from-audit', actions, '--since', 'yesterday-ish']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('--since "yesterday-ish": expected epoch seconds');
  }, 90_000);

  it('reads ausearch -i output to the same syscalls as the raw log', async () => {
    const raw = await learn([actions, '--action', 'all']);
    const interpreted = await learn([
      join(samples, 'audit-docker-busybox-actions-ausearch-i.log'),
      '--action',
      'all',
    ]);
    expect(calls(interpreted.recording)).toEqual(calls(raw.recording));
  });

  it('reads journald JSON and short output of the same run to the same recording', async () => {
    const json = await learn([join(samples, 'journal-docker-busybox.json')]);
    const short = await learn([join(samples, 'journal-docker-busybox-short.txt')]);
    expect(json.result.exitCode, json.result.stderr).toBe(0);
    expect(Object.values(calls(json.recording)).reduce((sum, n) => sum + n, 0)).toBe(212);
    expect(calls(short.recording)).toEqual(calls(json.recording));
    expect(Object.keys(json.recording.abis.x86_64)).toEqual(
      expect.arrayContaining(['execve', 'capset', 'getdents64']),
    );
  });

  it('never hides lost records: a rate-limited dmesg capture exits 3 unless --allow-incomplete', async () => {
    const lossy = await learn([join(samples, 'dmesg-ratelimited.txt')]);
    expect(lossy.result.exitCode).toBe(3);
    expect(lossy.result.stderr).toContain('audit records were lost');
    expect(
      lossy.recording.warnings.filter((w: { code: string }) => w.code === 'lost-records').length,
    ).toBeGreaterThan(0);
    const accepted = await learn([join(samples, 'dmesg-ratelimited.txt'), '--allow-incomplete']);
    expect(accepted.result.exitCode).toBe(0);
    expect(accepted.recording.warnings).toEqual(lossy.recording.warnings);
  });

  it('reads stdin and refuses two sources at once', async () => {
    const text = await readFile(join(samples, 'audit-docker-busybox.log'), 'utf8');
    const prefix = join(dir, 'stdin');
    const piped = await cli(['from-audit', '-', '-o', prefix], { input: text });
    expect(piped.exitCode, piped.stderr).toBe(0);
    const recording = JSON.parse(await readFile(`${prefix}.recording.json`, 'utf8'));
    expect(recording.provenance[0].inputs).toEqual(['<stdin>']);
    const both = await cli(['from-audit', '--dmesg', '--journal']);
    expect(both.stderr).toContain('--dmesg and --journal are two different sources');
  });
});

describe('log-profile', () => {
  it('prints the complain-mode profile with every ABI of the host', async () => {
    const result = await cli(['log-profile']);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      defaultAction: 'SCMP_ACT_LOG',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    });
    const spo = await cli(['log-profile', '--format', 'spo']);
    expect(spo.stdout).toContain('kind: SeccompProfile');
    expect(spo.stdout).toContain('defaultAction: SCMP_ACT_LOG');
    const help = await cli(['log-profile', '--help']);
    for (const step of [
      'docker run --security-opt seccomp=log.json',
      'podman run',
      'config.json',
      'localhostProfile',
      'from-audit',
    ]) {
      expect(help.stdout).toContain(step);
    }
  });
});
