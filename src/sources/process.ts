import { constants } from 'node:os';

/** The shell's convention: the exit status, or 128+N when signal N ended the process. */
export function exitCodeOf(result: { exitCode?: number; signal?: string }): number {
  const signal = result.signal ? constants.signals[result.signal as NodeJS.Signals] : undefined;
  if (signal !== undefined) return 128 + signal;
  return result.exitCode ?? 1;
}

const STOPPING_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * While a workload runs, the signals that would stop seccomp-learn are handed to `forward` instead,
 * so the workload decides how to stop and seccomp-learn still collects and cleans up. Returns the
 * function that restores the default handling.
 */
export function forwardStopSignals(forward: (signal: NodeJS.Signals) => void): () => void {
  const handlers = STOPPING_SIGNALS.map((signal) => [signal, () => forward(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}

/** The workload's stdio: ours, except that stdout may be sent to our stderr (file descriptor 2). */
export function workloadStdio(stdoutToStderr: boolean | undefined): ['inherit', 'inherit' | 2, 'inherit'] {
  return ['inherit', stdoutToStderr ? 2 : 'inherit', 'inherit'];
}
