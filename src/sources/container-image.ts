import { lstat, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';

/**
 * The host directories an image's files are in, top layer first: Docker's overlay2 and Podman's
 * overlay storage give them as UpperDir and the colon-separated LowerDir. Empty when the engine
 * cannot say (another storage driver, the image gone).
 */
export async function imageLayers(engine: string, image: string): Promise<string[]> {
  const { execa } = await import('execa');
  const inspected = await execa(
    engine,
    ['image', 'inspect', '--format', '{{json .GraphDriver.Data}}', image],
    {
      reject: false,
    },
  );
  if (inspected.exitCode !== 0) return [];
  let data: unknown;
  try {
    data = JSON.parse(String(inspected.stdout));
  } catch {
    // Not overlay data: no layers to read binaries from, and the caller says so.
    return [];
  }
  if (typeof data !== 'object' || data === null) return [];
  const { UpperDir, LowerDir } = data as { UpperDir?: unknown; LowerDir?: unknown };
  return [
    ...(typeof UpperDir === 'string' ? [UpperDir] : []),
    ...(typeof LowerDir === 'string' ? LowerDir.split(':') : []),
  ];
}

type Entry = { kind: 'file' | 'directory' | 'other'; host: string } | { kind: 'link'; target: string };

/**
 * The image's files as the container sees them, read from its layers on the host: a path is looked
 * up in each layer, top first, as overlayfs merges them (a whiteout, a 0/0 character device, hides
 * the lower layers' file); symbolic links are followed inside the image, so that `/lib64/ld-linux-x86-64.so.2
 * -> /lib/x86_64-linux-gnu/…` and Debian's `/lib -> usr/lib` never lead to the host's own files.
 */
export class ImageFiles {
  constructor(private readonly layers: readonly string[]) {}

  private async entry(path: string): Promise<Entry | undefined> {
    for (const layer of this.layers) {
      const host = join(layer, path);
      const stats = await lstat(host).catch(() => undefined);
      if (!stats) continue;
      if (stats.isCharacterDevice() && stats.rdev === 0) return undefined;
      if (stats.isSymbolicLink()) return { kind: 'link', target: await readlink(host) };
      return { kind: stats.isFile() ? 'file' : stats.isDirectory() ? 'directory' : 'other', host };
    }
    return undefined;
  }

  /** The host path of the regular file at `path` in the image, links followed in the image; undefined when there is none. */
  async locate(path: string): Promise<string | undefined> {
    const pending = posix.normalize(path).split('/').filter(Boolean);
    const resolved: string[] = [];
    // Bounded as the kernel bounds link resolution (ELOOP after 40).
    for (let links = 0; pending.length > 0; ) {
      const component = pending.shift() as string;
      if (component === '..') {
        resolved.pop();
        continue;
      }
      if (component === '.') continue;
      const entry = await this.entry(`/${[...resolved, component].join('/')}`);
      if (!entry) return undefined;
      if (entry.kind === 'link') {
        if (++links > 40) return undefined;
        if (entry.target.startsWith('/')) resolved.length = 0;
        pending.unshift(...entry.target.split('/').filter(Boolean));
        continue;
      }
      resolved.push(component);
      if (pending.length === 0) return entry.kind === 'file' ? entry.host : undefined;
      if (entry.kind !== 'directory') return undefined;
    }
    return undefined;
  }
}
