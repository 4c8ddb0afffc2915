import { renderJson } from '../report/render.js';
import { style } from '../util/color.js';
import { visible } from '../util/visible.js';

/** Human output goes to stderr so that stdout stays clean for --json and profiles. */
export function say(text = ''): void {
  process.stderr.write(`${text}\n`);
}

/** A warning on stderr: `text` (plain, unstyled) is shown with its control characters escaped. */
export function warn(text: string): void {
  say(`${style.yellow('warning:')} ${visible(text)}`);
}

/** JSON on stdout, as `diff --json` and `report --format json` print it. */
export function printJson(value: unknown): void {
  process.stdout.write(renderJson(value));
}
