import type { Readable } from 'node:stream';

/**
 * Resolves once `stream` has printed `marker`: tests wait for the workload to say it is ready instead of
 * sleeping a fixed time, which fails on a loaded machine and wastes time on an idle one.
 */
export function waitForOutput(stream: Readable | null, marker: string, timeoutMs = 15_000): Promise<void> {
  if (!stream) return Promise.reject(new Error('no stream to wait on'));
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => finish(new Error(`no "${marker}" within ${timeoutMs} ms; saw: ${seen}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer | string) => {
      seen += String(chunk);
      if (seen.includes(marker)) finish();
    };
    const onEnd = () => finish(new Error(`stream ended before "${marker}"; saw: ${seen}`));
    function finish(error?: Error) {
      clearTimeout(timer);
      stream?.off('data', onData).off('end', onEnd);
      if (error) reject(error);
      else resolve();
    }
    stream.on('data', onData).on('end', onEnd);
  });
}

/** Polls `check` every 50 ms until it returns true; the deadline bounds a test that would otherwise hang. */
export async function waitUntil(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
