import { basename } from 'node:path';
import { UserError } from '../errors.js';

export type ContainerEngine = 'docker' | 'podman';

export interface ContainerRun {
  engine: ContainerEngine;
  /** The user's argv with our seccomp option and cid file inserted after `run`. */
  argv: string[];
  /** A --cidfile the user gave; otherwise ours is inserted. */
  userCidFile?: string;
  image?: string;
}

/** Options of `docker run` / `podman run` that take a value as the next word (so it is not the image). */
const VALUE_OPTIONS = new Set([
  '-a',
  '--attach',
  '--add-host',
  '--annotation',
  '--blkio-weight',
  '--blkio-weight-device',
  '--cap-add',
  '--cap-drop',
  '--cgroup-parent',
  '--cgroupns',
  '--cidfile',
  '--cpu-period',
  '--cpu-quota',
  '--cpu-rt-period',
  '--cpu-rt-runtime',
  '-c',
  '--cpu-shares',
  '--cpus',
  '--cpuset-cpus',
  '--cpuset-mems',
  '--device',
  '--device-cgroup-rule',
  '--device-read-bps',
  '--device-read-iops',
  '--device-write-bps',
  '--device-write-iops',
  '--dns',
  '--dns-option',
  '--dns-search',
  '--domainname',
  '--entrypoint',
  '-e',
  '--env',
  '--env-file',
  '--expose',
  '--gpus',
  '--group-add',
  '--health-cmd',
  '--health-interval',
  '--health-retries',
  '--health-start-period',
  '--health-timeout',
  '-h',
  '--hostname',
  '--ip',
  '--ip6',
  '--ipc',
  '--isolation',
  '--kernel-memory',
  '-l',
  '--label',
  '--label-file',
  '--link',
  '--link-local-ip',
  '--log-driver',
  '--log-opt',
  '--mac-address',
  '-m',
  '--memory',
  '--memory-reservation',
  '--memory-swap',
  '--memory-swappiness',
  '--mount',
  '--name',
  '--network',
  '--net',
  '--network-alias',
  '--pid',
  '--pids-limit',
  '--platform',
  '-p',
  '--publish',
  '--pull',
  '--restart',
  '--runtime',
  '--security-opt',
  '--shm-size',
  '--stop-signal',
  '--stop-timeout',
  '--storage-opt',
  '--sysctl',
  '--tmpfs',
  '--ulimit',
  '-u',
  '--user',
  '--userns',
  '--uts',
  '-v',
  '--volume',
  '--volume-driver',
  '--volumes-from',
  '-w',
  '--workdir',
  '--arch',
  '--cgroups',
  '--conmon-pidfile',
  '--env-merge',
  '--hooks-dir',
  '--image-volume',
  '--init-path',
  '--log-level',
  '--os',
  '--passwd-entry',
  '--pidfile',
  '--pod',
  '--pod-id-file',
  '--preserve-fds',
  '--rdt-class',
  '--requires',
  '--sdnotify',
  '--seccomp-policy',
  '--secret',
  '--subgidname',
  '--subuidname',
  '--systemd',
  '--timeout',
  '--tz',
  '--uidmap',
  '--gidmap',
  '--umask',
  '--unsetenv',
  '--variant',
  '--chrootdirs',
  '--decryption-key',
  '--group-entry',
  '--personality',
  '--hostuser',
  '--health-on-failure',
  '--health-startup-cmd',
  '--health-startup-interval',
  '--health-startup-retries',
  '--health-startup-success',
  '--health-startup-timeout',
  '--health-log-destination',
  '--health-max-log-count',
  '--health-max-log-size',
  '--retry',
  '--retry-delay',
]);

/** Global options of docker and podman that take a value as the next word (`podman --runtime runc run …`). */
const GLOBAL_VALUE_OPTIONS = new Set([
  '--config',
  '-c',
  '--context',
  '-H',
  '--host',
  '-l',
  '--log-level',
  '--tlscacert',
  '--tlscert',
  '--tlskey',
  '--runtime',
  '--root',
  '--runroot',
  '--storage-driver',
  '--storage-opt',
  '--cgroup-manager',
  '--url',
  '--connection',
  '--identity',
  '--events-backend',
  '--network-cmd-path',
  '--network-config-dir',
  '--tmpdir',
  '--conmon',
  '--hooks-dir',
  '--module',
  '--volumepath',
  '--imagestore',
  '--registries-conf',
  '--runtime-flag',
  '--db-backend',
  '--ssh',
]);

/** Finds where `run` starts in `docker run …`, `docker container run …`, `podman run …` (global options allowed before). */
function runIndex(argv: string[]): number | undefined {
  for (let index = 1; index < argv.length; index++) {
    const word = argv[index] as string;
    if (word === 'run') return index;
    if (word === 'container' && argv[index + 1] === 'run') return index + 1;
    if (!word.startsWith('-')) return undefined;
    if (GLOBAL_VALUE_OPTIONS.has(word)) index++;
  }
  return undefined;
}

/**
 * Recognises a container run in the user's command. Tracing the client would record the client,
 * not the container, so such a command is recorded through audit instead.
 */
export function parseContainerRun(
  argv: readonly string[],
): { engine: ContainerEngine; runAt: number } | undefined {
  const engine = basename(argv[0] ?? '');
  if (engine !== 'docker' && engine !== 'podman') return undefined;
  const runAt = runIndex([...argv]);
  return runAt === undefined ? undefined : { engine, runAt };
}

/** Inserts the complain-mode profile and a cid file, refusing what would defeat or fake the recording. */
export function prepareContainerRun(
  argv: readonly string[],
  logProfilePath: string,
  cidFile: string,
): ContainerRun {
  const found = parseContainerRun(argv);
  if (!found) throw new UserError(`not a container run: ${argv.join(' ')}`);
  const { engine, runAt } = found;
  let userCidFile: string | undefined;
  let image: string | undefined;
  for (let index = runAt + 1; index < argv.length; index++) {
    const word = argv[index] as string;
    if (word === '--') {
      image = argv[index + 1];
      break;
    }
    if (!word.startsWith('-') || word === '-') {
      image = word;
      break;
    }
    const [flag, inlineValue] = word.includes('=')
      ? [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)]
      : [word, undefined];
    const takesValue = VALUE_OPTIONS.has(flag) && inlineValue === undefined;
    const value = inlineValue ?? (takesValue ? argv[index + 1] : undefined);
    if (flag === '--detach' || (/^-[a-zA-Z]+$/.test(flag) && flag.includes('d'))) {
      throw new UserError('a detached container (-d) cannot be recorded: run it in the foreground');
    }
    if (flag === '--privileged' && inlineValue !== 'false') {
      throw new UserError(
        '--privileged containers get no seccomp filter: nothing could be learned; remove --privileged',
      );
    }
    if (flag === '--security-opt' && value !== undefined && /^seccomp[=:]/.test(value)) {
      throw new UserError(
        `the command already sets ${value}: seccomp-learn sets its own complain-mode profile; remove that option`,
      );
    }
    if (flag === '--cidfile') userCidFile = value;
    if (takesValue) index++;
  }
  if (image === undefined) throw new UserError(`no image in: ${argv.join(' ')}`);
  const inserted = [
    '--security-opt',
    `seccomp=${logProfilePath}`,
    ...(userCidFile ? [] : ['--cidfile', cidFile]),
  ];
  return {
    engine,
    argv: [...argv.slice(0, runAt + 1), ...inserted, ...argv.slice(runAt + 1)],
    ...(userCidFile ? { userCidFile } : {}),
    image,
  };
}
