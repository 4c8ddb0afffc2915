import { join } from 'node:path';
import { execa } from 'execa';
import { ROOT } from './cli.js';
import { DEBIAN_IMAGE } from './e2e.js';

/** test/fixtures/arguments: work.py, the python workload that opens sockets and probes the calls argument rules decide. */
export const ARGUMENT_FIXTURES = join(ROOT, 'test/fixtures/arguments');

/**
 * What `work.py unix inet probe` prints under a profile learned from its AF_UNIX and AF_INET run,
 * whatever writes it (Docker JSON, the C program, a remove-set): those families work, AF_PACKET and
 * AF_NETLINK and namespace-creating clones are refused, and clone3 gets ENOSYS, so a thread and two
 * children are made through glibc's fallback to clone (`system: 0`).
 */
export const PROBED_UNIX_AND_INET = {
  unix: 'ok',
  inet: 'ok',
  system: 0,
  packet: 'EPERM',
  netlink: 'EPERM',
  clone: 'ok',
  clone_newuser: 'EPERM',
  clone_newnet: 'EPERM',
  clone3: 'ENOSYS',
} as const;

/** `docker run` of `command` in the Debian test image, without a network, the fixtures at /w, `options` before the image. */
export const inDebianArgv = (command: string[], options: string[] = []): string[] => [
  'docker',
  'run',
  '--rm',
  '--network',
  'none',
  '-v',
  `${ARGUMENT_FIXTURES}:/w:ro`,
  ...options,
  DEBIAN_IMAGE,
  ...command,
];

/** `command` in the Debian test image under `profile`, without a network, the fixtures at /w. */
export function inDebianImage(profile: string, command: string[]) {
  const [docker, ...args] = inDebianArgv(command, ['--security-opt', `seccomp=${profile}`]);
  return execa(docker as string, args, { reject: false, timeout: 120_000 });
}
