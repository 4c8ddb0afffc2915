import type { LearnedArgument } from '../src/syscalls/arguments.js';

/**
 * Reads the value of one learned argument from a strace trace line, in every form strace prints
 * it: symbolic (`AF_INET`, `CLONE_VM|CLONE_FS|SIGCHLD`), raw (`-X raw`: `0x2`, `0x1200000|17`),
 * verbose (`-X verbose`: `0x2 /* AF_INET *\/`), decimal or octal, and named fields (`flags=…` of
 * clone, and of clone3's structure). Only lines of the few learned syscalls come here.
 */

const UNREADABLE = undefined;

/** Where the argument's text is in `line`: [start, end), or undefined when the line does not show it. */
function positional(
  line: string,
  open: number,
  limit: number,
  position: number,
): [number, number] | undefined {
  let depth = 0;
  let index = 0;
  let start = open + 1;
  for (let i = open + 1; i < limit; i++) {
    const c = line.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < limit; i++) {
        const d = line.charCodeAt(i);
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x28 || c === 0x5b || c === 0x7b) {
      depth++;
    } else if (c === 0x29 || c === 0x5d || c === 0x7d) {
      if (depth === 0) return index === position ? [start, i] : undefined;
      depth--;
    } else if (c === 0x3c /* < */ && depth === 0 && i > start && isDigitCode(line.charCodeAt(i - 1))) {
      // -y / -yy: `3</proc/1/ns/net>` names the descriptor's file, which may hold anything.
      const close = line.indexOf('>', i);
      if (close < 0) return undefined;
      i = close;
    } else if (c === 0x2c /* , */ && depth === 0) {
      if (index === position) return [start, i];
      index++;
      start = i + 1;
    }
  }
  return index === position && limit > start ? [start, limit] : undefined;
}

function named(line: string, open: number, limit: number, field: string): [number, number] | undefined {
  const key = `${field}=`;
  let at = line.indexOf(key, open);
  while (at >= 0 && at < limit) {
    const before = line.charCodeAt(at - 1);
    if (before === 0x28 || before === 0x7b || before === 0x20) break;
    at = line.indexOf(key, at + key.length);
  }
  if (at < 0 || at >= limit) return undefined;
  const start = at + key.length;
  let end = start;
  while (end < limit) {
    const c = line.charCodeAt(end);
    if (c === 0x2c || c === 0x7d || c === 0x29) break;
    if (c === 0x2f && line.charCodeAt(end + 1) === 0x2a) {
      const close = line.indexOf('*/', end + 2);
      end = close < 0 ? limit : close + 2;
      continue;
    }
    end++;
  }
  return [start, end];
}

function isDigitCode(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** The value of one term: a number in strace's notation or a name the argument knows. */
function termValue(term: string, names: ReadonlyMap<string, bigint>): bigint | undefined {
  if (term === '') return UNREADABLE;
  const c = term.charCodeAt(0);
  if (isDigitCode(c)) {
    if (/^0x[0-9a-f]+$/i.test(term) || /^[1-9][0-9]*$/.test(term) || term === '0') return BigInt(term);
    if (/^0[0-7]+$/.test(term)) return BigInt(`0o${term.slice(1)}`);
    return UNREADABLE;
  }
  return names.get(term);
}

/** `A|B|0x10 /* C *\/`: the OR of the terms, or undefined when one of them cannot be read. */
export function expressionValue(text: string, names: ReadonlyMap<string, bigint>): bigint | undefined {
  const bare = text.includes('/*') ? text.replace(/\/\*.*?\*\//g, '') : text;
  let value = 0n;
  for (const part of bare.split('|')) {
    const term = termValue(part.trim(), names);
    if (term === undefined) return UNREADABLE;
    value |= term;
  }
  if (value >= 2n ** 64n) return UNREADABLE;
  return value;
}

/**
 * The value of `argument` on the call line (its `(` at `open`); undefined when the line shows it in
 * no form this reads, or not at all (`clone3(NULL, 0)`, a cut line): the recording then says the
 * argument took a value it could not read, and leaves it unconstrained.
 */
export function straceArgumentValue(
  line: string,
  open: number,
  argument: LearnedArgument,
): bigint | undefined {
  let limit = line.lastIndexOf(') = ');
  if (limit < open) {
    const unfinished = line.lastIndexOf(' <unfinished ...>');
    limit = unfinished > open ? unfinished : line.length;
  }
  const span =
    'position' in argument.strace
      ? positional(line, open, limit + (line.charCodeAt(limit) === 0x29 ? 1 : 0), argument.strace.position)
      : named(line, open, limit, argument.strace.field);
  if (!span) return UNREADABLE;
  const text = line.slice(span[0], span[1]).trim();
  let values = decoded.get(argument);
  if (values === undefined) {
    values = new Map();
    decoded.set(argument, values);
  }
  if (values.has(text)) return values.get(text);
  const value = expressionValue(text, argument.names);
  if (values.size < MAX_DECODED) values.set(text, value);
  return value;
}

/**
 * Values already read, per argument and text: a trace repeats the same few flag sets thousands of
 * times, and reading one (split, trim, a BigInt per term) costs more than the rest of its line.
 * Bounded, for an argument whose texts never repeat.
 */
const decoded = new WeakMap<LearnedArgument, Map<string, bigint | undefined>>();
const MAX_DECODED = 1024;
