import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fieldAt, indexOfAt, ValueScanner, word } from '../../parsers/audit/fields.js';
import { StringReader } from '../../parsers/audit/strings.js';

describe('audit field scanning', () => {
  it('indexOfAt finds what String.indexOf finds, never past the end', () => {
    const keys = [' pid=', ' code=', 'audit(', ' syscall='];
    const text = fc.string({
      unit: fc.constantFrom(' ', 'p', 'i', 'd', '=', 'c', 'o', 'e', 'a', '1', '(', 'x'),
    });
    fc.assert(
      fc.property(text, fc.nat(), fc.nat(), fc.constantFrom(...keys), (s, a, b, needle) => {
        const bytes = Buffer.from(s, 'latin1');
        const from = Math.min(a, bytes.length);
        const end = from + Math.min(b, bytes.length - from);
        const expected = s.slice(0, end).indexOf(needle, from);
        expect(indexOfAt(bytes, from, end, word(needle))).toBe(expected);
      }),
    );
  });

  it('fieldAt takes a key right at `from` or further on', () => {
    const bytes = Buffer.from('x sig=0 arch=c000003e syscall=1');
    expect(fieldAt(bytes, word(' sig='), 1, bytes.length)).toBe(1);
    expect(fieldAt(bytes, word(' syscall='), 1, bytes.length)).toBe(21);
    expect(fieldAt(bytes, word(' syscall='), 1, 25)).toBe(-1);
  });

  it('each parser scans with its own ValueScanner', () => {
    const one = new ValueScanner();
    const two = new ValueScanner();
    const bytes = Buffer.from('1234 56');
    expect(one.digits(bytes, 0, bytes.length)).toBe(1234);
    expect(two.digits(bytes, 5, bytes.length)).toBe(56);
    expect([one.end, two.end]).toEqual([4, 7]);
  });

  it('StringReader returns the quoted bytes, cached or not, and where they end', () => {
    const scan = new ValueScanner();
    const strings = new StringReader(scan);
    const values = [
      '/usr/bin/a',
      '/usr/bin/ab',
      '/usr/sbin/nginx',
      '',
      'x',
      '/usr/bin/a',
      'sh',
      '/u',
      '/usr/bin/ab',
    ];
    for (let round = 0; round < 3; round++) {
      for (const value of [...values, ...Array.from({ length: 20 }, (_, i) => `/us${i}`)]) {
        const bytes = Buffer.from(`comm="${value}" exe`, 'latin1');
        expect(strings.quotedAt(bytes, 5, bytes.length)).toBe(value);
        expect(scan.end).toBe(7 + value.length);
      }
    }
    const open = Buffer.from('comm="/usr/bin/a');
    expect(strings.quotedAt(open, 5, open.length - 2)).toBe('/usr/bin');
    expect(scan.end).toBe(open.length - 2);
    const utf8 = Buffer.from('comm="café"');
    expect(strings.quotedAt(utf8, 5, utf8.length)).toBe('café');
  });
});
