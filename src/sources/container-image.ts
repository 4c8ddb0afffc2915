import { lstat } from 'node:fs/promises';
import { join } from 'node:path';

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

/** Where a file of the image (an absolute path in the container, as the kernel printed exe=) is on the host. */
export async function hostPathInImage(layers: readonly string[], path: string): Promise<string | undefined> {
  for (const layer of layers) {
    const candidate = join(layer, path);
    const stats = await lstat(candidate).catch(() => undefined);
    if (stats?.isFile()) return candidate;
  }
  return undefined;
}
