import {
  type ComparisonOptions,
  compareWithReference,
  comparisonHost,
  judgingHost,
  usageOf,
} from '../../diff/compare.js';
import { type AllowlistSets, diffProfiles } from '../../diff/diff.js';
import {
  allowlistDiffMarkdown,
  comparisonMarkdown,
  entriesOf,
  headlineText,
  unlockText,
} from '../../diff/markdown.js';
import { UserError } from '../../errors.js';
import { type LearningInput, readLearningInput } from '../../profile/inputs.js';
import { abisOfHost, hostAbi } from '../../syscalls/abi.js';
import { style } from '../../util/color.js';
import { renderTable } from '../../util/table.js';
import { visible } from '../../util/visible.js';
import { abiFlag, kernelFlag } from '../flags.js';
import { printJson, say, warn } from '../output.js';

interface DiffFlags {
  against: string;
  arch?: string;
  capAdd: string[];
  capDrop: string[];
  kernel?: string;
  json?: boolean;
  markdown?: boolean;
}

function comparisonOptions(flags: DiffFlags, inputs: readonly LearningInput[]): ComparisonOptions {
  const recordings = inputs.flatMap((input) => (input.kind === 'recording' ? [input.recording] : []));
  const kernel = kernelFlag(flags.kernel);
  return {
    against: flags.against,
    capAdd: flags.capAdd,
    capDrop: flags.capDrop,
    host: comparisonHost(abiFlag(flags.arch), recordings),
    ...(kernel ? { kernel } : {}),
  };
}

/** A recording or profile as plain per-ABI sets, for comparing two allowlists. */
function allowlistOf(input: LearningInput, options: ComparisonOptions) {
  if (input.kind === 'profile') return input.profile;
  const sets: AllowlistSets = {};
  for (const [abi, names] of usageOf(input, judgingHost(options))) sets[abi] = names.keys();
  return sets;
}

/** Names (from the inputs, so made visible) filled into lines of about 100 columns. */
function wrapNames(names: string[]): string {
  const lines: string[] = [];
  let line = '  ';
  for (const name of names.map(visible)) {
    if (line.length + name.length > 100) {
      lines.push(line);
      line = '  ';
    }
    line += `${name} `;
  }
  lines.push(line);
  return lines.join('\n').trimEnd();
}

export async function runDiff(files: string[], flags: DiffFlags): Promise<void> {
  abiFlag(flags.arch);
  const inputs = await Promise.all(files.map((file) => readLearningInput(file, warn)));
  const options = comparisonOptions(flags, inputs);
  if (inputs.length === 2) {
    const [before, after] = inputs as [LearningInput, LearningInput];
    const target = judgingHost(options);
    const diff = diffProfiles(allowlistOf(before, options), allowlistOf(after, options), target);
    if (flags.json) return printJson(diff);
    if (flags.markdown)
      return void process.stdout.write(allowlistDiffMarkdown(diff, before.path, after.path));
    for (const abi of diff.abis) {
      say(style.bold(`${abi.abi}: ${abi.allowedBefore} → ${abi.allowedAfter} allowed`));
      if (abi.added.length > 0) say(`${style.red(`added (${abi.added.length}):`)}\n${wrapNames(abi.added)}`);
      if (abi.removed.length > 0)
        say(`${style.green(`removed (${abi.removed.length}):`)}\n${wrapNames(abi.removed)}`);
      for (const change of abi.changed)
        say(visible(`changed ${change.name}: ${change.from.action} → ${change.to.action}`));
      if (abi.added.length + abi.removed.length + abi.changed.length === 0) say('no change');
    }
    if (diff.defaultChanged)
      say(visible(`default action: ${diff.defaultChanged.from.action} → ${diff.defaultChanged.to.action}`));
    return;
  }

  const comparison = await compareWithReference(inputs[0] as LearningInput, options);
  if (comparison.abis.length === 0)
    throw new UserError(
      `${files[0]}: nothing to compare on the ABIs of a ${options.host} host (${abisOfHost(options.host ?? hostAbi()).join(', ')}); --arch names another host`,
    );
  if (flags.json) return printJson(comparison);
  if (flags.markdown) return void process.stdout.write(comparisonMarkdown(comparison));
  const name = visible(comparison.reference.label);
  for (const abi of comparison.abis) {
    say(style.bold(visible(headlineText(abi, name))));
    const more = { fold: { noun: 'syscalls', rest: '--json or --markdown lists them all' } };
    const denied = entriesOf(abi, 'denied');
    if (denied.length > 0) {
      say(
        renderTable({
          head: [`needed, denied by ${name}`, 'calls', 'reference does', 'would be allowed by'],
          alignRight: [1],
          wrap: [null, null, null, 0.4],
          rows: denied.map((entry) => [
            visible(entry.name),
            entry.usage?.calls ?? '',
            visible(entry.errnoName ?? entry.outcome.action),
            visible(unlockText(entry)),
          ]),
          large: more,
        }),
      );
    }
    const conditional = entriesOf(abi, 'conditional');
    if (conditional.length > 0) {
      say(
        renderTable({
          head: ['allowed for some arguments', 'calls', 'condition'],
          alignRight: [1],
          wrap: [null, null, 0.6],
          rows: conditional.map((entry) => [
            visible(entry.name),
            entry.usage?.calls ?? '',
            visible(entry.condition),
          ]),
          large: more,
        }),
      );
    }
    const allowed = entriesOf(abi, 'allowed').map((entry) => entry.name);
    say(`allowed by both (${allowed.length}):\n${style.dim(wrapNames(allowed))}`);
    const unneeded = entriesOf(abi, 'unneeded').map((entry) => entry.name);
    say(
      `${style.green(`removed: ${name} allows, never used (${unneeded.length}):`)}\n${style.dim(wrapNames(unneeded))}`,
    );
    if (abi.risks.needed.length > 0) {
      say(
        renderTable({
          head: ['dangerous, still needed', 'why', 'check'],
          wrap: [null, 0.45, 0.35],
          rows: abi.risks.needed.map((risk) => [risk.name, risk.risk, risk.check].map(visible)),
          large: more,
        }),
      );
    }
    if (abi.risks.removed.length > 0) {
      say(
        `dangerous syscalls ${name} allows that this profile removes: ${abi.risks.removed.map((risk) => visible(risk.name)).join(' ')}`,
      );
    }
  }
}
