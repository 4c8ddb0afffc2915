import type { AbiComparison, ReferenceComparison } from './compare.js';
import type { AllowlistDiff, DiffEntry } from './diff.js';
import { headlineSentence } from './headline.js';

type Entry<S extends DiffEntry['status']> = Extract<DiffEntry, { status: S }>;

const code = (name: string): string => `\`${name}\``;
const cell = (text: string): string => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

export function headlineText(comparison: AbiComparison, referenceLabel: string): string {
  return `${comparison.diff.abi}: ${headlineSentence(comparison.diff.headline, referenceLabel)}`;
}

export function entriesOf<S extends DiffEntry['status']>(comparison: AbiComparison, status: S): Entry<S>[] {
  return comparison.diff.entries.filter((entry): entry is Entry<S> => entry.status === status);
}

export function unlockText(entry: Entry<'denied'>): string {
  if (!entry.existsOnAbi) return `no such syscall on this ABI`;
  const caps = entry.unlockedBy.map(
    (unlock) =>
      unlock.capabilities.join(' + ') + (unlock.verdict === 'conditional' ? ' (some arguments)' : ''),
  );
  const kernel = entry.minKernel ? `kernel ≥ ${entry.minKernel}` : undefined;
  return [...caps, ...(kernel ? [kernel] : [])].join(' or ') || 'nothing: the reference never allows it';
}

/** The comparison as a pull-request comment. */
export function comparisonMarkdown(comparison: ReferenceComparison): string {
  const name = comparison.reference.label;
  const lines: string[] = [`### seccomp: \`${comparison.input}\` against ${name}`, ''];
  for (const abi of comparison.abis) {
    lines.push(`**${headlineText(abi, name)}**`, '');
    const denied = entriesOf(abi, 'denied');
    if (denied.length > 0) {
      lines.push(
        `#### Needed but denied by ${name} (${denied.length})`,
        '',
        '| syscall | calls | reference does | would be allowed by |',
        '| --- | ---: | --- | --- |',
      );
      for (const entry of denied) {
        lines.push(
          `| ${code(entry.name)} | ${entry.usage?.calls ?? ''} | ${entry.errnoName ?? entry.outcome.action} | ${cell(unlockText(entry))} |`,
        );
      }
      lines.push('');
    }
    const conditional = entriesOf(abi, 'conditional');
    if (conditional.length > 0) {
      lines.push(
        `#### Allowed by ${name} only for some arguments (${conditional.length})`,
        '',
        '| syscall | calls | condition |',
        '| --- | ---: | --- |',
      );
      for (const entry of conditional)
        lines.push(`| ${code(entry.name)} | ${entry.usage?.calls ?? ''} | ${cell(entry.condition)} |`);
      lines.push('');
    }
    const allowed = entriesOf(abi, 'allowed');
    lines.push(
      `<details><summary>Allowed by both (${allowed.length})</summary>`,
      '',
      allowed.map((e) => code(e.name)).join(' '),
      '',
      '</details>',
      '',
    );
    const unneeded = entriesOf(abi, 'unneeded');
    lines.push(
      `<details><summary>Removed: ${name} allows, the workload never used (${unneeded.length})</summary>`,
      '',
      unneeded.map((e) => code(e.name)).join(' '),
      '',
      '</details>',
      '',
    );
    if (abi.risks.needed.length > 0) {
      lines.push(
        '#### Dangerous syscalls the workload still needs',
        '',
        '| syscall | why it is dangerous | check |',
        '| --- | --- | --- |',
      );
      for (const risk of abi.risks.needed)
        lines.push(`| ${code(risk.name)} | ${cell(risk.risk)} | ${cell(risk.check)} |`);
      lines.push('');
    }
    if (abi.risks.removed.length > 0) {
      lines.push(
        `Dangerous syscalls ${name} allows that this profile removes: ${abi.risks.removed.map((r) => code(r.name)).join(' ')}`,
        '',
      );
    }
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/** A change between two allowlists as a pull-request comment. */
export function allowlistDiffMarkdown(diff: AllowlistDiff, before: string, after: string): string {
  const lines = [`### seccomp: \`${before}\` → \`${after}\``, ''];
  if (diff.defaultChanged) {
    lines.push(`Default action: ${diff.defaultChanged.from.action} → ${diff.defaultChanged.to.action}`, '');
  }
  for (const abi of diff.abis) {
    lines.push(`**${abi.abi}**: ${abi.allowedBefore} → ${abi.allowedAfter} allowed`, '');
    if (abi.added.length > 0) lines.push(`- added (${abi.added.length}): ${abi.added.map(code).join(' ')}`);
    if (abi.removed.length > 0)
      lines.push(`- removed (${abi.removed.length}): ${abi.removed.map(code).join(' ')}`);
    for (const change of abi.changed)
      lines.push(`- changed ${code(change.name)}: ${change.from.action} → ${change.to.action}`);
    if (abi.added.length + abi.removed.length + abi.changed.length === 0) lines.push('- no change');
    lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
