import { execa } from 'execa';

/** Under SECCOMP_LEARN_E2E=1 (set by .ci/run) a missing part fails the test instead of skipping it. */
export const E2E_REQUIRED = process.env.SECCOMP_LEARN_E2E === '1';

export async function available(command: string, args: string[]): Promise<boolean> {
  try {
    const result = await execa(command, args, { reject: false, timeout: 20_000 });
    return result.exitCode === 0;
  } catch {
    return false;
  }
}

/**
 * Decides whether an end-to-end suite runs: returns a skip reason, or undefined to run.
 * Throws when the part is missing but required, so CI cannot pass by skipping.
 */
export async function e2eSkipReason(
  what: string,
  probe: () => Promise<boolean>,
): Promise<string | undefined> {
  if (await probe()) return undefined;
  const reason = `${what} is not available on this machine (run scripts/setup-e2e.sh as root)`;
  if (E2E_REQUIRED) throw new Error(`SECCOMP_LEARN_E2E=1 but ${reason}`);
  return reason;
}

export const BUSYBOX_IMAGE = 'sl-busybox:test';

/** The busybox image as podman names it (scripts/setup-e2e.sh loads it from Docker's). */
export const PODMAN_IMAGE = 'localhost/sl-busybox:test';

/**
 * `podman run` as the e2e tests start it, image and command to follow: crun refuses this machine's
 * hybrid cgroups, and without CAP_SYS_RESOURCE podman's default rlimits cannot be set, so runc with
 * the host's own limits; never on a network.
 */
export const PODMAN_RUN = [
  'podman',
  '--runtime',
  'runc',
  'run',
  '--rm',
  '--network',
  'none',
  '--ulimit',
  'nofile=20000:20000',
  '--ulimit',
  'nproc=1000:1000',
];

export const dockerReady = (): Promise<boolean> => available('docker', ['image', 'inspect', BUSYBOX_IMAGE]);

/** The parts of the suites that learn on the host and enforce in Docker: strace, busybox, the image. */
export const hostAndDockerSkipReason = (): Promise<string | undefined> =>
  e2eSkipReason(
    'strace, /bin/busybox and a Docker engine with the sl-busybox:test image',
    async () =>
      (await available('strace', ['-V'])) &&
      (await available('/bin/busybox', ['true'])) &&
      (await dockerReady()),
  );

let scriptRuns = 0;

/**
 * Runs `script` in the busybox image (or `image`) under a seccomp profile (or Docker's default), never on a
 * network. A run that hangs (a shell's wait refused can spin) is removed with its container: the
 * client's timeout alone would leave the container running.
 */
export async function dockerRunScript(
  script: string,
  options: { profile?: string; extra?: string[]; image?: string } = {},
) {
  const seccomp = options.profile ? ['--security-opt', `seccomp=${options.profile}`] : [];
  const name = `sl-test-${process.pid}-${++scriptRuns}`;
  const run = await execa(
    'docker',
    [
      'run',
      '--rm',
      '--name',
      name,
      '--network',
      'none',
      ...seccomp,
      ...(options.extra ?? []),
      options.image ?? BUSYBOX_IMAGE,
      'sh',
      '-c',
      script,
    ],
    { reject: false, timeout: 60_000 },
  );
  if (run.timedOut) await execa('docker', ['rm', '-f', name], { reject: false });
  return run;
}

/** The parts of the suites that record containers through audit records: the engine, the image, auditd. */
export const containerAuditSkipReason = (): Promise<string | undefined> =>
  e2eSkipReason(
    'a Docker engine with the sl-busybox:test image, and auditd',
    async () => (await dockerReady()) && (await available('pgrep', ['-x', 'auditd'])),
  );

/** The parts of the suites that trace a host command: strace and a static busybox. */
export const straceSkipReason = (): Promise<string | undefined> =>
  e2eSkipReason(
    'strace and /bin/busybox',
    async () => (await available('strace', ['-V'])) && (await available('/bin/busybox', ['true'])),
  );

/** A `docker run` of a shell script in the test image (or `image`), without a network. */
export function dockerRunArgv(script: string, image = BUSYBOX_IMAGE): string[] {
  return ['docker', 'run', '--rm', '--network', 'none', image, 'sh', '-c', script];
}

/** The Debian image of real programs (scripts/setup-e2e.sh builds it with debootstrap). */
export const DEBIAN_IMAGE = 'sl-debian:test';
