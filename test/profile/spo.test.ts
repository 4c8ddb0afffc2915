import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { emitProfile, formatWarnings, SPO_API_VERSIONS } from '../../src/emit/formats.js';
import { generateProfile } from '../../src/profile/generate.js';
import { logProfile } from '../../src/profile/log-profile.js';
import type { SeccompProfile } from '../../src/profile/model.js';
import type { SyscallNeeds } from '../../src/profile/needs.js';
import { cli, ROOT } from '../helpers/cli.js';
import { type OpenApiSchema, validate } from '../helpers/openapi.js';

interface CrdVersion {
  name: string;
  served: boolean;
  schema: { openAPIV3Schema: OpenApiSchema };
}

const crd = parse(await readFile(join(ROOT, 'data/spo/seccompprofile.crd.yaml'), 'utf8')) as {
  spec: { group: string; names: { kind: string }; versions: CrdVersion[] };
};

/** Validates a SeccompProfile document against the served CRD version its apiVersion names. */
function crdErrors(text: string): string[] {
  const document = parse(text) as { apiVersion: string; kind: string };
  const [group, version] = document.apiVersion.split('/');
  expect(group).toBe(crd.spec.group);
  expect(document.kind).toBe(crd.spec.names.kind);
  const served = crd.spec.versions.find((entry) => entry.name === version && entry.served);
  if (!served) return [`${document.apiVersion}: not a served version of the CRD`];
  return validate(served.schema.openAPIV3Schema, document);
}

const needs: SyscallNeeds = new Map([
  ['x86_64', new Set(['read', 'write', 'openat'])],
  ['x86', new Set(['read', '_llseek'])],
]);
const options = { runtime: 'runc', allow: [], deny: [] } as const;

describe('--format spo against the SeccompProfile CRD (data/spo)', () => {
  it('the validator refuses what strict validation refuses', () => {
    const schema = crd.spec.versions[0]?.schema.openAPIV3Schema as OpenApiSchema;
    const object = {
      apiVersion: 'security-profiles-operator.x-k8s.io/v1',
      kind: 'SeccompProfile',
      metadata: { name: 'x' },
      spec: {
        defaultAction: 'SCMP_ACT_ERRNO',
        defaultErrnoRet: 38,
        architectures: ['SCMP_ARCH_LOONGARCH64'],
      },
    };
    expect(validate(schema, object)).toEqual([
      '/spec/defaultErrnoRet: unknown field',
      expect.stringMatching(
        /^\/spec\/architectures\/0: "SCMP_ARCH_LOONGARCH64" is not one of SCMP_ARCH_NATIVE, /,
      ),
    ]);
    expect(validate(schema, { ...object, spec: { syscalls: [{ names: [] }] } })).toEqual([
      '/spec: defaultAction is required',
      '/spec/syscalls/0: action is required',
      '/spec/syscalls/0/names: fewer than 1 items',
    ]);
  });

  for (const spoApi of SPO_API_VERSIONS) {
    it(`emits valid ${spoApi} objects for every default action and the complain-mode profile`, async () => {
      for (const defaultAction of ['errno', 'enosys', 'kill', 'log'] as const) {
        const { profile } = generateProfile(needs, { ...options, defaultAction });
        const text = await emitProfile(profile, 'spo', { name: 'my-app', spoApi });
        expect(text).toContain(`apiVersion: security-profiles-operator.x-k8s.io/${spoApi}\n`);
        expect(crdErrors(text), `${spoApi} ${defaultAction}`).toEqual([]);
      }
      const log = await emitProfile(logProfile('x86_64'), 'spo', { name: 'log', spoApi });
      expect(crdErrors(log)).toEqual([]);
    });
  }

  it('expresses ENOSYS with an errnoRet rule, and warns when a default errno cannot be carried', async () => {
    const { profile } = generateProfile(needs, { ...options, defaultAction: 'enosys' });
    const spec = (parse(await emitProfile(profile, 'spo', { name: 'x' })) as { spec: SeccompProfile }).spec;
    expect(spec.defaultErrnoRet).toBeUndefined();
    expect(spec.syscalls?.[2]).toMatchObject({ action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
    expect(spec.syscalls?.[2]?.names).toContain('chmod');
    expect(formatWarnings(profile, 'spo')).toEqual([
      expect.stringMatching(/no defaultErrnoRet: .*errno 38 from an explicit rule/),
    ]);
    expect(formatWarnings(profile, 'docker')).toEqual([]);
    const bare: SeccompProfile = { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38 };
    expect(formatWarnings(bare, 'spo')).toEqual([
      expect.stringMatching(/get the runtime's EPERM, not errno 38/),
    ]);
    const loong: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ERRNO',
      architectures: ['SCMP_ARCH_LOONGARCH64'],
      syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }],
    };
    const text = await emitProfile(loong, 'spo', { name: 'x' });
    expect(crdErrors(text)).toEqual([]);
    expect(formatWarnings(loong, 'spo')).toEqual([
      expect.stringMatching(/does not accept SCMP_ARCH_LOONGARCH64/),
    ]);
  });

  it('generate --format spo --spo-api v1beta1 writes that version; an unknown version is refused', async () => {
    const [document] = parseAllDocuments(
      (await cli(['log-profile', '--format', 'spo', '--spo-api', 'v1beta1'])).stdout,
    );
    expect(document?.toJS()).toMatchObject({ apiVersion: 'security-profiles-operator.x-k8s.io/v1beta1' });
    const refused = await cli(['log-profile', '--format', 'spo', '--spo-api', 'v2']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/v1, v1beta1/);
    const help = await cli(['generate', '--help']);
    expect(help.stdout).toMatch(/--spo-api <version>[\s\S]*default: "v1"/);
  });
});
