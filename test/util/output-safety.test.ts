import {
  chmod,
  chown,
  link,
  lstat,
  mkdir,
  mkdtemp,
  open,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { OutputPlan, writeFileAtomic } from '../../src/util/files.js';

const isRoot = process.getuid?.() === 0;
let dir: string;
let server: Server | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sl-outputs-'));
});

afterAll(async () => {
  server?.close();
  await rm(dir, { recursive: true, force: true });
});

let counter = 0;
function path(name: string): string {
  return join(dir, `${counter++}-${name}`);
}

async function rejection(promise: Promise<unknown>): Promise<UserError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(UserError);
  expect((error as UserError).exitCode).toBe(2);
  expect((error as UserError).message).not.toContain('\n');
  return error as UserError;
}

async function temporaries(): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.tmp'));
}

describe('outputs that are not regular files', () => {
  it.skipIf(!isRoot)('writes through a character device instead of replacing it', async () => {
    // A copy of /dev/null (1,3) in a temporary directory: the real /dev is never touched.
    const device = path('null');
    await execa('mknod', [device, 'c', '1', '3']);
    await writeFileAtomic(device, '{"defaultAction":"SCMP_ACT_LOG"}\n');
    const after = await lstat(device);
    expect(after.isCharacterDevice()).toBe(true);
    expect(after.rdev).toBe((await stat('/dev/null')).rdev);
  });

  it('writes through a FIFO to its reader', async () => {
    const fifo = path('fifo');
    await execa('mkfifo', [fifo]);
    const reader = execa('cat', [fifo]);
    await writeFileAtomic(fifo, 'profile text\n');
    expect((await reader).stdout).toBe('profile text');
    expect((await lstat(fifo)).isFIFO()).toBe(true);
  });

  it('writes through a /proc/self/fd link to the open file, not over the link', async () => {
    const target = path('stdout.txt');
    await writeFile(target, 'before\n');
    const { ino } = await stat(target);
    const handle = await open(target, 'a');
    try {
      await writeFileAtomic(`/proc/self/fd/${handle.fd}`, 'through\n');
    } finally {
      await handle.close();
    }
    expect(await readFile(target, 'utf8')).toBe('before\nthrough\n');
    expect((await stat(target)).ino).toBe(ino);
  });

  it('refuses a directory and a socket with one clear line, writing nothing', async () => {
    const directory = path('dir');
    await mkdir(directory);
    expect((await rejection(OutputPlan.check([directory]))).message).toBe(
      `cannot write ${directory}: it is a directory`,
    );
    const socket = path('sock');
    server = createServer();
    await new Promise<void>((done) => server?.listen(socket, done));
    expect((await rejection(writeFileAtomic(socket, 'x'))).message).toBe(
      `cannot write ${socket}: it is a socket, not a file`,
    );
    expect((await lstat(socket)).isSocket()).toBe(true);
    expect(await temporaries()).toEqual([]);
  });

  it('refuses a /proc/self/fd number that is not open', async () => {
    expect((await rejection(OutputPlan.check(['/proc/self/fd/987654']))).message).toBe(
      'cannot write /proc/self/fd/987654: not an open file descriptor',
    );
  });
});

