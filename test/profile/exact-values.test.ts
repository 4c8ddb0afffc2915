import { describe, expect, it } from 'vitest';
import { emitProfile } from '../../src/emit/formats.js';
import { parseProfile } from '../../src/profile/read.js';
import { parseJsonExact, stringifyJson } from '../../src/util/json-exact.js';

const MAX = '18446744073709551615';

const profileText = (value: string, valueTwo?: string): string =>
  `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [
    {
      "names": ["ioctl"],
      "action": "SCMP_ACT_ALLOW",
      "args": [{ "index": 1, "value": ${value},${valueTwo === undefined ? '' : ` "valueTwo": ${valueTwo},`} "op": "SCMP_CMP_MASKED_EQ" }]
    }
  ]
}`;

describe('argument values are uint64, exact from read to write', () => {
  it('reads values above 2^53 exactly, as bigint', () => {
    const profile = parseProfile(profileText(MAX, '9007199254740993'), 'p.json');
    expect(profile.syscalls?.[0]?.args).toEqual([
      { index: 1, value: 18446744073709551615n, valueTwo: 9007199254740993n, op: 'SCMP_CMP_MASKED_EQ' },
    ]);
  });

  it('carries small values as bigint too', () => {
    expect(parseProfile(profileText('38'), 'p.json').syscalls?.[0]?.args?.[0]?.value).toBe(38n);
  });

  it('writes them back as bare JSON integers, in every format', async () => {
    const profile = parseProfile(profileText(MAX, MAX), 'p.json');
    for (const format of ['docker', 'oci', 'spo'] as const) {
      const text = await emitProfile(profile, format, { name: 'p' });
      expect(text).toContain(`"value": ${MAX}`.replace(/"/g, format === 'spo' ? '' : '"'));
      expect(text).not.toContain('18446744073709552000');
      expect(text).not.toMatch(/"18446744073709551615"/);
    }
    const docker = await emitProfile(profile, 'docker', { name: 'p' });
    expect(parseProfile(docker, 'again.json')).toEqual(profile);
  });

  it('refuses what is not a uint64', () => {
    expect(() => parseProfile(profileText('18446744073709551616'), 'p.json')).toThrow(
      /syscalls\[0\]\.args\[0\]\.value: must be a non-negative integer up to 18446744073709551615/,
    );
    expect(() => parseProfile(profileText('-1'), 'p.json')).toThrow(/non-negative integer/);
    expect(() => parseProfile(profileText('1.5'), 'p.json')).toThrow(/non-negative integer/);
    expect(() => parseProfile(profileText('"7"'), 'p.json')).toThrow(/expected number, got string "7"/);
  });

  it('refuses an errnoRet that a number cannot hold exactly', () => {
    const text = '{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":18446744073709551615}';
    expect(() => parseProfile(text, 'p.json')).toThrow(/defaultErrnoRet: must be a non-negative integer/);
  });
});

describe('parseJsonExact and stringifyJson', () => {
  it('parses as JSON.parse does, except unsafe integers', () => {
    const text =
      '{"a":[1,-2.5e3,"x\\"y\\\\",true,false,null,{}],"b":9007199254740991,"c":9007199254740992,"d":-9007199254740993,"e":1e300,"__proto__":1}';
    const parsed = parseJsonExact(text) as Record<string, unknown>;
    expect(parsed.a).toEqual(JSON.parse(text).a);
    expect(parsed.b).toBe(9007199254740991);
    expect(parsed.c).toBe(9007199254740992n);
    expect(parsed.d).toBe(-9007199254740993n);
    expect(parsed.e).toBe(1e300);
    expect(Object.keys(parsed)).toContain('__proto__');
  });

  it('keeps JSON.parse errors', () => {
    expect(() => parseJsonExact('{"a": 12345678901234567890,}')).toThrow(SyntaxError);
  });

  it('lays out as JSON.stringify does, with bigint as integers', () => {
    const value = { a: [1, 'two', null, undefined, { b: true, c: undefined }], d: {}, e: [], f: 'é\n' };
    expect(stringifyJson(value)).toBe(JSON.stringify(value, null, 2));
    expect(stringifyJson(value, '\t')).toBe(JSON.stringify(value, null, '\t'));
    expect(stringifyJson(value, 0)).toBe(JSON.stringify(value));
    expect(stringifyJson({ v: 18446744073709551615n })).toBe(`{\n  "v": ${MAX}\n}`);
  });
});
