import { isEvenHex, latin1, QUOTE, startsWithAt, type ValueScanner, word } from './fields.js';

/** comm/exe strings kept for reuse: a log names few programs, over and over. */
const STRING_CACHE_SIZE = 4096;
/** Values kept per bucket (first byte and length modulo 32): "/usr/…" paths share a first byte. */
const BUCKET_SIZE = 8;
const BUCKETS = 256 * 32;
const NULL_VALUE = word('(null)');

interface Known {
  readonly text: string;
  readonly bytes: Uint8Array;
}

/** The comm= and exe= values of records, each string made once for all the records that repeat it. */
export class StringReader {
  /** Values seen, by bucket; a dense array, so that finding a bucket is one indexed load. */
  private buckets: (Known[] | undefined)[] = new Array<Known[] | undefined>(BUCKETS).fill(undefined);
  private size = 0;

  constructor(private readonly scan: ValueScanner) {}

  /**
   * The quoted value whose opening quote is at `at`. Finding the closing quote gives the length,
   * which with the first byte picks the bucket; a value seen before is then one comparison of
   * bytes, and no allocation.
   */
  quotedAt(bytes: Buffer, at: number, end: number): string {
    const start = at + 1;
    let high = 0;
    let i = start;
    for (; i < end; i++) {
      const c = bytes[i] as number;
      if (c === QUOTE) break;
      high |= c;
    }
    this.scan.end = i < end ? i + 1 : end;
    if (high >= 0x80) return bytes.toString('utf8', start, i);
    if (i >= end) return latin1(bytes, start, i);
    const length = i - start;
    const slot = ((bytes[start] as number) << 5) | (length & 31);
    const bucket = this.buckets[slot];
    if (bucket !== undefined) {
      for (let b = 0; b < bucket.length; b++) {
        const known = bucket[b] as Known;
        const expected = known.bytes;
        if (expected.length !== length) continue;
        let k = 0;
        while (k < length && expected[k] === bytes[start + k]) k++;
        if (k === length) return known.text;
      }
    }
    const text = latin1(bytes, start, i);
    if (this.size >= STRING_CACHE_SIZE) {
      this.buckets.fill(undefined);
      this.size = 0;
    }
    const known = { text, bytes: Uint8Array.prototype.slice.call(bytes, start, i) };
    const kept = this.buckets[slot];
    if (kept === undefined) this.buckets[slot] = [known];
    else if (kept.length < BUCKET_SIZE) kept.push(known);
    else kept[this.size % BUCKET_SIZE] = known;
    this.size++;
    return text;
  }

  /**
   * comm= and exe= values. The kernel quotes a value, or prints it as unquoted hex when it holds
   * spaces, quotes or control bytes (audit_log_untrustedstring); `ausearch -i` prints it decoded
   * and unquoted, spaces included, so there it runs up to the next field.
   */
  stringAt(
    bytes: Buffer,
    at: number,
    end: number,
    interpreted: boolean,
    nextField: number,
  ): string | undefined {
    if (bytes[at] === QUOTE) return this.quotedAt(bytes, at, end);
    const valueEnd = interpreted && nextField >= 0 ? nextField : this.scan.tokenEnd(bytes, at, end);
    this.scan.end = valueEnd;
    if (valueEnd === at || (valueEnd - at === 6 && startsWithAt(bytes, at, end, NULL_VALUE)))
      return undefined;
    if (!interpreted && isEvenHex(bytes, at, valueEnd)) {
      return Buffer.from(latin1(bytes, at, valueEnd), 'hex').toString('utf8');
    }
    return bytes.toString('utf8', at, valueEnd);
  }
}
