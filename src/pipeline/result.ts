import { UserError } from '../errors.js';

/**
 * What one use of seccomp-learn (learn, generate, merge, check, diff, report) produced, for the
 * command line to print. Stages never print, never set process.exitCode: they return this.
 */
export interface PipelineResult {
  /** Files written, in the order they were written. */
  written: string[];
  /** Plain text for the user (the command line escapes and styles it): what may make the result wrong or incomplete. */
  warnings: string[];
  /** The exit status the command line ends with. */
  exitStatus: number;
}

/**
 * Runs the rest of a use whose warnings are collected as it goes. When it fails with a user error,
 * they travel with the error, so that a warning about an input is not lost to the error it led to.
 */
export async function keepingWarnings<T>(warnings: readonly string[], rest: () => Promise<T>): Promise<T> {
  try {
    return await rest();
  } catch (error) {
    if (error instanceof UserError) error.warnings.unshift(...warnings);
    throw error;
  }
}
