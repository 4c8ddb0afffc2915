/**
 * Text from an input (a recording, a profile, a file name) shown safely: the one home of what counts
 * as a control character and how it is written out. Every renderer and every line on the terminal
 * passes input-derived strings through `visible`, so an escape sequence, a bare CR or a newline in a
 * syscall name, a command or a warning is shown as `\x1b`, `\r`, `\n` instead of acting.
 */

/**
 * C0 controls (newline and tab included: one field must not make two lines), DEL, C1 controls (0x9b
 * is CSI on many terminals), the Unicode line and paragraph separators, and the bidirectional
 * embedding, override and isolate marks that reorder what a reader sees ("Trojan Source").
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;
/** The same less C0, which JSON.stringify already escapes inside strings (its own newlines are layout). */
const CONTROL_PAST_C0 = /[\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeControl(char: string): string {
  const named = NAMED[char];
  if (named) return named;
  const code = char.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `value` with every control character written as an escape (`\x1b`, `\r`, `\n`, `\u202e`): terminal-safe text. */
export function visible(value: string): string {
  return value.replace(CONTROL, escapeControl);
}

/**
 * JSON text with the characters JSON.stringify leaves raw (DEL, C1, the separators and bidi marks)
 * written as \u escapes, so it stays valid JSON that means the same and shows no control character.
 */
export function inertJson(json: string): string {
  return json.replace(CONTROL_PAST_C0, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Multi-line text of our own (a code block) whose lines may hold input: each line made visible. */
export function visibleLines(text: string): string {
  return text.split('\n').map(visible).join('\n');
}
