import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { diffAgainstReference } from '../../src/diff/diff.js';
import { DANGEROUS_SYSCALLS, riskNotes, riskNotesForDiff } from '../../src/diff/risk.js';
import { permittedSyscalls } from '../../src/profile/evaluate.js';
import { knownSyscallName } from '../../src/syscalls/table.js';
import { evaluate, loadData } from '../reference/helpers.js';

const proposal = fileURLToPath(new URL('../../data/kubernetes/dangerous-syscalls.md', import.meta.url));

/** The syscalls in the Kubernetes proposal's "Various Syscalls Not Allowed" table. */
function proposalTable(): string[] {
  const text = readFileSync(proposal, 'utf8');
  const table = text.slice(text.indexOf('| Syscall'));
  return [...table.matchAll(/^\| `([a-z0-9_]+)`(?:, `([a-z0-9_]+)`)?/gm)].flatMap((m) =>
    m.slice(1).filter(Boolean),
  ) as string[];
}

describe('DANGEROUS_SYSCALLS', () => {
  it('covers every syscall of the Kubernetes proposal’s table', () => {
    const names = proposalTable();
    expect(names.length).toBeGreaterThan(50);
    expect(names.filter((name) => !DANGEROUS_SYSCALLS.has(name))).toEqual([]);
  });

  it('says it in its own words, with something to check for each', () => {
    const text = readFileSync(proposal, 'utf8');
    for (const entry of DANGEROUS_SYSCALLS.values()) {
      expect(entry.check.length).toBeGreaterThan(20);
      expect(text).not.toContain(entry.risk);
      expect(knownSyscallName(entry.name)).toBe(true);
    }
  });
});

describe('riskNotes', () => {
  it('splits the dangerous syscalls into still needed and removed against the reference', () => {
    const notes = riskNotes(['read', 'ptrace', 'keyctl'], ['read', 'ptrace', 'personality', 'clone']);
    expect(notes.needed.map((n) => [n.name, n.referenceAllows])).toEqual([
      ['keyctl', false],
      ['ptrace', true],
    ]);
    expect(notes.removed.map((n) => n.name)).toEqual(['clone', 'personality']);
    expect(notes.needed[1]).toMatchObject({ category: 'process-access', capability: 'CAP_SYS_PTRACE' });
  });

  it('works from a diff against Docker’s default', () => {
    const reference = evaluate(loadData('docker-default.json'));
    const needs = new Set(['read', 'write', 'socket', 'mount']);
    const notes = riskNotesForDiff(diffAgainstReference({ abi: 'x86_64', syscalls: needs }, reference));
    expect(notes.needed.map((n) => [n.name, n.referenceAllows])).toEqual([
      ['mount', false],
      ['socket', true],
    ]);
    const allowed = [...permittedSyscalls(reference).keys()];
    expect(notes.removed.map((n) => n.name)).toEqual(
      riskNotes([], allowed)
        .removed.map((n) => n.name)
        .filter((name) => name !== 'socket'),
    );
    expect(notes.removed.map((n) => n.name)).toEqual(
      expect.arrayContaining(['clone', 'personality', 'ptrace', 'process_vm_readv']),
    );
  });
});
