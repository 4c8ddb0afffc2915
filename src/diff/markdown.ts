import { mdCode as code, mdHtml, mdTable, mdText as text } from '../util/markdown.js';
import type { AbiComparison, ReferenceComparison } from './compare.js';
import type { AllowlistDiff, DiffEntry } from './diff.js';
import { headlineSentence } from './headline.js';

type Entry<S extends DiffEntry['status']> = Extract<DiffEntry, { status: S }>;

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

/** The comparison as a pull-request comment; everything from the inputs goes through util/markdown. */
export function comparisonMarkdown(comparison: ReferenceComparison): string {
  const label = comparison.reference.label;
  const name = text(label);
  const lines: string[] = [`### seccomp: ${code(comparison.input)} against ${name}`, ''];
  for (const abi of comparison.abis) {
    lines.push(`**${text(headlineText(abi, label))}**`, '');
    const denied = entriesOf(abi, 'denied');
    if (denied.length > 0) {
      lines.push(
        `#### Needed but denied by ${name} (${denied.length})`,
        '',
        ...mdTable(
          ['syscall', 'calls', 'reference does', 'would be allowed by'],
          denied.map((entry) => [
            code(entry.name),
            String(entry.usage?.calls ?? ''),
            text(entry.errnoName ?? entry.outcome.action),
            text(unlockText(entry)),
          ]),
          [1],
        ),
        '',
      );
    }
    const conditional = entriesOf(abi, 'conditional');
    if (conditional.length > 0) {
      lines.push(
        `#### Allowed by ${name} only for some arguments (${conditional.length})`,
        '',
        ...mdTable(
          ['syscall', 'calls', 'condition'],
          conditional.map((entry) => [
            code(entry.name),
            String(entry.usage?.calls ?? ''),
            text(entry.condition),
          ]),
          [1],
        ),
        '',
      );
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
      `<details><summary>Removed: ${mdHtml(label)} allows, the workload never used (${unneeded.length})</summary>`,
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
        ...mdTable(
          ['syscall', 'why it is dangerous', 'check'],
          abi.risks.needed.map((risk) => [code(risk.name), text(risk.risk), text(risk.check)]),
        ),
        '',
      );
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
  const lines = [`### seccomp: ${code(before)} → ${code(after)}`, ''];
  if (diff.defaultChanged) {
    lines.push(
      `Default action: ${text(diff.defaultChanged.from.action)} → ${text(diff.defaultChanged.to.action)}`,
      '',
    );
  }
  for (const abi of diff.abis) {
    lines.push(`**${abi.abi}**: ${abi.allowedBefore} → ${abi.allowedAfter} allowed`, '');
    if (abi.added.length > 0) lines.push(`- added (${abi.added.length}): ${abi.added.map(code).join(' ')}`);
    if (abi.removed.length > 0)
      lines.push(`- removed (${abi.removed.length}): ${abi.removed.map(code).join(' ')}`);
    for (const change of abi.changed)
      lines.push(`- changed ${code(change.name)}: ${text(change.from.action)} → ${text(change.to.action)}`);
    if (abi.added.length + abi.removed.length + abi.changed.length === 0) lines.push('- no change');
    lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
