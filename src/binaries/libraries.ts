import { access } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { type ElfInfo, readElf } from '../../parsers/elf.js';

/**
 * The shared libraries an executable loads at start, found as the dynamic linker finds them
 * (ld.so(8)): the names in /etc/ld.so.cache (`ldconfig -p`), then the trusted default directories.
 * DT_RPATH/DT_RUNPATH and LD_LIBRARY_PATH are not consulted: they describe one installation or
 * one run, which /proc/PID/maps of a recorded process shows exactly. This is for a program on this
 * machine (the bench, the tests, the `record` host); a container's files come from its maps.
 */

const DEFAULT_DIRECTORIES = [
  '/lib/x86_64-linux-gnu',
  '/usr/lib/x86_64-linux-gnu',
  '/lib/aarch64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/lib64',
  '/usr/lib64',
  '/lib',
  '/usr/lib',
];

async function ldconfigCache(): Promise<Map<string, string[]>> {
  const byName = new Map<string, string[]>();
  for (const command of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    const result = await execa(command, ['-p'], { reject: false });
    if (result.exitCode !== 0 || typeof result.stdout !== 'string') continue;
    for (const line of result.stdout.split('\n')) {
      const match = /^\s+(\S+) \([^)]*\) => (\S+)$/.exec(line);
      if (!match) continue;
      const [, name, path] = match as unknown as [string, string, string];
      byName.set(name, [...(byName.get(name) ?? []), path]);
    }
    break;
  }
  return byName;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * `executable`, its program interpreter and every DT_NEEDED library, transitively, each once, in
 * breadth-first load order. A library that cannot be found is left out: `missing` names it.
 */
export async function loadedFiles(executable: string): Promise<{ files: string[]; missing: string[] }> {
  const main = await readElf(executable);
  const cache = await ldconfigCache();
  const sameKind = (elf: ElfInfo) => elf.machine === main.machine && elf.elfClass === main.elfClass;
  const files = [executable];
  const missing: string[] = [];
  if (main.interpreter !== undefined) files.push(main.interpreter);
  const seen = new Set<string>();
  // musl's dynamic linker is its libc: it answers a program's DT_NEEDED `libc.so` itself.
  if (main.interpreter !== undefined && /^ld-musl-\w+\.so\.1$/.test(basename(main.interpreter))) {
    seen.add('libc.so');
  }
  const queue: ElfInfo[] = [main];
  while (queue.length > 0) {
    const current = queue.shift() as ElfInfo;
    for (const name of current.needed) {
      if (seen.has(name)) continue;
      seen.add(name);
      const candidates = name.includes('/')
        ? [name]
        : [...(cache.get(name) ?? []), ...DEFAULT_DIRECTORIES.map((directory) => join(directory, name))];
      let found: ElfInfo | undefined;
      for (const candidate of candidates) {
        if (!(await exists(candidate))) continue;
        const elf = await readElf(candidate).catch(() => undefined);
        if (elf && sameKind(elf)) {
          found = elf;
          break;
        }
      }
      if (!found) {
        missing.push(name);
        continue;
      }
      if (!files.includes(found.file)) files.push(found.file);
      queue.push(found);
    }
  }
  return { files, missing };
}
