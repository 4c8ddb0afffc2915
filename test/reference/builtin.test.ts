import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { loadReference } from '../../src/reference/builtin.js';
import {
  ALL_CAPABILITIES,
  capabilitySet,
  DOCKER_DEFAULT_CAPABILITIES,
  PODMAN_DEFAULT_CAPABILITIES,
} from '../../src/reference/capabilities.js';
import { packageRoot, referenceDataFile } from '../../src/util/package-root.js';
import { dataReference, fixture, parseWithExactArgs } from './helpers.js';

/** The id git gives a file's content: what `git ls-tree` prints for it in the upstream repository. */
function gitBlobId(file: string): string {
  const content = readFileSync(file);
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

/** The blob id SOURCES.md records for a file, in its table row. */
function recordedBlobId(name: string): string | undefined {
  const sources = readFileSync(dataReference('SOURCES.md'), 'utf8');
  const row = sources.split('\n').find((line) => line.startsWith(`| \`${name}\``));
  return row?.match(/`([0-9a-f]{40})` \|$/)?.[1];
}

describe('bundled reference data', () => {
  it.each(['docker-default.json', 'podman-default.json'])(
    'data/reference/%s is byte-identical to the upstream blob SOURCES.md names',
    (name) => {
      const recorded = recordedBlobId(name);
      expect(recorded).toMatch(/^[0-9a-f]{40}$/);
      expect(gitBlobId(dataReference(name))).toBe(recorded);
    },
  );

  it('is found from the package root', () => {
    expect(referenceDataFile('docker-default.json')).toBe(dataReference('docker-default.json'));
    expect(readFileSync(`${packageRoot()}/package.json`, 'utf8')).toContain('"name": "seccomp-learn"');
  });
});

describe('loadReference', () => {
  it('loads Docker’s default with its upstream source', async () => {
    const reference = await loadReference('docker');
    expect(reference.dialect).toBe('moby');
    expect(reference.source).toMatchObject({
      name: 'docker',
      repository: 'moby/profiles',
      commit: 'cd3bed8061c7b7378b61fc6827c7885779417a75',
    });
    expect(reference.profile).toEqual(
      parseWithExactArgs(readFileSync(dataReference('docker-default.json'), 'utf8')),
    );
    expect(reference.defaultCapabilities).toBe(DOCKER_DEFAULT_CAPABILITIES);
  });

  it('loads the bundled Podman profile when told not to look at the system', async () => {
    const reference = await loadReference('podman', { podmanSystemProfile: false });
    expect(reference.dialect).toBe('containers');
    expect(reference.source).toMatchObject({
      repository: 'containers/common',
      file: dataReference('podman-default.json'),
    });
    expect(reference.defaultCapabilities).toBe(PODMAN_DEFAULT_CAPABILITIES);
  });

  it('prefers the system-wide Podman profile when there is one', async () => {
    const reference = await loadReference('podman', { podmanSystemProfile: fixture('podman-style.json') });
    expect(reference.source).toEqual({
      name: 'podman',
      file: fixture('podman-style.json'),
      note: 'the system-wide profile Podman on this host uses',
    });
    expect(reference.dialect).toBe('containers');
  });

  it('falls back to the bundled Podman profile when the system one is missing', async () => {
    const reference = await loadReference('podman', { podmanSystemProfile: fixture('absent.json') });
    expect(reference.source.file).toBe(dataReference('podman-default.json'));
  });

  it('loads containerd’s encoded profile', async () => {
    const reference = await loadReference('containerd');
    expect(reference.source).toMatchObject({
      repository: 'containerd/containerd',
      upstreamPath: 'contrib/seccomp/seccomp_default.go',
    });
    expect(reference.dialect).toBe('moby');
  });

  it('loads any profile file given by path (--against FILE)', async () => {
    const reference = await loadReference(fixture('extensions.json'));
    expect(reference.source).toEqual({ name: fixture('extensions.json'), file: fixture('extensions.json') });
    expect(reference.dialect).toBe('moby');
    expect((await loadReference(fixture('podman-style.json'))).dialect).toBe('containers');
    await expect(loadReference(fixture('unknown-action.json'))).rejects.toThrow(/syscalls\[2\]\.action/);
  });
});

describe('capabilitySet', () => {
  it('returns Docker’s defaults when nothing is added or dropped', () => {
    expect(capabilitySet()).toEqual(new Set(DOCKER_DEFAULT_CAPABILITIES));
    expect(capabilitySet().size).toBe(14);
  });

  it('takes names as Docker does: any case, CAP_ prefix optional', () => {
    const caps = capabilitySet(['sys_admin', 'CAP_SYS_PTRACE'], ['net_raw', 'Cap_Mknod']);
    expect(caps.has('CAP_SYS_ADMIN')).toBe(true);
    expect(caps.has('CAP_SYS_PTRACE')).toBe(true);
    expect(caps.has('CAP_NET_RAW')).toBe(false);
    expect(caps.has('CAP_MKNOD')).toBe(false);
  });

  it('handles ALL on either side', () => {
    expect(capabilitySet(['all'], ['SYS_ADMIN']).size).toBe(ALL_CAPABILITIES.length - 1);
    expect(capabilitySet(['NET_ADMIN'], ['ALL'])).toEqual(new Set(['CAP_NET_ADMIN']));
  });

  it('starts from another base set when given one', () => {
    expect(capabilitySet([], ['kill'], PODMAN_DEFAULT_CAPABILITIES).size).toBe(10);
  });

  it('rejects unknown capabilities', () => {
    expect(() => capabilitySet(['CAP_FLY'])).toThrow(UserError);
  });
});
