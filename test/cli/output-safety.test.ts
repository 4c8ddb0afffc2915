import {
  chmod,
  copyFile,
  link,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, type CliResult, cli, ROOT } from '../helpers/cli.js';
import { available } from '../helpers/e2e.js';

const isRoot = process.getuid?.() === 0;
const strace = join(ROOT, 'samples/traces/strace-c-busybox-sh.txt');
let dir: string;
let recording: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sl-out-cli-'));
  const learned = await cli(['from-strace', strace, '-o', join(dir, 'app')]);
  expect(learned.exitCode, learned.stderr).toBe(0);
  recording = join(dir, 'app.recording.json');
});

let counter = 0;
function path(name: string): string {
  return join(dir, `${counter++}-${name}`);
}

/** Exit 2, one line naming the problem, no stack trace. */
function expectRefused(result: CliResult, message: string | RegExp): void {
  expect(result.exitCode).toBe(2);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
}

describe('-o onto what is not a regular file', () => {
  it.skipIf(!isRoot)('writes through a character device and leaves it a device', async () => {
    const device = path('full');
    await execa('mknod', [device, 'c', '1', '3']); // a copy of /dev/null, never the host's devices
    const result = await cli(['log-profile', '-o', device]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect((await lstat(device)).isCharacterDevice()).toBe(true);
  });

  it('writes through a FIFO to its reader', async () => {
    const fifo = path('fifo');
    await execa('mkfifo', [fifo]);
    const reader = execa('cat', [fifo]);
    const result = await cli(['generate', recording, '-o', fifo]);
    expect(result.exitCode, result.stderr).toBe(0);
    reader.kill(); // only matters when the CLI never opened the FIFO
    const read = await reader.catch((error: { stdout: string }) => error);
    expect(JSON.parse(read.stdout).defaultAction).toBe('SCMP_ACT_ERRNO');
    expect((await lstat(fifo)).isFIFO()).toBe(true);
  });

  it('-o /proc/self/fd/1 is standard output', async () => {
    const result = await cli(['log-profile', '-o', '/proc/self/fd/1']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).defaultAction).toBe('SCMP_ACT_LOG');
  });

  it('a symbolic link to /proc/self/fd/1 (as /dev/stdout is) writes standard output and stays a link', async () => {
    const stdout = path('stdout');
    await symlink('/proc/self/fd/1', stdout);
    const result = await cli(['generate', recording, '-o', stdout]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).defaultAction).toBe('SCMP_ACT_ERRNO');
    expect((await lstat(stdout)).isSymbolicLink()).toBe(true);
  });

  it('stopped while waiting for a FIFO reader, it leaves no temporary file', async () => {
    const prefix = path('stopped');
    await execa('mkfifo', [`${prefix}.profile.json`]);
    const child = execa(process.execPath, [BIN, 'from-strace', strace, '-o', prefix], { reject: false });
    // The recording is staged beside its name while the profile's FIFO waits for a reader.
    while (!(await readdir(dir)).some((name) => name.startsWith('.') && name.endsWith('.tmp'))) {
      if (child.exitCode !== null) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    child.kill('SIGTERM');
    const result = await child;
    expect(result.signal).toBe('SIGTERM');
    expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    await expect(stat(`${prefix}.recording.json`)).rejects.toThrow();
    expect((await lstat(`${prefix}.profile.json`)).isFIFO()).toBe(true);
  });

  it('refuses a directory with exit 2', async () => {
    const directory = path('dir');
    await mkdir(directory);
    expectRefused(
      await cli(['generate', recording, '-o', directory]),
      `seccomp-learn: error: cannot write ${directory}: it is a directory`,
    );
    expect(await readdir(directory)).toEqual([]);
  });
});

/** The built CLI as an unprivileged user (nobody), set up by root: what a user without root sees. */
async function cliAsNobody(args: string[]): Promise<CliResult> {
  const result = await execa(
    'setpriv',
    ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, ...args],
    { reject: false, env: { NO_COLOR: '1' } },
  );
  return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** nobody must reach the checkout to run it: not so in a clone under a private (0700) directory. */
