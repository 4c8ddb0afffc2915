import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadedFiles } from '../../src/binaries/libraries.js';
import { ImageFiles } from '../../src/sources/container-image.js';

let root: string;
let upper: string;
let lower: string;

async function put(layer: string, path: string, content = 'x'): Promise<void> {
  await mkdir(dirname(join(layer, path)), { recursive: true });
  await writeFile(join(layer, path), content);
}

async function link(layer: string, path: string, target: string): Promise<void> {
  await mkdir(dirname(join(layer, path)), { recursive: true });
  await symlink(target, join(layer, path));
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sl-image-'));
  upper = join(root, 'upper');
  lower = join(root, 'lower');
  // Debian 12's merged /usr: /lib is a relative link, the loader's /lib64 entry an absolute one.
  await link(lower, 'lib', 'usr/lib');
  await put(lower, 'usr/lib/x86_64-linux-gnu/libc.so.6', 'lower libc');
  await link(lower, 'lib64/ld-linux-x86-64.so.2', '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2');
  await put(lower, 'usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', 'loader');
  await put(lower, 'etc/only-below', 'below');
  await put(lower, 'etc/replaced', 'below');
  await put(upper, 'etc/replaced', 'above');
  await put(lower, 'etc/deleted', 'below');
  await mkdir(join(upper, 'etc'), { recursive: true });
  // overlayfs marks a file deleted in an upper layer with a 0/0 character device.
  await execa('mknod', [join(upper, 'etc/deleted'), 'c', '0', '0']);
  // An absolute link to a file the host has and the image does not.
  await link(upper, 'etc/escape', '/etc/hostname');
  await link(upper, 'etc/loop', '/etc/loop');
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('ImageFiles: the files of an image as its container sees them, read from its layers', () => {
  it('follows relative and absolute links inside the image, through the top layer first', async () => {
    const image = new ImageFiles([upper, lower]);
    expect(await image.locate('/lib/x86_64-linux-gnu/libc.so.6')).toBe(
      join(lower, 'usr/lib/x86_64-linux-gnu/libc.so.6'),
    );
    expect(await image.locate('/lib64/ld-linux-x86-64.so.2')).toBe(
      join(lower, 'usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2'),
    );
    expect(await image.locate('/etc/replaced')).toBe(join(upper, 'etc/replaced'));
    expect(await image.locate('/etc/only-below')).toBe(join(lower, 'etc/only-below'));
    expect(await image.locate('/usr/../etc/./only-below')).toBe(join(lower, 'etc/only-below'));
  });

  it('never leaves the image: a whiteout hides the lower file, an absolute link stays inside, a loop ends', async () => {
    const image = new ImageFiles([upper, lower]);
    expect(await image.locate('/etc/deleted')).toBeUndefined();
    expect(await image.locate('/etc/escape')).toBeUndefined();
    expect(await image.locate('/etc/loop')).toBeUndefined();
    expect(await image.locate('/etc')).toBeUndefined();
    expect(await image.locate('/nothing/here')).toBeUndefined();
  });

  it("finds a real program's loader and libraries in the image, none on the host", async () => {
    const image = join(root, 'real');
    await link(image, 'lib', 'usr/lib');
    await link(image, 'lib64/ld-linux-x86-64.so.2', '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2');
    await mkdir(join(image, 'usr/bin'), { recursive: true });
    await copyFile('/bin/true', join(image, 'usr/bin/true'));
    const host = await loadedFiles('/bin/true');
    for (const file of host.files.slice(1)) {
      const name = file.split('/').pop() as string;
      await mkdir(join(image, 'usr/lib/x86_64-linux-gnu'), { recursive: true });
      await copyFile(file, join(image, 'usr/lib/x86_64-linux-gnu', name));
    }
    const inImage = await loadedFiles('/usr/bin/true', new ImageFiles([image]));
    expect(inImage.missing).toEqual([]);
    // The host lists the loader under both its names; in the image its links are followed to one file.
    const names = (files: string[]) => [...new Set(files.map((file) => file.split('/').pop()))].sort();
    expect(names(inImage.files)).toEqual(names(host.files));
    expect(new Set(inImage.files).size).toBe(inImage.files.length);
    for (const file of inImage.files) expect(file.startsWith(`${image}/`), file).toBe(true);
    expect(inImage.files).toContain(join(image, 'usr/lib/x86_64-linux-gnu/libc.so.6'));
  });
});
