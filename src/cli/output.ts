import { style } from '../util/color.js';
import { stringifyJson } from '../util/json-exact.js';
import { inertJson, visible } from '../util/visible.js';

/** Human output goes to stderr so that stdout stays clean for --json and profiles. */
export function say(text = ''): void {
  process.stderr.write(`${text}\n`);
}

/** A warning on stderr: `text` (plain, unstyled) is shown with its control characters escaped. */
export function warn(text: string): void {
  say(`${style.yellow('warning:')} ${visible(text)}`);
}

/** JSON on stdout; the control characters JSON.stringify leaves raw (DEL, C1) are \u-escaped too. */
export function printJson(value: unknown): void {
  process.stdout.write(`${inertJson(stringifyJson(value))}\n`);
}
