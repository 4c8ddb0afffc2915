import { describe, expect, it } from 'vitest';
import { visibleWidth, wrapText, wrapWords } from '../../src/util/wrap.js';

describe('the one word wrap', () => {
  it('fills words into lines of at most the width, the indent included', () => {
    const words = 'read write openat close exit_group mmap munmap brk'.split(' ');
    const lines = wrapWords(words, 24, '  ');
    expect(lines).toEqual(['  read write openat', '  close exit_group mmap', '  munmap brk']);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(24);
    expect(lines.join(' ').split(/\s+/).filter(Boolean)).toEqual(words);
  });

  it('cuts a word longer than a line, and gives no line for no words', () => {
    expect(wrapWords(['a', 'x'.repeat(12), 'b'], 5)).toEqual(['a', 'xxxxx', 'xxxxx', 'xx b']);
    expect(wrapWords([], 10, '  ')).toEqual([]);
  });

  it('counts what a terminal shows: no width for colour codes, one column per code point', () => {
    expect(visibleWidth('\u001b[1mbold\u001b[22m')).toBe(4);
    expect(visibleWidth('kernel ≥ 4.8')).toBe(12);
    expect(wrapText('\u001b[1mbold\u001b[22m text\nnext', 9)).toEqual([
      '\u001b[1mbold\u001b[22m text',
      'next',
    ]);
  });
});