describe('replacing a regular file', () => {
  it('keeps its mode (0600 stays 0600)', async () => {
    const file = path('secret.json');
    await writeFile(file, 'old');
    await chmod(file, 0o600);
    await writeFileAtomic(file, 'new');
    expect(await readFile(file, 'utf8')).toBe('new');
    expect((await stat(file)).mode & 0o7777).toBe(0o600);
  });

  it.skipIf(!isRoot)('keeps its owner and group', async () => {
    const file = path('owned.json');
    await writeFile(file, 'old');
    await chown(file, 1234, 5678);
    await chmod(file, 0o640);
    await writeFileAtomic(file, 'new');
    const after = await stat(file);
    expect([after.uid, after.gid, after.mode & 0o7777]).toEqual([1234, 5678, 0o640]);
  });

  it('a new file gets the usual mode', async () => {
    const file = path('new.json');
    await writeFileAtomic(file, 'new');
    expect((await stat(file)).mode & 0o777).toBe(0o644 & ~process.umask());
  });

  it('replaces the file a symbolic link points at and keeps the link', async () => {
    const file = path('real.json');
    const alias = path('alias.json');
    await writeFile(file, 'old');
    await symlink(file, alias);
    await writeFileAtomic(alias, 'new');
    expect((await lstat(alias)).isSymbolicLink()).toBe(true);
    expect(await readFile(file, 'utf8')).toBe('new');
  });

  it('a write that fails leaves no temporary file and writes none of the outputs', async () => {
    const first = path('first.json');
    const subdirectory = path('gone');
    await mkdir(subdirectory);
    const second = join(subdirectory, 'second.json');
    const plan = await OutputPlan.check([first, second]);
    // The second output's directory goes away between the check and the write.
    await rm(subdirectory, { recursive: true });
    const error = await rejection(plan.write({ [first]: 'one', [second]: 'two' }));
    expect(error.message).toMatch(new RegExp(`^cannot write ${second}: ENOENT`));
    expect(error.message).not.toContain('.tmp');
    expect(await temporaries()).toEqual([]);
    await expect(stat(first)).rejects.toThrow();
  });

  it('a rename that fails leaves no temporary file', async () => {
    const target = path('target.json');
    await writeFile(target, 'old');
    const plan = await OutputPlan.check([target]);
    // The output turns into a non-empty directory between the check and the write.
    await rm(target);
    await mkdir(target);
    await writeFile(join(target, 'inside'), 'x');
    const error = await rejection(plan.write({ [target]: 'new' }));
    expect(error.message).toMatch(new RegExp(`^cannot write ${target}: `));
    expect(await temporaries()).toEqual([]);
  });
});

describe('checked before anything is written', () => {
  it("refuses -o ''", async () => {
    expect((await rejection(OutputPlan.check(['']))).message).toBe(
      '-o needs a file name, not an empty string',
    );
  });

  it('finds a missing directory and a parent that is a file', async () => {
    const missing = join(dir, 'no-such-dir', 'out.json');
    expect((await rejection(OutputPlan.check([missing]))).message).toBe(
      `cannot write ${missing}: directory ${join(dir, 'no-such-dir')} does not exist`,
    );
    const file = path('plain');
    await writeFile(file, '');
    expect((await rejection(OutputPlan.check([join(file, 'out.json')]))).message).toBe(
      `cannot write ${join(file, 'out.json')}: ${file} is not a directory`,
    );
  });

  // A read-only directory binds only a user who is not root: test/cli/output-safety.test.ts runs that case
  // as nobody (setpriv), through the whole command.

  it('refuses an output that is an input: by name, symbolic link or hard link, before writing any output', async () => {
    const input = path('app.profile.json');
    await writeFile(input, 'input');
    const viaSymlink = path('sym.json');
    const viaHardLink = path('hard.json');
    await symlink(input, viaSymlink);
    await link(input, viaHardLink);
    const first = path('x.recording.json');
    for (const output of [input, viaSymlink, viaHardLink]) {
      const error = await rejection(OutputPlan.check([first, output], [input]));
      expect(error.message).toContain(`refusing to write ${output}: it is one of the inputs`);
    }
    // And the other way round: the input named through a link.
    await rejection(OutputPlan.check([input], [viaHardLink]));
    await expect(stat(first)).rejects.toThrow();
    expect(await readFile(input, 'utf8')).toBe('input');
  });

  it('refuses the same file as two outputs', async () => {
    const file = path('same.json');
    await writeFile(file, '');
    const alias = path('same-link.json');
    await symlink(file, alias);
    expect((await rejection(OutputPlan.check([file, alias]))).message).toBe(
      `refusing to write ${alias}: it is also the output ${file}`,
    );
  });

  it('lets a device be both input and output: writing through destroys nothing', async () => {
    await expect(OutputPlan.check(['/dev/null'], ['/dev/null'])).resolves.toBeInstanceOf(OutputPlan);
  });
});
