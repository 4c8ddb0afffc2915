import { isEvenHex, latin1, QUOTE, startsWithAt, type ValueScanner } from './fields.js';

/** comm/exe strings kept for reuse: a log names few programs, over and over. */
const STRING_CACHE_SIZE = 4096;
/** Strings kept per first two bytes; "/usr/…" paths share them. */
const BUCKET_SIZE = 8;

/** The comm= and exe= values of records, each string made once for all the records that repeat it. */
export class StringReader {
  /** Strings seen, by their first two bytes. */
  private buckets: (string[] | undefined)[] = [];
  private size = 0;

  constructor(private readonly scan: ValueScanner) {}

  /**
   * The quoted value whose opening quote is at `at`. A string seen before is compared with the
   * bytes as they are read, so a repeated value costs one pass and no allocation.
   */
  quotedAt(bytes: Buffer, at: number, end: number): string {
    const start = at + 1;
    const slot = (bytes[start] as number) | ((bytes[start + 1] as number) << 8);
    const bucket = this.buckets[slot];
    if (bucket !== undefined) {
      for (let b = 0; b < bucket.length; b++) {
        const cached = bucket[b] as string;
        const close = start + cached.length;
        if (close >= end || bytes[close] !== QUOTE) continue;
        let k = 0;
        while (k < cached.length && cached.charCodeAt(k) === bytes[start + k]) k++;
        if (k === cached.length) {
          this.scan.end = close + 1;
          return cached;
        }
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
    if (high >= 0x80 || i >= end) return bytes.toString(high >= 0x80 ? 'utf8' : 'latin1', start, i);
    const value = latin1(bytes, start, i);
    if (this.size >= STRING_CACHE_SIZE) {
      this.buckets = [];
      this.size = 0;
    }
    const kept = this.buckets[slot];
    if (kept === undefined) this.buckets[slot] = [value];
    else if (kept.length < BUCKET_SIZE) kept.push(value);
    else kept[this.size % BUCKET_SIZE] = value;
    this.size++;
    return value;
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
    if (valueEnd === at || (valueEnd - at === 6 && startsWithAt(bytes, at, '(null)'))) return undefined;
    if (!interpreted && isEvenHex(bytes, at, valueEnd)) {
      return Buffer.from(latin1(bytes, at, valueEnd), 'hex').toString('utf8');
    }
    return bytes.toString('utf8', at, valueEnd);
  }
}
