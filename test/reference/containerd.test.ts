import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decisionFor, verdictOf } from '../../src/profile/evaluate.js';
import { containerdProfileFromDocker } from '../../src/reference/containerd.js';
import { stringifyJson } from '../../src/util/json-exact.js';
import { dataReference, evaluate, loadData } from './helpers.js';

const generated = () => containerdProfileFromDocker(loadData('docker-default.json'));
const verdict = (overrides: Parameters<typeof evaluate>[1], name: string) =>
  verdictOf(decisionFor(evaluate(loadData('containerd-default.json'), overrides), name));

describe('containerd default profile', () => {
  it('is the committed encoding of Docker’s profile plus containerd’s differences', () => {
    const text = `${stringifyJson(generated(), '\t')}\n`;
    // UPDATE_REFERENCE=1 npx vitest run test/reference/containerd.test.ts regenerates the data file.
    if (process.env.UPDATE_REFERENCE) writeFileSync(dataReference('containerd-default.json'), text);
    expect(readFileSync(dataReference('containerd-default.json'), 'utf8')).toBe(text);
  });

  it('allows 363 base names: Docker’s 361 with the lsm_* calls and without riscv_hwprobe', () => {
    const [base] = generated().syscalls ?? [];
    expect(base?.names).toHaveLength(363);
    expect(base?.names).toEqual(
      expect.arrayContaining(['lsm_get_self_attr', 'lsm_list_modules', 'lsm_set_self_attr']),
    );
    expect(base?.names).not.toContain('riscv_hwprobe');
  });

  it('has no defaultErrnoRet, so denied calls get runc’s EPERM', () => {
    expect(generated().defaultErrnoRet).toBeUndefined();
    const evaluated = evaluate(loadData('containerd-default.json'));
    expect(evaluated.defaultOutcome).toEqual({ action: 'SCMP_ACT_ERRNO', errnoRet: 1 });
  });

  it('allows the lsm_* calls without CAP_SYS_ADMIN, unlike Docker', () => {
    expect(verdict({}, 'lsm_list_modules')).toBe('allowed');
    expect(verdictOf(decisionFor(evaluate(loadData('docker-default.json')), 'lsm_list_modules'))).toBe(
      'denied',
    );
  });

  it('allows riscv_hwprobe only on riscv64 hosts', () => {
    expect(verdict({ abi: 'riscv64' }, 'riscv_hwprobe')).toBe('allowed');
    expect(verdict({ abi: 'aarch64' }, 'riscv_hwprobe')).toBe('denied');
  });

  it('keeps the capability switch, the kernel check and the clone masks', () => {
    expect(verdict({}, 'mount')).toBe('denied');
    expect(verdict({ capabilities: new Set(['CAP_SYS_ADMIN']) }, 'mount')).toBe('allowed');
    expect(verdict({}, 'clone')).toBe('conditional');
    expect(verdict({}, 'clone3')).toBe('denied');
    expect(verdict({ kernel: [4, 4] }, 'ptrace')).toBe('denied');
    expect(verdict({}, 'ptrace')).toBe('allowed');
  });

  it('covers x86 and x32 beside x86_64 but only the native ABI on hosts containerd’s arches() does not list', () => {
    expect(evaluate(loadData('containerd-default.json')).architectures).toEqual(['x86_64', 'x86', 'x32']);
    expect(evaluate(loadData('containerd-default.json'), { abi: 'ppc64le' }).architectures).toEqual([
      'ppc64le',
    ]);
  });
});
