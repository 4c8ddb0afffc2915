import { describe, expect, it } from 'vitest';
import { EnvironmentError, UserError } from '../src/errors.js';
import { hostAbi } from '../src/syscalls/abi.js';
import { hostKernel } from '../src/syscalls/kernel.js';
import { makePrivateDirectory } from '../src/util/files.js';
import { packageRootAbove } from '../src/util/package-root.js';

async function rejectionOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** An environment problem is the user's to act on: one line, exit 2, never "internal error" (70). */
function expectEnvironmentError(run: () => unknown, pattern: RegExp): void {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expectEnvironmentProblem(thrown, pattern);
}

function expectEnvironmentProblem(thrown: unknown, pattern: RegExp): void {
  expect(thrown).toBeInstanceOf(EnvironmentError);
  expect(thrown).toBeInstanceOf(UserError);
  const error = thrown as UserError;
  expect(error.exitCode).toBe(2);
  expect(error.message).not.toContain('\n');
  expect(error.message).toMatch(pattern);
}

describe('the host seccomp-learn runs on', () => {
  it('reads the kernel version from a uname release', () => {
    expect(hostKernel('6.1.0-18-amd64')).toEqual([6, 1]);
    expect(hostKernel('3.12-1-amd64')).toEqual([3, 12]);
  });

  it('turns an unreadable kernel release into an environment error that names --kernel', () => {
    expectEnvironmentError(() => hostKernel('unknown'), /kernel version .*"unknown".*--kernel/);
    expectEnvironmentError(() => hostKernel(''), /uname release ""/);
  });

  it('turns an architecture it has no table for into an environment error naming the ones it knows', () => {
    expectEnvironmentError(() => hostAbi('sparc64'), /unsupported host architecture "sparc64".*x64/);
  });

  it('turns a missing package.json (a broken installation) into an environment error', () => {
    expectEnvironmentError(() => packageRootAbove('/'), /no package\.json above \/.*install/);
  });

  it('turns a temporary directory that cannot be made into an environment error that names TMPDIR', async () => {
    const error = await rejectionOf(() => makePrivateDirectory('/nonexistent-seccomp-learn-test'));
    expectEnvironmentProblem(error, /temporary directory in \/nonexistent-seccomp-learn-test: .*TMPDIR/);
  });
});
