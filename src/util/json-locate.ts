export type JsonPath = readonly (string | number)[];

/**
 * Finds where JSON values start (by path) and where a syntax error is, which JSON.parse does not
 * reliably say on Node 20. Only run when something went wrong, so it favours brevity over speed.
 */
export function locateJson(text: string): { offsets: Map<string, number>; errorAt?: number } {
  const offsets = new Map<string, number>();
  let pos = 0;
  const fail = (): never => {
    throw pos;
  };
  const space = () => {
    while (pos < text.length && ' \t\n\r'.includes(text.charAt(pos))) pos++;
  };
  const expect = (char: string) => {
    if (text.charAt(pos) !== char) fail();
    pos++;
  };
  const string = (): string => {
    const start = pos;
    expect('"');
    while (text.charAt(pos) !== '"') {
      if (pos >= text.length || text.charAt(pos) < ' ') fail();
      pos += text.charAt(pos) === '\\' ? 2 : 1;
    }
    pos++;
    try {
      return JSON.parse(text.slice(start, pos)) as string;
    } catch {
      pos = start;
      return fail();
    }
  };
  const value = (path: JsonPath): void => {
    space();
    offsets.set(JSON.stringify(path), pos);
    const char = text.charAt(pos);
    if (char === '{' || char === '[') {
      const close = char === '{' ? '}' : ']';
      pos++;
      space();
      if (text.charAt(pos) === close) {
        pos++;
        return;
      }
      for (let index = 0; ; index++) {
        space();
        let key: string | number = index;
        if (close === '}') {
          key = string();
          space();
          expect(':');
        }
        value([...path, key]);
        space();
        if (text.charAt(pos) !== ',') break;
        pos++;
      }
      expect(close);
    } else if (char === '"') {
      string();
    } else {
      const literal = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
      literal.lastIndex = pos;
      if (!literal.test(text)) fail();
      pos = literal.lastIndex;
    }
  };
  try {
    value([]);
    space();
    if (pos < text.length) fail();
    return { offsets };
  } catch (at) {
    if (typeof at !== 'number') throw at;
    return { offsets, errorAt: at };
  }
}

export function lineAt(text: string, offset: number | undefined): number | undefined {
  if (offset === undefined) return undefined;
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
