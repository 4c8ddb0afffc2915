import { isEvenHex, latin1, QUOTE, startsWithAt, type ValueScanner, word } from './fields.js';

/** comm/exe strings kept for reuse: a log names few programs, over and over. */
const STRING_CACHE_SIZE = 4096;
/** Values kept per first byte: "/usr/…" paths share one. */
const BUCKET_SIZE = 16;
const NULL_VALUE = word('(null)');

interface Known {
  readonly text: string;
  readonly bytes: Uint8Array;
}

/** The comm= and exe= values of records, each string made once for all the records that repeat it. */
export class StringReader {
  /** Values seen, by first byte, the last one found first; a dense array, so a bucket is one load. */
  private buckets: (Known[] | undefined)[] = new Array<Known[] | undefined>(256).fill(undefined);
  private size = 0;

  constructor(private readonly scan: ValueScanner) {}

  /**
   * The quoted value whose opening quote is at `at`. The values seen before that start with the
   * same byte are compared with the bytes first, the quote where each would end at the front, so a
   * repeated value costs one pass and no allocation.
   */
  quotedAt(bytes: Buffer, at: number, end: number): string {
    const start = at + 1;
    const bucket = this.buckets[bytes[start] as number];
    if (bucket !== undefined) {
      for (let b = 0; b < bucket.length; b++) {
        const known = bucket[b] as Known;
        const expected = known.bytes;
        const close = start + expected.length;
        if (close >= end || bytes[close] !== QUOTE) continue;
        let k = 1;
        while (k < expected.length && expected[k] === bytes[start + k]) k++;
        if (k < expected.length) continue;
        this.scan.end = close + 1;
        if (b > 0) {
          // Most recently found first: a log's records come in runs of one program.
          bucket[b] = bucket[0] as Known;
          bucket[0] = known;
        }
        return known.text;
      }
    }
    let high = 0;
    let i = start;
    for (; i < end; i++) {
      const c = bytes[i] as number;
      if (c === QUOTE) break;
      high |= c;
    }
    this.scan.end = i < end ? i + 1 : end;
    if (high >= 0x80) return bytes.toString('utf8', start, i);
    const text = latin1(bytes, start, i);
    // Neither an empty value nor one without its closing quote is kept: both end where no byte says so.
    if (i >= end || i === start) return text;
    if (this.size >= STRING_CACHE_SIZE) {
      this.buckets.fill(undefined);
      this.size = 0;
    }
    const known = { text, bytes: Uint8Array.prototype.slice.call(bytes, start, i) };
    const kept = this.buckets[bytes[start] as number];
    if (kept === undefined) this.buckets[bytes[start] as number] = [known];
    else if (kept.length < BUCKET_SIZE) kept.push(known);
    else kept[kept.length - 1] = known;
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
