import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { ProfileError, parseProfile, readProfile } from '../../src/profile/read.js';
import { dataReference, fixture, parseWithExactArgs } from '../reference/helpers.js';

async function problem(name: string): Promise<ProfileError> {
  const error = await readProfile(fixture(name)).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ProfileError);
  return error as ProfileError;
}

function thrownBy<T extends InputError>(text: string, kind: new (...args: never[]) => T): T {
  try {
    parseProfile(text, 'inline.json');
  } catch (error) {
    if (error instanceof kind) return error;
    throw error;
  }
  throw new Error('no error');
}

const parseError = (text: string): ProfileError => thrownBy(text, ProfileError);
const syntaxError = (text: string): InputError => thrownBy(text, InputError);

describe('readProfile', () => {
  it.each(['docker-default.json', 'podman-default.json'])(
    'reads %s into a model deep-equal to its JSON',
    (name) => {
      const text = readFileSync(dataReference(name), 'utf8');
      expect(parseProfile(text, name)).toEqual(parseWithExactArgs(text));
    },
  );

  it('accepts Docker extensions: archMap, name, comment, flags, listener, errnoRet', async () => {
    const profile = await readProfile(fixture('extensions.json'));
    expect(profile.flags).toEqual(['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW']);
    expect(profile.listenerPath).toBe('/run/seccomp-agent.sock');
    expect(profile.archMap).toEqual([{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: null }]);
    expect(profile.syscalls?.[1]).toEqual({
      names: ['mount'],
      action: 'SCMP_ACT_ALLOW',
      includes: { caps: ['CAP_SYS_ADMIN'] },
    });
    expect(profile.syscalls?.[3]).toMatchObject({ names: ['unlink'], errnoRet: 13 });
  });

  // Named .txt so the linter, which parses every .json, leaves the broken file alone.
  it('reports invalid JSON with the line of the mistake', async () => {
    const error = (await readProfile(fixture('bad-syntax.json.txt')).catch((e: unknown) => e)) as InputError;
    expect(error).toBeInstanceOf(InputError);
    expect(error.file).toBe(fixture('bad-syntax.json.txt'));
    expect(error.line).toBe(5);
    expect(error.message).toMatch(/bad-syntax\.json\.txt:5: invalid JSON/);
  });

  it('finds the line of an unexpected token Node does not place', () => {
    expect(syntaxError('{\n  "defaultAction": x\n}').line).toBe(2);
    expect(syntaxError('{\n  "defaultAction": "SCMP_ACT_ERRNO",\n').line).toBe(3);
  });

  it("refuses both 'name' and 'names', like Docker", async () => {
    const error = await problem('name-and-names.json');
    expect(error.jsonPath).toBe('syscalls[1].name');
    expect(error.line).toBe(6);
    expect(error.message).toContain("both 'name' and 'names' are specified");
  });

  it('names the JSON path and line of an unknown action', async () => {
    const error = await problem('unknown-action.json');
    expect(error.jsonPath).toBe('syscalls[2].action');
    expect(error.line).toBe(6);
    expect(error.message).toContain('unknown value "SCMP_ACT_PERMIT", expected one of SCMP_ACT_KILL,');
  });

  it("refuses both 'architectures' and 'archMap', like Docker", async () => {
    const error = await problem('architectures-and-archmap.json');
    expect(error.jsonPath).toBe('archMap');
    expect(error.message).toContain("both 'architectures' and 'archMap'");
  });

  it('checks minKernel as Docker parses it', async () => {
    const error = await problem('bad-minkernel.json');
    expect(error.jsonPath).toBe('syscalls[0].includes.minKernel');
    expect(error.message).toContain('invalid kernel version "4.8.1"');
    expect(
      parseError(
        '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["a"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"0.0"}}]}',
      ).message,
    ).toContain('cannot be 0.0');
  });

  it('points a missing field at the object that lacks it', async () => {
    const error = await problem('missing-default.json');
    expect(error.jsonPath).toBe('defaultAction');
    expect(error.line).toBe(1);
    expect(error.message).toContain('required but missing');
  });

  it('checks argument indexes, operators, errno names and listener metadata', () => {
    const rule = (extra: string) =>
      `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["socket"],"action":"SCMP_ACT_ALLOW",${extra}}]}`;
    expect(parseError(rule('"args":[{"index":6,"value":1,"op":"SCMP_CMP_EQ"}]')).jsonPath).toBe(
      'syscalls[0].args[0].index',
    );
    expect(parseError(rule('"args":[{"index":0,"value":-1,"op":"SCMP_CMP_EQ"}]')).message).toContain(
      'non-negative integer',
    );
    expect(parseError(rule('"args":[{"index":0,"value":1,"op":"SCMP_CMP_XOR"}]')).jsonPath).toBe(
      'syscalls[0].args[0].op',
    );
    expect(parseError(rule('"errno":"EWHATEVER"')).message).toContain('unknown errno name');
    expect(parseError(rule('"names":[]')).message).toContain('names no syscall');
    expect(parseError('{"defaultAction":"SCMP_ACT_ERRNO","listenerMetadata":"x"}').jsonPath).toBe(
      'listenerMetadata',
    );
    expect(parseError('{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_VAX"]}').jsonPath).toBe(
      'architectures[0]',
    );
    expect(parseError('[]').message).toContain('expected object, got an array');
  });

  it('says so when the file is missing', async () => {
    await expect(readProfile(fixture('nope.json'))).rejects.toThrow(/nope\.json: cannot read: ENOENT/);
  });
});
