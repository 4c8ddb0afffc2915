import { diff } from '../../pipeline/diff.js';
import {
  type ComparisonFormat,
  renderAllowlistDiff,
  renderReferenceComparison,
} from '../../report/render.js';
import { abiFlag, kernelFlag } from '../flags.js';
import { printResultWarnings, type WideningFlags, wideningChoices } from '../learned.js';

interface DiffFlags extends WideningFlags {
  against: string;
  arch?: string;
  capAdd: string[];
  capDrop: string[];
  kernel?: string;
  json?: boolean;
  markdown?: boolean;
  why?: boolean;
}

export async function runDiff(files: string[], flags: DiffFlags): Promise<number> {
  const arch = abiFlag(flags.arch);
  const kernel = kernelFlag(flags.kernel);
  const result = await diff(files, {
    against: flags.against,
    capAdd: flags.capAdd,
    capDrop: flags.capDrop,
    ...(arch ? { arch } : {}),
    ...(kernel ? { kernel } : {}),
    ...wideningChoices(flags),
  });
  printResultWarnings(result);
  const format: ComparisonFormat = flags.json ? 'json' : flags.markdown ? 'markdown' : 'text';
  const rendered =
    result.kind === 'reference'
      ? await renderReferenceComparison(result.comparison, format, flags.why === true)
      : await renderAllowlistDiff(result.diff, result.before, result.after, format);
  // Tables are for a person and go to stderr; JSON and Markdown are data for a pipe.
  (format === 'text' ? process.stderr : process.stdout).write(rendered);
  return result.exitStatus;
}
