import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { dockerReady, dockerRunScript, e2eSkipReason } from '../helpers/e2e.js';

const skip = await e2eSkipReason('a Docker engine with the sl-busybox:test image', dockerReady);

const MAX = '18446744073709551615';

describe.skipIf(skip)(
  `Docker loads a merged profile with a uint64 argument value${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    it('accepts 0xFFFFFFFFFFFFFFFF as merge writes it', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'sl-exacte2e-'));
      // Docker's default (every runtime call allowed) plus a rule whose mask is all 64 bits.
      const base = fileURLToPath(new URL('../../data/reference/docker-default.json', import.meta.url));
      const filtered = join(dir, 'filtered.json');
      await writeFile(
        filtered,
        `{"defaultAction":"SCMP_ACT_ERRNO","archMap":[{"architecture":"SCMP_ARCH_X86_64","subArchitectures":["SCMP_ARCH_X86","SCMP_ARCH_X32"]}],"syscalls":[{"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":${MAX},"valueTwo":${MAX},"op":"SCMP_CMP_MASKED_EQ"}]}]}`,
      );
      const merged = join(dir, 'merged.json');
      const result = await cli(['merge', base, filtered, '-o', merged]);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(await readFile(merged, 'utf8')).toContain(`"value": ${MAX},`);
      const run = await dockerRunScript('true', { profile: merged });
      expect(run.exitCode, run.stderr).toBe(0);
    });
  },
);
