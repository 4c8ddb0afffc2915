import { basename } from 'node:path';
import { UserError } from '../errors.js';
import { DOCKER_RUN_OPTIONS, PODMAN_RUN_OPTIONS } from './run-options.js';

export type ContainerEngine = 'docker' | 'podman';

export interface ContainerRun {
  engine: ContainerEngine;
  /** The user's argv with our seccomp option and cid file inserted after `run`. */
  argv: string[];
  /** A --cidfile the user gave; otherwise ours is inserted. */
  userCidFile?: string;
  image?: string;
}

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

/** pflag's boolean spellings (strconv.ParseBool). */
const TRUE_WORDS = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);
const FALSE_WORDS = new Set(['0', 'f', 'F', 'false', 'FALSE', 'False']);

/** One option as the engine's parser (spf13/pflag) reads it: its long name and its value. */
export interface RunOption {
  name: string;
  /** The value word; for a boolean option, true or false. */
  value: string | boolean;
  /** The words of argv it takes, [at, end): a group of single letters (-itd) shares its word. */
  at: number;
  end: number;
}

export interface ScannedRun {
  options: RunOption[];
  /** Index in argv of the image (or rootfs), if there is one. */
  imageAt?: number;
}

function booleanValue(engine: ContainerEngine, spelled: string, value: string): boolean {
  if (TRUE_WORDS.has(value)) return true;
  if (FALSE_WORDS.has(value)) return false;
  throw new UserError(`${engine} run ${spelled}=${value}: ${spelled} takes true or false`);
}

function unknownOption(engine: ContainerEngine, spelled: string): UserError {
  const versions = engine === 'docker' ? 'Docker 20.10 to 28' : 'Podman 4 and 5';
  return new UserError(
    `${engine} run: unknown option ${spelled} (seccomp-learn knows the options of ${versions}; it must know whether ${spelled} takes a value to find the image and any -d, --privileged or seccomp option after it)`,
  );
}

/**
 * Reads the options of `docker run` / `podman run` the way the engine does (spf13/pflag, options
 * end at the first word that is not one, or at `--`): every option must be known, so that an
 * option's value is never taken for the image and what follows a value is never missed.
 */
export function scanRunOptions(engine: ContainerEngine, argv: readonly string[], runAt: number): ScannedRun {
  const table = engine === 'docker' ? DOCKER_RUN_OPTIONS : PODMAN_RUN_OPTIONS;
  const kindOf = (name: string): 'boolean' | 'value' | undefined =>
    table.value.includes(name) ? 'value' : table.boolean.includes(name) ? 'boolean' : undefined;
  const options: RunOption[] = [];
  for (let index = runAt + 1; index < argv.length; index++) {
    const word = argv[index] as string;
    if (word === '--') return { options, ...(index + 1 < argv.length ? { imageAt: index + 1 } : {}) };
    if (!word.startsWith('-') || word === '-') return { options, imageAt: index };
    if (word.startsWith('--')) {
      const equals = word.indexOf('=');
      const name = equals < 0 ? word.slice(2) : word.slice(2, equals);
      const spelled = `--${name}`;
      const kind = kindOf(name);
      if (kind === undefined) throw unknownOption(engine, spelled);
      const at = index;
      if (kind === 'boolean') {
        options.push({
          name,
          value: equals < 0 ? true : booleanValue(engine, spelled, word.slice(equals + 1)),
          at,
          end: at + 1,
        });
      } else if (equals >= 0) {
        options.push({ name, value: word.slice(equals + 1), at, end: at + 1 });
      } else {
        if (index + 1 >= argv.length) throw new UserError(`${engine} run: ${spelled} needs a value`);
        options.push({ name, value: argv[++index] as string, at, end: at + 2 });
      }
      continue;
    }
    // A group of single-letter options: -itd, -eA=1, -e=A=1, -d=false, -e A=1.
    const group = { at: index, end: index + 1 };
    for (let at = 1; at < word.length; at++) {
      const letter = word[at] as string;
      const name = table.short[letter];
      const kind = name === undefined ? undefined : kindOf(name);
      if (name === undefined || kind === undefined) throw unknownOption(engine, `-${letter}`);
      const rest = word.slice(at + 1);
      if (kind === 'boolean') {
        if (rest.startsWith('=')) {
          options.push({ name, value: booleanValue(engine, `-${letter}`, rest.slice(1)), ...group });
          break;
        }
        options.push({ name, value: true, ...group });
        continue;
      }
      if (rest !== '') options.push({ name, value: rest.startsWith('=') ? rest.slice(1) : rest, ...group });
      else if (index + 1 < argv.length) {
        group.end = index + 2;
        options.push({ name, value: argv[++index] as string, ...group });
      } else throw new UserError(`${engine} run: -${letter} needs a value`);
      break;
    }
  }
  return { options };
}

