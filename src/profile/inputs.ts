import { InputError } from '../errors.js';
import type { Recording } from '../recording/model.js';
import { validateRecording } from '../recording/schema.js';
import { parseJson, readTextFile } from '../util/files.js';
import { parseJsonExact } from '../util/json-exact.js';
import type { SeccompProfile } from './model.js';
import { ProfileError, validateProfile } from './read.js';
import { looksLikeAppc, readAppcPolicy } from './read-appc.js';
import { lxcPolicyVersion, readLxcPolicy } from './read-lxc.js';
import { looksLikeSystemd, readSystemdPolicy } from './read-systemd.js';

/** What merge, diff, check and report take: a recording or a profile, told apart by content. */
export type LearningInput =
  | { kind: 'recording'; path: string; recording: Recording }
  | { kind: 'profile'; path: string; profile: SeccompProfile };

/** The text of an input, with what it parses as computed once and only when a format asks. */
class Sniffed {
  #json: { data: unknown } | undefined;
  #yaml: { data: unknown } | undefined;
  constructor(readonly text: string) {}

  /** The text as JSON (exact integers, as parseJson reads them), or undefined when it is not JSON. */
  json(): unknown {
    if (!this.#json) {
      try {
        this.#json = { data: parseJsonExact(this.text) };
      } catch {
        this.#json = { data: undefined };
      }
    }
    return this.#json.data;
  }

  /** The text as JSON, parsed once for detection and reading; broken JSON throws parseJson's error, with its line. */
  parsed(file: string): unknown {
    return this.json() ?? parseJson(this.text, file);
  }

  /** The text as one YAML document (JSON included), or undefined when it is not YAML. */
  async yaml(): Promise<unknown> {
    if (!this.#yaml) {
      const { parse } = await import('yaml');
      try {
        this.#yaml = { data: parse(this.text) };
      } catch {
        this.#yaml = { data: undefined };
      }
    }
    return this.#yaml.data;
  }
}

function objectOf(data: unknown): Record<string, unknown> | undefined {
  return typeof data === 'object' && data !== null && !Array.isArray(data)
    ? (data as Record<string, unknown>)
    : undefined;
}

/** An OCI runtime config (runc's config.json) with a seccomp section. */
function ociSeccomp(data: unknown): unknown {
  return objectOf(objectOf(objectOf(data)?.linux)?.seccomp);
}

/** A Kubernetes SeccompProfile (Security Profiles Operator), as YAML or JSON. */
async function spoSpec(input: Sniffed): Promise<unknown> {
  const document = objectOf(await input.yaml());
  return document?.kind === 'SeccompProfile' ? (document.spec ?? {}) : undefined;
}

/** One input format: how it is recognised by content, and how it is read into the shared model. */
interface InputFormat {
  readonly name: string;
  looksLike(input: Sniffed): boolean | Promise<boolean>;
  read(input: Sniffed, file: string, warn: (message: string) => void): LearningInput | Promise<LearningInput>;
}

/**
 * A profile inside another document (`spec` of a SeccompProfile, `linux.seccomp` of a runc config):
 * problems are named by their path from the document's top, without a line (the offsets
 * validateProfile looks up are the profile's own).
 */
function nestedProfile(data: unknown, where: string, file: string): SeccompProfile {
  try {
    return validateProfile(data, '', file);
  } catch (error) {
    if (!(error instanceof ProfileError)) throw error;
    throw new InputError(file, undefined, `${where}${error.jsonPath ? '.' : ': '}${error.problem}`);
  }
}

const profileInput = (file: string, profile: SeccompProfile): LearningInput => ({
  kind: 'profile',
  path: file,
  profile,
});

