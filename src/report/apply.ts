import { basename } from 'node:path';
import type { RuntimeChoice } from '../profile/runtime-baselines.js';
import { inertJson, visible } from '../util/visible.js';

/** How to load the profile with one runtime: prose, then the commands or YAML to use. */
export interface ApplyStep {
  target: string;
  description: string;
  code: { language: 'sh' | 'yaml'; text: string }[];
}

/**
 * A word the shell passes through unchanged, or the word single-quoted; a word holding a control
 * character (a file name with a newline or an escape in it) is $'…'-quoted with that character
 * escaped, so the command has no raw control character and still names the same file.
 */
export function shellWord(word: string): string {
  if (/^[\w@%+=:,./-]+$/.test(word)) return word;
  if (visible(word) === word) return `'${word.replace(/'/g, `'\\''`)}'`;
  return `$'${visible(word.replace(/[\\']/g, '\\$&'))}'`;
}

/** A YAML scalar: plain when it is a safe word, else double-quoted with JSON's escapes (valid YAML). */
function yamlScalar(value: string): string {
  return /^[\w@%+=,./-]+$/.test(value) ? value : inertJson(JSON.stringify(value));
}

/**
 * A command line, continued with backslashes where it would pass `width` columns, so it copies as
 * one command. Each element stays on one line (pass "-o FILE" as one to keep an option with its value).
 */
export function shellCommand(words: readonly string[], width = 78): string {
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line && line.length + 1 + word.length > width - 2) {
      lines.push(`${line} \\`);
      line = `  ${word}`;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line].join('\n');
}

/** The profile's base name: the given profile's, else the first recording's (app.recording.json → app). */
export function profileName(profileFile: string | undefined, recordings: readonly string[]): string {
  const file = profileFile ?? recordings[0];
  if (!file) return 'seccomp-profile';
  return basename(file).replace(/(\.recording|\.profile)?\.json$/, '') || 'seccomp-profile';
}

interface ApplyContext {
  name: string;
  recordings: readonly string[];
  /** Set when the profile was generated: `generate` needs it to write the same profile. */
  runtime?: RuntimeChoice;
  profileFile?: string;
}

/**
 * The commands that load this profile with Docker, Podman, runc/crun and Kubernetes. A generated
 * profile is written by `seccomp-learn generate` with the same runtime baseline as the report's.
 */
export function applySteps(context: ApplyContext): ApplyStep[] {
  const { name, recordings, runtime, profileFile } = context;
  const jsonFile = profileFile ?? `${name}.json`;
  const json = shellWord(jsonFile);
  const local = shellWord(`${basename(name)}.json`);
  const generate = (extra: string[]): string =>
    shellCommand([
      'seccomp-learn',
      'generate',
      ...recordings.map(shellWord),
      ...(runtime === 'runc' ? [] : [`--runtime ${runtime ?? 'none'}`]),
      ...extra,
    ]);
  const generated = profileFile === undefined;
  const oci = shellWord(`${name}.oci.json`);
  const replaceConfig = ['> config.json.new', '&& mv config.json.new config.json'];
  const steps: ApplyStep[] = [];
  if (generated) {
    steps.push({
      target: 'Write the profile',
      description: 'This writes exactly the profile shown in this report.',
      code: [{ language: 'sh', text: generate([`-o ${json}`]) }],
    });
  }
  steps.push(
    {
      target: 'Docker',
      description: 'Pass the file to every `docker run` (or `security_opt` in Compose).',
      code: [{ language: 'sh', text: `docker run --security-opt seccomp=${json} IMAGE` }],
    },
    {
      target: 'Podman',
      description: 'Podman reads the same file.',
      code: [{ language: 'sh', text: `podman run --security-opt seccomp=${json} IMAGE` }],
    },
    {
      target: 'runc / crun',
      description: generated
        ? '`--format oci` writes the profile as `{"linux":{"seccomp":…}}`; merge it into the bundle\'s config.json.'
        : "Put the profile under `linux.seccomp` in the bundle's config.json.",
      code: [
        {
          language: 'sh',
          text: generated
            ? `${generate(['--format oci', `-o ${oci}`])}\n${shellCommand(['jq -s', "'.[0] * .[1]'", `config.json ${oci}`, ...replaceConfig])}`
            : shellCommand([
                `jq --slurpfile profile ${json}`,
                "'.linux.seccomp = $profile[0]'",
                'config.json',
                ...replaceConfig,
              ]),
        },
      ],
    },
    {
      target: 'Kubernetes (kubelet)',
      description:
        "Copy the file into the kubelet's seccomp directory on every node that may run the pod, then point the pod's or container's securityContext at it (the path is relative to /var/lib/kubelet/seccomp).",
      code: [
        {
          language: 'sh',
          text: `install -D -m 0644 ${json} /var/lib/kubelet/seccomp/profiles/${local}   # on each node`,
        },
        {
          language: 'yaml',
          text: `securityContext:\n  seccompProfile:\n    type: Localhost\n    localhostProfile: ${yamlScalar(`profiles/${basename(name)}.json`)}`,
        },
      ],
    },
    {
      target: 'Kubernetes (Security Profiles Operator)',
      description: generated
        ? 'The operator installs a SeccompProfile object on every node; use the path it reports as `localhostProfile` (type Localhost).'
        : 'Wrap the profile as the `spec` of a SeccompProfile object; the operator installs it on every node. Use the path it reports as `localhostProfile` (type Localhost).',
      code: [
        {
          language: 'sh',
          text: [
            ...(generated
              ? [generate(['--format spo', `--name ${shellWord(name)}`, `-o ${shellWord(`${name}.yaml`)}`])]
              : []),
            `kubectl apply -f ${shellWord(`${name}.yaml`)}`,
            `kubectl get -f ${shellWord(`${name}.yaml`)} -o jsonpath='{.status.localhostProfile}'`,
          ].join('\n'),
        },
      ],
    },
  );
  return steps;
}
