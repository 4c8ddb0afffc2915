/**
 * A problem with what the user gave us (a file, an argument, the machine's set-up), as opposed to
 * a bug. The CLI prints it as one clear line and exits non-zero; anything else is a bug and is
 * reported as such.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  /** Warnings the use had for the user before it failed: printed before the error. */
  readonly warnings: string[] = [];
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

/**
 * The machine seccomp-learn runs on is not one it can work on as it is (an architecture it has no
 * table for, a kernel release it cannot read, a broken installation). Not a bug: the user can act on
 * it (another flag, another machine, a reinstall), so it is a one-line user error, exit 2.
 */
export class EnvironmentError extends UserError {}

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

/**
 * The profile holds something the chosen output format cannot say (an argument rule in systemd's
 * SystemCallFilter=, a per-call errno in an appc isolator): refused as one line rather than written
 * looser or stricter than the profile.
 */
export class FormatLimitError extends UserError {
  constructor(
    readonly format: string,
    readonly problem: string,
  ) {
    super(`cannot write the profile as ${format}: ${problem}`);
  }
}
