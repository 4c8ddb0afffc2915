import {
  type ComparisonOptions,
  compareWithReference,
  comparisonHost,
  judgingTarget,
  usageOf,
} from '../../diff/compare.js';
import { type AllowlistSets, diffProfiles } from '../../diff/diff.js';
import { UserError } from '../../errors.js';
import { type LearningInput, readLearningInput } from '../../profile/inputs.js';
import {
  type ComparisonFormat,
  renderAllowlistDiff,
  renderReferenceComparison,
} from '../../report/render.js';
import { abisOfHost, hostAbi } from '../../syscalls/abi.js';
import { abiFlag, kernelFlag } from '../flags.js';
import { warn } from '../output.js';

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
  for (const [abi, names] of usageOf(input, judgingTarget(options))) sets[abi] = names.keys();
  return sets;
}

export async function runDiff(files: string[], flags: DiffFlags): Promise<void> {
  abiFlag(flags.arch);
  const inputs = await Promise.all(files.map((file) => readLearningInput(file, warn)));
  const options = comparisonOptions(flags, inputs);
  const format: ComparisonFormat = flags.json ? 'json' : flags.markdown ? 'markdown' : 'text';
  // Tables are for a person and go to stderr; JSON and Markdown are data for a pipe.
  const out = format === 'text' ? process.stderr : process.stdout;
  if (inputs.length === 2) {
    const [before, after] = inputs as [LearningInput, LearningInput];
    const target = judgingTarget(options);
    const diff = diffProfiles(allowlistOf(before, options), allowlistOf(after, options), target);
    return void out.write(await renderAllowlistDiff(diff, before.path, after.path, format));
  }
  const comparison = await compareWithReference(inputs[0] as LearningInput, options);
  if (comparison.abis.length === 0)
    throw new UserError(
      `${files[0]}: nothing to compare on the ABIs of a ${options.host} host (${abisOfHost(options.host ?? hostAbi()).join(', ')}); --arch names another host`,
    );
  out.write(await renderReferenceComparison(comparison, format));
}
