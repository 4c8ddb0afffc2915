import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, ROOT, SAMPLES } from '../helpers/cli.js';

const samples = join(SAMPLES, 'strace-samples');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sl-strace-'));
});

async function learn(args: string[], input?: string) {
  const prefix = join(dir, `r${Math.random().toString(36).slice(2)}`);
  const result = await cli(['from-strace', ...args, '-o', prefix], input === undefined ? {} : { input });
  expect(result.exitCode, result.stderr).toBe(0);
  return {
    result,
    recording: JSON.parse(await readFile(`${prefix}.recording.json`, 'utf8')),
    profile: JSON.parse(await readFile(`${prefix}.profile.json`, 'utf8')),
  };
}

describe('from-strace', () => {
  it('keeps each personality of a -c run apart and opens exactly those ABIs', async () => {
    const { recording, profile } = await learn([join(samples, 'local-c-f-multipersonality.stderr.txt')]);
    expect(Object.keys(recording.abis)).toEqual(['x86_64', 'x86', 'x32']);
    expect(recording.abis.x86).toEqual({
      getpid: { calls: 1, errors: 0, runs: 1 },
      open: { calls: 1, errors: 1, runs: 1 },
      write: { calls: 1, errors: 0, runs: 1 },
    });
    expect(recording.abis.x32).toEqual({ getpid: { calls: 1, errors: 1, runs: 1 } });
    expect(profile.architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    expect(recording.provenance[0].source).toBe('strace-summary');
  });

  it('reads a -ff file set as one run, and a trace on stdin', async () => {
    const ff = ['trace.8836', 'trace.8837', 'trace.8838'].map((name) => join(samples, 'local-ff-r', name));
    const set = await learn(ff);
    expect(set.recording.runs).toBe(1);
    expect(set.recording.abis.x86_64.write.calls).toBe(1);
    expect(set.recording.abis.x86_64.clone3.calls).toBe(1);
    const text = await readFile(join(samples, 'local-f-ttt-o.txt'), 'utf8');
    const piped = await learn(['-'], text);
    expect(piped.recording.provenance[0].inputs).toEqual(['-']);
    expect(Object.keys(piped.recording.abis.x86_64)).toEqual(Object.keys(set.recording.abis.x86_64));
  });

  it('warns that a trace cut on a line boundary (head -n 300) is truncated; whole traces and -ff sets are not', async () => {
    const full = await readFile(join(ROOT, 'samples/traces/strace-f-tt-T-yy-python-sockets.txt'), 'utf8');
    const head = `${full.split('\n').slice(0, 300).join('\n')}\n`;
    const cut = await learn(['-'], head);
    expect(cut.recording.warnings).toMatchObject([{ code: 'truncated-input', line: 300 }]);
    expect(cut.result.stderr).toContain('the trace ends before process 14667 exited');
    const whole = await learn(['-'], full);
    expect(whole.recording.warnings).toEqual([]);
    const ff = ['trace.8836', 'trace.8837', 'trace.8838'].map((name) => join(samples, 'local-ff-r', name));
    expect(
      (await learn(ff)).recording.warnings.filter((w: { code: string }) => w.code === 'truncated-input'),
    ).toEqual([]);
    const detached = await learn([join(ROOT, 'samples/traces/strace-f-o-p-detached.txt')]);
    expect(detached.recording.warnings).toEqual([]);
  });

  it('warns about a syscall number no table names, never drops it silently', async () => {
    const { recording, result } = await learn([join(samples, 'local-f-tt-T-y.stderr.txt')]);
    expect(recording.warnings).toEqual([
      expect.objectContaining({ code: 'unknown-syscall', abi: 'x86_64', count: 1 }),
    ]);
    expect(result.stderr).toContain('syscall number 2989 (0xbad) has no name on x86_64');
    expect(recording.abis.x32.getpid).toEqual({ calls: 1, errors: 1, runs: 1 });
  });
});
