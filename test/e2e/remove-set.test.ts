import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { ARGUMENT_FIXTURES, inDebianImage, PROBED_UNIX_AND_INET } from '../helpers/arguments-probe.js';
import { cli } from '../helpers/cli.js';
import { available, DEBIAN_IMAGE, e2eSkipReason } from '../helpers/e2e.js';

/**
 * `generate --style remove-set` loaded for real: the same recording of the Python workload (AF_UNIX
 * and AF_INET sockets, a thread, children) as a default-allow profile, once in Docker (runc) and
 * once as the libseccomp C program. Both let through a call no run made (chmod) and refuse the
 * dangerous ones (unshare, AF_PACKET and AF_NETLINK sockets, a clone into a user namespace), and
 * the report says how much weaker than the allowlist it is.
 */
const PYTHON = '/usr/bin/python3';

const skip = await e2eSkipReason(
  `strace, ${PYTHON}, gcc with libseccomp-dev and a Docker engine with the ${DEBIAN_IMAGE} image`,
  async () =>
    (await available('strace', ['-V'])) &&
    (await available(PYTHON, ['-c', 'import ctypes'])) &&
    (await available('gcc', ['--version'])) &&
    (await available('docker', ['image', 'inspect', DEBIAN_IMAGE])),
);

describe.skipIf(skip)(`--style remove-set${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('allows what no run made, refuses the dangerous calls and arguments, in Docker and as a C program', async () => {
    const work = await mkdtemp(join(tmpdir(), 'sl-e2e-remove-set-'));
    const prefix = join(work, 'py');
    const recorded = await cli([
      'record',
      '--backend',
      'strace',
      '--full',
      '-o',
      prefix,
      '--',
      PYTHON,
      join(ARGUMENT_FIXTURES, 'work.py'),
      'unix',
      'inet',
    ]);
    expect(recorded.exitCode, recorded.stderr).toBe(0);
    const recording = `${prefix}.recording.json`;

    const json = join(work, 'remove-set.json');
    const generated = await cli(['generate', recording, '--style', 'remove-set', '-o', json]);
    expect(generated.exitCode, generated.stderr).toBe(0);
    expect(generated.stderr).toMatch(
      /profile: .*remove-set\.json \(every syscall allowed but \d+ \(\d+ refused for some arguments only\)/,
    );
    const profile = JSON.parse(await readFile(json, 'utf8'));
    expect(profile.defaultAction).toBe('SCMP_ACT_ALLOW');

    const docker = (command: string[]) => inDebianImage(json, command);
    const probed = await docker(['python3', '/w/work.py', 'unix', 'inet', 'probe']);
    expect(probed.exitCode, probed.stderr).toBe(0);
    expect(JSON.parse(probed.stdout)).toEqual(PROBED_UNIX_AND_INET);
    // chmod: never made, not dangerous, so allowed; unshare: dangerous, never made, refused.
    const chmod = await docker(['sh', '-c', 'touch /tmp/f && chmod 600 /tmp/f && stat -c %a /tmp/f']);
    expect(chmod.stdout).toBe('600');
    const unshare = await docker(['unshare', '-U', 'true']);
    expect(unshare.exitCode).not.toBe(0);
    expect(unshare.stderr).toContain('Operation not permitted');

    const source = join(work, 'remove-set.c');
    const c = await cli([
      'generate',
      recording,
      '--style',
      'remove-set',
      '--runtime',
      'none',
      '--format',
      'c',
      '-o',
      source,
    ]);
    expect(c.exitCode, c.stderr).toBe(0);
    const program = join(work, 'remove-set');
    const built = await execa('gcc', ['-Wall', '-Werror', '-O2', '-o', program, source, '-lseccomp'], {
      reject: false,
    });
    expect(built.exitCode, built.stderr).toBe(0);
    const confined = await execa(
      program,
      [PYTHON, join(ARGUMENT_FIXTURES, 'work.py'), 'unix', 'inet', 'probe'],
      {
        reject: false,
      },
    );
    expect(confined.exitCode, confined.stderr).toBe(0);
    expect(JSON.parse(confined.stdout)).toEqual(PROBED_UNIX_AND_INET);

    // The review says how much weaker than an allowlist it is.
    const report = await cli(['report', recording, json, '--format', 'json']);
    expect(report.exitCode, report.stderr).toBe(0);
    const { removeSet } = JSON.parse(report.stdout).profile;
    expect(removeSet.refused).toBeGreaterThan(40);
    expect(removeSet.unobserved).toBeGreaterThan(200);
    const [x86_64] = removeSet.beyondReference;
    expect(x86_64.names).toEqual(expect.arrayContaining(['io_uring_setup']));
    const text = await cli(['report', recording, json, '--format', 'text']);
    expect(text.stdout).toContain('Remove-set profile (default allow), much weaker than an allowlist');
  });
});
