import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/cli.js';

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => join(dir, name));
}

describe('the built CLI the tests run', () => {
  it('is at least as new as every source file', () => {
    const stale = [...sources('src'), ...sources('parsers')].filter((source) => {
      const built = join(ROOT, 'dist', source.replace(/\.ts$/, '.js'));
      const builtAt = statSync(built, { throwIfNoEntry: false })?.mtimeMs ?? 0;
      return builtAt < statSync(join(ROOT, source)).mtimeMs;
    });
    expect(stale).toEqual([]);
  });
});
