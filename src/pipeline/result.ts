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
