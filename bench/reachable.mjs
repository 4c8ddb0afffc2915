// Reachability for /usr/bin/python3 with its interpreter and DT_NEEDED libraries (found as ld.so
// finds them: ldconfig -p, then the default directories). Targets: under 5 s with an empty cache
// (objdump of python3 and libc, parsing, libc's call graph) and under 0.5 s from the cache.
// Needs the build (npm run build), objdump and python3.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const { loadedFiles } = await import('../dist/src/binaries/libraries.js');
const { reachableSyscalls } = await import('../dist/src/binaries/reachable.js');

export const TARGET_COLD_SECONDS = 5;
export const TARGET_CACHED_SECONDS = 0.5;

async function timed(work) {
  const started = process.hrtime.bigint();
  const result = await work();
  return { result, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

export async function run({ executable = '/usr/bin/python3', log = console.log } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sl-bench-reach-'));
  try {
    const cacheDirectory = path.join(dir, 'cache');
    // Finding the libraries is part of the work a run does, so it is inside both timings.
    const reach = () =>
      timed(async () => {
        const { files } = await loadedFiles(executable);
        return reachableSyscalls(files, { cacheDirectory });
      });
    const cold = await reach();
    const cached = await reach();
    const { result } = cold;
    const libc = result.binaries.find((binary) => binary.elf.soname === 'libc.so.6');
    const exports = libc ? Object.values(libc.summary.exports) : [];
    log(
      `reachable: ${executable} with ${result.binaries.length - 1} libraries: ${[...result.syscalls.values()].reduce((sum, names) => sum + names.size, 0)} syscalls, ` +
        `${result.unknownNumber.length} entry points reach a computed syscall number`,
    );
    if (libc) {
      log(
        `  libc: ${exports.length} exported functions, ${libc.summary.syscallSites} syscall sites ` +
          `(${libc.summary.unknownSites.length} with a computed number), ` +
          `${exports.filter((reach) => reach.unknownNumber).length} functions reach one`,
      );
    }
    log(
      `  empty cache ${cold.seconds.toFixed(2)} s (target < ${TARGET_COLD_SECONDS} s), ` +
        `from the cache ${cached.seconds.toFixed(3)} s (target < ${TARGET_CACHED_SECONDS} s)`,
    );
    return {
      coldSeconds: cold.seconds,
      cachedSeconds: cached.seconds,
      ok: cold.seconds < TARGET_COLD_SECONDS && cached.seconds < TARGET_CACHED_SECONDS,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { ok } = await run();
  process.exitCode = ok ? 0 : 1;
}