const nobodySkip = !isRoot
  ? 'root is needed to run the CLI as nobody'
  : (await available('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'test', '-r', BIN]))
    ? undefined
    : `the user nobody cannot read ${BIN} (a checkout under a private directory)`;

describe.skipIf(nobodySkip)(`without root${nobodySkip ? ` (skipped: ${nobodySkip})` : ''}`, () => {
  beforeAll(async () => {
    await chmod(dir, 0o755); // mkdtemp's 0700 would keep nobody out of everything
  });

  it("overwrites someone else's writable file in place: its owner and mode stay", async () => {
    const shared = path('shared');
    await mkdir(shared);
    await chmod(shared, 0o777);
    const file = join(shared, 'root-owned.json');
    await writeFile(file, 'old');
    await chmod(file, 0o666);
    const result = await cliAsNobody(['log-profile', '-o', file]);
    expect(result.exitCode, result.stderr).toBe(0);
    const after = await stat(file);
    expect([after.uid, after.gid, after.mode & 0o777]).toEqual([0, 0, 0o666]);
    expect(JSON.parse(await readFile(file, 'utf8')).defaultAction).toBe('SCMP_ACT_LOG');
    expect((await readdir(shared)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('record finds a read-only directory before it runs the workload', async () => {
    const readOnly = path('read-only');
    await mkdir(readOnly);
    await chmod(readOnly, 0o555);
    const ran = path('ran-dir');
    await mkdir(ran);
    await chmod(ran, 0o777);
    const marker = join(ran, 'marker');
    const result = await cliAsNobody([
      'record',
      '-o',
      join(readOnly, 'app'),
      '--',
      'sh',
      '-c',
      'echo > "$1"',
      'sh',
      marker,
    ]);
    expectRefused(
      result,
      `cannot write ${join(readOnly, 'app')}.recording.json: directory ${readOnly} is not writable (EACCES)`,
    );
    await expect(stat(marker)).rejects.toThrow();
  });
});

describe('regular outputs', () => {
  it('a replaced 0600 file stays 0600', async () => {
    const file = path('private.json');
    await writeFile(file, '{}');
    await chmod(file, 0o600);
    const result = await cli(['generate', recording, '-o', file]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(await readFile(file, 'utf8')).defaultAction).toBe('SCMP_ACT_ERRNO');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it("refuses -o '' in every command that writes", async () => {
    const message = 'seccomp-learn: error: -o needs a file name, not an empty string';
    for (const args of [
      ['log-profile'],
      ['generate', recording],
      ['merge', recording],
      ['report', recording],
      ['from-strace', strace],
      ['record', '--', 'true'],
    ]) {
      // Before any `--`: after it, -o would be the workload's.
      const result = await cli([args[0] as string, '-o', '', ...args.slice(1)]);
      expectRefused(result, message);
      expect(result.stdout).toBe('');
    }
  });

  it('record checks its outputs before it runs the workload', async () => {
    const marker = path('ran');
    const missing = join(dir, 'no-such-dir', 'app');
    const result = await cli(['record', '-o', missing, '--', 'sh', '-c', 'echo > "$1"', 'sh', marker]);
    expectRefused(
      result,
      `cannot write ${missing}.recording.json: directory ${join(dir, 'no-such-dir')} does not exist`,
    );
    await expect(stat(marker)).rejects.toThrow();
  });

  it('from-strace X.profile.json -o X writes nothing and leaves the input alone', async () => {
    const prefix = path('x');
    const input = `${prefix}.profile.json`;
    await copyFile(strace, input);
    const before = await readFile(input, 'utf8');
    const result = await cli(['from-strace', input, '-o', prefix]);
    expectRefused(result, `refusing to write ${input}: it is one of the inputs`);
    await expect(stat(`${prefix}.recording.json`)).rejects.toThrow();
    expect(await readFile(input, 'utf8')).toBe(before);
  });

  it('sees an input through a hard link', async () => {
    const prefix = path('y');
    const input = path('trace.txt');
    await copyFile(strace, input);
    await link(input, `${prefix}.profile.json`);
    const result = await cli(['from-strace', input, '-o', prefix]);
    expectRefused(result, `refusing to write ${prefix}.profile.json: it is one of the inputs (${input})`);
    await expect(stat(`${prefix}.recording.json`)).rejects.toThrow();
  });

  it('report never overwrites its --against profile', async () => {
    const reference = path('reference.json');
    const profile = await cli(['generate', recording, '-o', reference]);
    expect(profile.exitCode, profile.stderr).toBe(0);
    const before = await readFile(reference, 'utf8');
    const result = await cli([
      'report',
      recording,
      '--against',
      reference,
      '--format',
      'md',
      '-o',
      reference,
    ]);
    expectRefused(result, `refusing to write ${reference}: it is one of the inputs`);
    expect(await readFile(reference, 'utf8')).toBe(before);
  });
});