/** Refuses what would defeat or fake a run under seccomp-learn's profile: detached, privileged, a seccomp option of the user's. */
function refuseUnverifiable(options: readonly RunOption[]): void {
  // As for the engine, the last of a repeated boolean option wins.
  const last = (name: string) => options.filter((option) => option.name === name).at(-1)?.value;
  if (last('detach') === true) {
    throw new UserError('a detached container (-d) cannot be recorded: run it in the foreground');
  }
  if (last('privileged') === true) {
    throw new UserError(
      '--privileged containers get no seccomp filter: nothing could be learned; remove --privileged',
    );
  }
  for (const option of options) {
    if (
      option.name === 'security-opt' &&
      typeof option.value === 'string' &&
      /^seccomp[=:]/.test(option.value)
    ) {
      throw new UserError(
        `the command already sets ${option.value}: seccomp-learn sets its own complain-mode profile; remove that option`,
      );
    }
  }
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
  const { options, imageAt } = scanRunOptions(engine, argv, runAt);
  refuseUnverifiable(options);
  const cid = options.filter((option) => option.name === 'cidfile').at(-1)?.value;
  const userCidFile = typeof cid === 'string' ? cid : undefined;
  const image = imageAt === undefined ? undefined : argv[imageAt];
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

/** The options verify --enforce sets itself on the runs it adds; the user's own are taken out. */
const COMPARISON_OWNED = new Set(['rm', 'cidfile', 'name']);

/**
 * The user's container run again, for `verify --enforce`, with `--security-opt seccomp=SECCOMP`
 * (a profile file, or `unconfined`) and everything else the user gave. These runs are verify's,
 * not the user's: they are removed when they end (`--rm`, whatever the user said), write no cid
 * file (the engine refuses to reuse one, and the user's belongs to the first run), and a name the
 * user gave gets `-LABEL` after it, so that they clash neither with each other nor with the
 * user's container when it was kept.
 */
export function comparisonRunArgv(argv: readonly string[], seccomp: string, label: string): string[] {
  const found = parseContainerRun(argv);
  if (!found) throw new UserError(`not a container run: ${argv.join(' ')}`);
  const { engine, runAt } = found;
  const { options, imageAt } = scanRunOptions(engine, argv, runAt);
  refuseUnverifiable(options);
  if (imageAt === undefined) throw new UserError(`no image in: ${argv.join(' ')}`);
  const owned = options.filter((option) => COMPARISON_OWNED.has(option.name));
  // None of them has a single-letter form in either engine, so each has words of its own to drop.
  const dropped = new Set(owned.flatMap((option) => range(option.at, option.end)));
  const name = owned.filter((option) => option.name === 'name').at(-1)?.value;
  const inserted = [
    '--security-opt',
    `seccomp=${seccomp}`,
    '--rm',
    ...(typeof name === 'string' ? ['--name', `${name}-${label}`] : []),
  ];
  return [
    ...argv.slice(0, runAt + 1),
    ...inserted,
    ...argv.slice(runAt + 1).filter((_, offset) => !dropped.has(runAt + 1 + offset)),
  ];
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, offset) => from + offset);
}
