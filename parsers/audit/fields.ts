/**
 * Reading audit fields straight from bytes: words, keys, numbers, hex values and the end of a
 * value, all bounded by the line's end (the bytes beyond are the chunk's next lines).
 */

export const SPACE = 0x20;
export const QUOTE = 0x22;
export const DOT = 0x2e;
export const COLON = 0x3a;
export const EQUALS = 0x3d;
export const GROUP_SEPARATOR = 0x1d;

/**
 * Text looked for in every line, made once: its bytes (comparing them costs less than reading a
 * string's characters), and the Boyer-Moore-Horspool shift of each byte value.
 */
export interface Word {
  readonly text: string;
  readonly bytes: Uint8Array;
  /** How far a search window may move when its last byte is the index. */
  readonly shift: Uint8Array;
}

export function word(text: string): Word {
  const bytes = Uint8Array.from(Buffer.from(text, 'latin1'));
  const shift = new Uint8Array(256).fill(bytes.length);
  for (let i = 0; i < bytes.length - 1; i++) shift[bytes[i] as number] = bytes.length - 1 - i;
  return { text, bytes, shift };
}

/** Whether `bytes` hold `w` at `at`, all of it before `end`. */
export function startsWithAt(bytes: Buffer, at: number, end: number, w: Word): boolean {
  const expected = w.bytes;
  if (at + expected.length > end) return false;
  for (let i = 0; i < expected.length; i++) if (bytes[at + i] !== expected[i]) return false;
  return true;
}

/**
 * Where `w` first is in bytes [from, end), or -1. Boyer-Moore-Horspool: the window's last byte
 * says how far it may move, so the digits and hex between keys are mostly stepped over.
 */
export function indexOfAt(bytes: Buffer, from: number, end: number, w: Word): number {
  const { bytes: expected, shift } = w;
  const lastOfWord = expected.length - 1;
  const lastByte = expected[lastOfWord] as number;
  for (let i = from + lastOfWord; i < end; ) {
    const c = bytes[i] as number;
    if (c === lastByte) {
      let k = lastOfWord - 1;
      while (k >= 0 && bytes[i - lastOfWord + k] === expected[k]) k--;
      if (k < 0) return i - lastOfWord;
    }
    i += shift[c] as number;
  }
  return -1;
}

/**
 * Where `key` (" name=") is, at or after `from`. It is first looked for right at `from`, where the
 * kernel's fixed layout puts it; there the name's first and third characters and the '=' tell
 * every key read here from the others.
 */
export function fieldAt(bytes: Buffer, key: Word, from: number, end: number): number {
  const expected = key.bytes;
  const last = from + expected.length - 1;
  if (
    last < end &&
    bytes[last] === EQUALS &&
    bytes[from + 1] === expected[1] &&
    bytes[from + 3] === expected[3] &&
    bytes[from] === SPACE
  ) {
    return from;
  }
  return indexOfAt(bytes, from, end, key);
}

/** The value of each byte as a hex digit, -1 for other bytes: one load instead of three ranges. */
const HEX_DIGITS = new Int8Array(256).fill(-1);
for (let c = 0; c < 256; c++) {
  if (c >= 0x30 && c <= 0x39) HEX_DIGITS[c] = c - 0x30;
  else if (c >= 0x61 && c <= 0x66) HEX_DIGITS[c] = c - 0x57;
  else if (c >= 0x41 && c <= 0x46) HEX_DIGITS[c] = c - 0x37;
}

export function hexDigit(c: number): number {
  return HEX_DIGITS[c] ?? -1;
}

export function endsValue(bytes: Buffer, at: number, end: number): boolean {
  return at >= end || bytes[at] === SPACE || bytes[at] === GROUP_SEPARATOR;
}

export function latin1(bytes: Buffer, start: number, end: number): string {
  return bytes.toString('latin1', start, end);
}

export function isEvenHex(bytes: Buffer, start: number, end: number): boolean {
  if (end <= start || (end - start) % 2 !== 0) return false;
  for (let i = start; i < end; i++) if (hexDigit(bytes[i] as number) < 0) return false;
  return true;
}

/** ENRICHED logs may glue `AUID="…"` straight onto a hex value ("code=0x7ffc0000AUID="). */
const ENRICHED = word('AUID=');

/**
 * Reads values and remembers where the last one ended (`end`), which saves allocating a result per
 * field. One per parser: nothing is shared between parsers.
 */
export class ValueScanner {
  /** End of the last value scanned. */
  end = 0;

  digits(bytes: Buffer, at: number, end: number): number | undefined {
    let value = 0;
    let i = at;
    for (; i < end; i++) {
      const c = bytes[i] as number;
      if (c < 0x30 || c > 0x39) break;
      value = value * 10 + c - 0x30;
    }
    this.end = i;
    return i === at ? undefined : value;
  }

  signed(bytes: Buffer, at: number, end: number): number | undefined {
    if (bytes[at] !== 0x2d) return this.digits(bytes, at, end);
    const value = this.digits(bytes, at + 1, end);
    return value === undefined ? undefined : -value;
  }

  /** A value of 1 to 8 hex digits, or undefined when it is a name (`ausearch -i`). */
  hex(bytes: Buffer, at: number, end: number): number | undefined {
    let value = 0;
    let i = at;
    for (const last = Math.min(at + 8, end); i < last; i++) {
      const c = bytes[i] as number;
      const digit = HEX_DIGITS[c] as number;
      if (digit < 0 || (c === 0x41 && startsWithAt(bytes, i, end, ENRICHED))) break;
      value = value * 16 + digit;
    }
    this.end = i;
    if (i === at) return undefined;
    return endsValue(bytes, i, end) || startsWithAt(bytes, i, end, ENRICHED) ? value : undefined;
  }

  /** Where the value that starts at `at` ends: at a space, the enriched separator or the line's end. */
  tokenEnd(bytes: Buffer, at: number, end: number): number {
    let i = at;
    while (!endsValue(bytes, i, end)) i++;
    this.end = i;
    return i;
  }
}
