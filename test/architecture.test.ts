import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/cli.js';

/**
 * The README's layout table is the order data flows in, and the import rule: a module may import
 * from its own row or from rows above it, never from a row below. A new folder must get its row.
 */
function layoutRows(): string[][] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('Layout, in the order data flows'));
  const rows: string[][] = [];
  for (const line of table.split('\n').slice(1)) {
    if (line.trim() === '') {
      if (rows.length > 0) break;
      continue;
    }
    const first = line.split('|')[1] ?? '';
    const paths = [...first.matchAll(/`([^`]+)`/g)].map((match) => (match[1] ?? '').replace(/\/$/, ''));
    if (paths.length > 0) rows.push(paths);
  }
  return rows;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|js)$/.test(entry.name) ? [path] : [];
  });
}

const rows = layoutRows();

function rowOf(file: string): number {
  const index = rows.findIndex((paths) => paths.some((path) => file === path || file.startsWith(`${path}/`)));
  return index;
}

function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.\.?\/[^']+)'/g)].map((match) =>
    relative(ROOT, resolve(ROOT, dirname(file), match[1] ?? '')).replace(/\.js$/, '.ts'),
  );
}

const files = ['src', 'parsers', 'bin'].flatMap(sourceFiles);

describe('the layer order of the README layout table', () => {
  it('lists the stages from source to command line', () => {
    expect(rows.map((paths) => paths[0])).toEqual([
      'src/util',
      'src/syscalls',
      'src/sources',
      'parsers',
      'src/binaries',
      'src/recording',
      'src/merge',
      'src/profile',
      'src/reference',
      'src/diff',
      'src/report',
      'src/emit',
      'src/pipeline',
      'src/cli',
      'data/reference',
      'samples/traces',
      'test',
    ]);
  });

  it('places every module in a row', () => {
    expect(files.filter((file) => rowOf(file) < 0)).toEqual([]);
  });

  it('has no import against the order', () => {
    const against = files.flatMap((file) =>
      importsOf(file)
        .filter((target) => rowOf(target) > rowOf(file))
        .map((target) => `${file} -> ${target}`),
    );
    expect(against).toEqual([]);
  });

  it('would catch an import against the order', () => {
    expect(rowOf('src/profile/generate.ts')).toBeGreaterThan(rowOf('parsers/strace.ts'));
    expect(importsOf('src/recording/builder.ts')).toContain('parsers/observation.ts');
  });
});
