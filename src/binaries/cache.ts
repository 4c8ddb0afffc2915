import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../util/files.js';
import type { CallGraphSummary } from './callgraph.js';

/**
 * Call graphs on disk, one JSON file per build: disassembling libc takes seconds, and the same libc
 * is in every image built on one distribution release. The key is the GNU build id (a file without
 * one is keyed by the SHA-256 of its bytes), so an upgraded library is a new entry, never a stale
 * one. FORMAT changes whenever the analysis changes what it finds, so that older entries are ignored.
 */
export const CACHE_FORMAT = 'seccomp-learn/binary-reach@4';

const reachSchema = z.object({
  syscalls: z.array(z.string()),
  imports: z.array(z.string()),
  unknownNumber: z.boolean(),
});

const entrySchema = z.object({
  format: z.literal(CACHE_FORMAT),
  key: z.string(),
  machine: z.string(),
  summary: z.object({
    exports: z.record(z.string(), reachSchema),
    whole: reachSchema,
    entered: reachSchema,
    regions: z.number(),
    syscallSites: z.number(),
    unknownSites: z.array(z.number()),
    indirectCalls: z.number(),
  }),
});

export type CacheEntry = z.infer<typeof entrySchema>;

/** `$XDG_CACHE_HOME/seccomp-learn`, else `~/.cache/seccomp-learn` (XDG base directory spec). */
export function defaultCacheDirectory(env: NodeJS.ProcessEnv = process.env): string {
  // The spec says a relative XDG_CACHE_HOME is invalid and to be ignored.
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg?.startsWith('/') ? xdg : join(homedir(), '.cache');
  return join(base, 'seccomp-learn');
}

/** The cache key of a file: `build-id-<hex>`, or `sha256-<hex>` of its bytes when it has no build id. */
export function cacheKey(buildId: string | undefined, bytes: () => Uint8Array): string {
  if (buildId !== undefined) return `build-id-${buildId}`;
  return `sha256-${createHash('sha256').update(bytes()).digest('hex')}`;
}

function entryPath(directory: string, key: string): string {
  return join(directory, 'binaries', `${key}.json`);
}

/** A cached summary, or undefined when there is none or it is unreadable, corrupt or of an older format. */
export async function readCached(directory: string, key: string): Promise<CallGraphSummary | undefined> {
  let text: string;
  try {
    text = await readFile(entryPath(directory, key), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = entrySchema.safeParse(JSON.parse(text));
    return parsed.success && parsed.data.key === key ? parsed.data.summary : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Stores a summary. A cache that cannot be written (read-only home, full disk) only costs time on
 * the next run, so the failure is swallowed rather than failing the analysis that succeeded.
 */
export async function writeCached(
  directory: string,
  key: string,
  machine: string,
  summary: CallGraphSummary,
): Promise<boolean> {
  const entry: CacheEntry = { format: CACHE_FORMAT, key, machine, summary };
  try {
    await mkdir(join(directory, 'binaries'), { recursive: true, mode: 0o700 });
    await writeFileAtomic(entryPath(directory, key), `${JSON.stringify(entry)}\n`);
    return true;
  } catch {
    return false;
  }
}
