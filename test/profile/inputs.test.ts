import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emitProfile, spoSpec } from '../../src/emit/formats.js';
import { InputError } from '../../src/errors.js';
import { parseLearningInput } from '../../src/profile/inputs.js';
import { parseProfile } from '../../src/profile/read.js';
import { recordingJson } from '../../src/recording/io.js';
import { DATA, ROOT } from '../helpers/cli.js';
import { sampleRecording } from '../helpers/sample-recording.js';

const ignore = () => {};
const docker = await readFile(join(DATA, 'reference/docker-default.json'), 'utf8');
const dockerProfile = parseProfile(docker, 'docker-default.json');

async function detect(text: string) {
  return parseLearningInput(text, 'input', ignore);
}

async function refusal(text: string): Promise<string> {
  const error = await detect(text).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, text).toBeInstanceOf(InputError);
  return (error as Error).message;
}

describe('inputs told apart by content', () => {
  it('reads every format into the same model', async () => {
    const recording = await detect(recordingJson(await sampleRecording('strace-c-busybox-sh.txt')));
    expect(recording.kind).toBe('recording');
    expect(await detect(docker)).toEqual({ kind: 'profile', path: 'input', profile: dockerProfile });
    for (const format of ['oci', 'spo'] as const) {
      const text = await emitProfile(dockerProfile, format, { name: 'docker' });
      const read = await detect(text);
      expect(read.kind, format).toBe('profile');
      // A SeccompProfile carries only the fields its CRD defines: it reads back as its spec.
      const expected = format === 'spo' ? spoSpec(dockerProfile).spec : dockerProfile;
      expect(read.kind === 'profile' && read.profile, format).toEqual(expected);
    }
    const lxc = await detect(await readFile(join(ROOT, 'test/fixtures/lxc/common.seccomp'), 'utf8'));
    expect(lxc.kind === 'profile' && lxc.profile.defaultAction).toBe('SCMP_ACT_ALLOW');
    const v1 = await detect('1\nallowlist\n0\n1\n');
    expect(v1.kind === 'profile' && v1.profile.defaultAction).toBe('SCMP_ACT_KILL');
  });

  it('says what an input no format reads looked like', async () => {
    expect(await refusal('')).toBe(
      'input: empty file: expected a recording, a Docker/OCI profile, an OCI config.json, a Kubernetes SeccompProfile, an LXC policy, systemd SystemCallFilter= lines or appc seccomp isolators',
    );
    expect(await refusal('{\n  "defaultAction": "SCMP_ACT_ERRNO",\n  oops\n}')).toMatch(
      /^input:3: invalid JSON/,
    );
    expect(await refusal('{"hello": 1}')).toMatch(
      /^input: JSON, but neither a recording \("format"\), a profile \("defaultAction"\)/,
    );
    expect(await refusal('[1, 2]')).toMatch(/^input: JSON, but not an object: neither a recording/);
    expect(await refusal('apiVersion: v1\nkind: ConfigMap\ndata: {}\n')).toMatch(
      /^input: looks like YAML but no SeccompProfile kind \(kind: ConfigMap\)/,
    );
    expect(await refusal('[Service]\nExecStart=/bin/true\n')).toMatch(
      /^input: an INI file \(a systemd unit\?\) without SystemCallFilter=/,
    );
    expect(await refusal('3\nallowlist\n')).toBe(
      'input:1: looks like an LXC policy of version 3, but LXC reads only versions 1 and 2',
    );
    expect(await refusal('\u0000\u0001binary')).toMatch(/^input:1: not a format seccomp-learn reads/);
  });

  it('names a problem in a nested profile by its path from the top of the document', async () => {
    expect(await refusal('{"linux":{"seccomp":{"syscalls":[]}}}')).toBe(
      'input: linux.seccomp.defaultAction: required but missing',
    );
    expect(await refusal('kind: SeccompProfile\nspec:\n  defaultAction: SCMP_ACT_NOPE\n')).toMatch(
      /^input: spec\.defaultAction: unknown value "SCMP_ACT_NOPE"/,
    );
  });

  it('names the line of a bad LXC policy instead of calling it invalid JSON', async () => {
    expect(await refusal('2\nallowlist\nread\nwrite allow [0,1,SCMP_CMP_EQ\n')).toMatch(
      /^input:4: expected an argument comparison/,
    );
  });
});
