/**
 * JSON that keeps whole numbers exact. Seccomp argument values are uint64 (up to 2^64-1), which
 * JSON.parse rounds to the nearest double above 2^53 (18446744073709551615 becomes
 * 18446744073709552000, a value Docker refuses). Node 20 has neither the reviver's source text nor
 * JSON.rawJSON, so:
 * - parseJsonExact reads integer literals beyond Number.MAX_SAFE_INTEGER as bigint, everything else
 *   as JSON.parse does;
 * - stringifyJson writes bigint as a bare JSON integer, laid out as JSON.stringify(value, null, indent).
 */

/** Integer literals long enough to be unsafe; text without any is left to JSON.parse alone. */
const LONG_INTEGER = /\d{16}/;

/**
 * JSON.parse, except that an integer literal (no fraction, no exponent) outside the safe range
 * becomes a bigint. Syntax errors are JSON.parse's own.
 */
export function parseJsonExact(text: string): unknown {
  const plain = JSON.parse(text) as unknown;
  if (!LONG_INTEGER.test(text)) return plain;
  // The text is valid JSON (JSON.parse said so): a small reader suffices, without error handling.
  let pos = 0;
  const space = () => {
    while (pos < text.length && ' \t\n\r'.includes(text.charAt(pos))) pos++;
  };
  const string = (): string => {
    const start = pos++;
    while (text.charAt(pos) !== '"') pos += text.charAt(pos) === '\\' ? 2 : 1;
    pos++;
    return JSON.parse(text.slice(start, pos)) as string;
  };
  const value = (): unknown => {
    space();
    const char = text.charAt(pos);
    if (char === '{') {
      pos++;
      const object: Record<string, unknown> = {};
      space();
      if (text.charAt(pos) === '}') {
        pos++;
        return object;
      }
      for (;;) {
        space();
        const key = string();
        space();
        pos++; // ':'
        const item = value();
        // As JSON.parse: a "__proto__" key is an own property, not the prototype.
        Object.defineProperty(object, key, {
          value: item,
          enumerable: true,
          writable: true,
          configurable: true,
        });
        space();
        if (text.charAt(pos++) === '}') return object;
      }
    }
    if (char === '[') {
      pos++;
      const array: unknown[] = [];
      space();
      if (text.charAt(pos) === ']') {
        pos++;
        return array;
      }
      for (;;) {
        array.push(value());
        space();
        if (text.charAt(pos++) === ']') return array;
      }
    }
    if (char === '"') return string();
    const literal = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
    literal.lastIndex = pos;
    const token = (literal.exec(text) as RegExpExecArray)[0];
    pos = literal.lastIndex;
    if (token === 'true') return true;
    if (token === 'false') return false;
    if (token === 'null') return null;
    if (/^-?\d+$/.test(token)) {
      const exact = BigInt(token);
      const safe = BigInt(Number.MAX_SAFE_INTEGER);
      return exact > safe || exact < -safe ? exact : Number(token);
    }
    return Number(token);
  };
  return value();
}

/**
 * JSON.stringify(value, null, indent) that writes bigint as a JSON integer instead of throwing.
 * Handles what seccomp-learn writes: plain objects, arrays, strings, numbers, booleans, null
 * (undefined properties are left out, undefined array items become null, as JSON.stringify does).
 */
export function stringifyJson(value: unknown, indent: number | string = 2): string {
  const pad = typeof indent === 'number' ? ' '.repeat(indent) : indent;
  const write = (item: unknown, depth: string): string | undefined => {
    if (typeof item === 'bigint') return item.toString();
    if (item === null || typeof item !== 'object') {
      return typeof item === 'function' || typeof item === 'symbol' ? undefined : JSON.stringify(item);
    }
    if (typeof (item as { toJSON?: unknown }).toJSON === 'function') {
      return write((item as { toJSON: () => unknown }).toJSON(), depth);
    }
    const inner = depth + pad;
    const open = pad ? `\n${inner}` : '';
    const close = pad ? `\n${depth}` : '';
    const comma = pad ? `,\n${inner}` : ',';
    if (Array.isArray(item)) {
      if (item.length === 0) return '[]';
      return `[${open}${item.map((element) => write(element, inner) ?? 'null').join(comma)}${close}]`;
    }
    const colon = pad ? ': ' : ':';
    const members = Object.entries(item).flatMap(([key, element]) => {
      const text = write(element, inner);
      return text === undefined ? [] : [`${JSON.stringify(key)}${colon}${text}`];
    });
    if (members.length === 0) return '{}';
    return `{${open}${members.join(comma)}${close}}`;
  };
  return write(value, '') ?? 'null';
}
