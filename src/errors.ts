/**
 * A problem with what the user gave us (a file, an argument, the machine's set-up), as opposed to
 * a bug. The CLI prints it as one clear line and exits non-zero; anything else is a bug and is
 * reported as such.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

/** Bad input at a place in a file: the message names the file and line, as compilers do. */
export class InputError extends UserError {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly problem: string,
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${problem}`);
  }
}
