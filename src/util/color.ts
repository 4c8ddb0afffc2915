/**
 * The one colour decision for human output, kept free of dependencies so that main.ts can use it
 * without loading the table code. In order:
 * - `FORCE_COLOR` set: `0` or `false` turns colour off; `1`, `2`, `3`, `true` or the empty string
 *   turn it on, terminal or not (as Node.js and most command-line tools read it);
 * - `NO_COLOR` set and not empty turns colour off (no-color.org);
 * - otherwise colour when the stream is a terminal.
 */
export function colorEnabled(
  env: NodeJS.ProcessEnv = process.env,
  stream: { isTTY?: boolean } = process.stderr,
): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true;
}

/** Terminal styling for human output on stderr; the decision is colorEnabled's (FORCE_COLOR, NO_COLOR, TTY). */
export function useColor(): boolean {
  return colorEnabled(process.env, process.stderr);
}

function paint(code: number, reset: number): (text: string) => string {
  return (text) => (useColor() ? `\u001b[${code}m${text}\u001b[${reset}m` : text);
}

export const style = {
  bold: paint(1, 22),
  dim: paint(2, 22),
  yellow: paint(33, 39),
  red: paint(31, 39),
  green: paint(32, 39),
};