/** Tried in this order: the first whose looksLike is true reads the input. */
const INPUT_FORMATS: readonly InputFormat[] = [
  {
    name: 'recording',
    looksLike: (input) => objectOf(input.json())?.format !== undefined,
    read: (input, file, warn) => ({
      kind: 'recording',
      path: file,
      recording: validateRecording(input.parsed(file), file, warn),
    }),
  },
  {
    name: 'Docker/OCI profile',
    looksLike: (input) => objectOf(input.json())?.defaultAction !== undefined,
    read: (input, file) => profileInput(file, validateProfile(input.parsed(file), input.text, file)),
  },
  {
    name: 'OCI runtime config',
    looksLike: (input) => ociSeccomp(input.json()) !== undefined,
    read: (input, file) =>
      profileInput(file, nestedProfile(ociSeccomp(input.parsed(file)), 'linux.seccomp', file)),
  },
  {
    name: 'appc isolators',
    looksLike: (input) => looksLikeAppc(input.json()),
    read: (input, file) => profileInput(file, readAppcPolicy(input.text, file)),
  },
  {
    name: 'LXC policy',
    looksLike: (input) => lxcPolicyVersion(input.text) !== undefined,
    read: (input, file) => profileInput(file, readLxcPolicy(input.text, file)),
  },
  {
    name: 'systemd SystemCallFilter=',
    looksLike: (input) => looksLikeSystemd(input.text),
    read: (input, file) => profileInput(file, readSystemdPolicy(input.text, file)),
  },
  {
    name: 'Kubernetes SeccompProfile',
    looksLike: async (input) => (await spoSpec(input)) !== undefined,
    read: async (input, file) => profileInput(file, nestedProfile(await spoSpec(input), 'spec', file)),
  },
];

const EXPECTED =
  'expected a recording, a Docker/OCI profile, an OCI config.json, a Kubernetes SeccompProfile, an LXC policy, systemd SystemCallFilter= lines or appc seccomp isolators';

/** What an input no format took looks like, for the one line that refuses it. */
async function unrecognised(input: Sniffed, file: string): Promise<InputError> {
  const text = input.text.trim();
  if (text === '') return new InputError(file, undefined, `empty file: ${EXPECTED}`);
  if (/^\s*\[[^\]\n]+\]\s*$/m.test(text) && /^\s*[\w.-]+\s*=/m.test(text)) {
    return new InputError(
      file,
      undefined,
      `an INI file (a systemd unit?) without SystemCallFilter=: ${EXPECTED}`,
    );
  }
  if (/^[[{]/.test(text)) {
    // Throws the parser's own error, with the line, when the JSON is broken.
    const data = parseJson(input.text, file);
    return new InputError(
      file,
      undefined,
      `JSON, but ${objectOf(data) ? '' : 'not an object: '}neither a recording ("format"), a profile ("defaultAction"), an OCI config ("linux.seccomp") nor a SeccompProfile ("kind")`,
    );
  }
  const number = /^(\d+)\s*$/m.exec(text.split('\n')[0] ?? '');
  if (number) {
    return new InputError(
      file,
      1,
      `looks like an LXC policy of version ${number[1]}, but LXC reads only versions 1 and 2`,
    );
  }
  const yaml = objectOf(await input.yaml());
  if (yaml) {
    return new InputError(
      file,
      undefined,
      `looks like YAML but no SeccompProfile kind${typeof yaml.kind === 'string' ? ` (kind: ${yaml.kind})` : ''}: ${EXPECTED}`,
    );
  }
  return new InputError(file, 1, `not a format seccomp-learn reads: ${EXPECTED}`);
}

/** Reads `text` as the first format in INPUT_FORMATS it looks like. */
export async function parseLearningInput(
  text: string,
  file: string,
  warn: (message: string) => void,
): Promise<LearningInput> {
  const input = new Sniffed(text);
  for (const format of INPUT_FORMATS) {
    if (await format.looksLike(input)) return format.read(input, file, warn);
  }
  throw await unrecognised(input, file);
}

/** `warn` hears of recording entries that are ignored (see validateRecording). */
export async function readLearningInput(
  path: string,
  warn: (message: string) => void,
): Promise<LearningInput> {
  return parseLearningInput(await readTextFile(path), path, warn);
}

/** A profile in any format diff reads (a reference to compare against): a recording is refused. */
export async function readProfileInput(path: string): Promise<SeccompProfile> {
  const input = await readLearningInput(path, () => {});
  if (input.kind === 'recording') {
    throw new InputError(
      path,
      undefined,
      'a recording, where a profile was expected (generate one with seccomp-learn generate)',
    );
  }
  return input.profile;
}
