import { report } from '../../pipeline/report.js';
import { chooseFormat, type ReportFormat } from '../../report/render.js';
import { headlineText } from '../../report/words.js';
import { visible } from '../../util/visible.js';
import { abiFlag, kernelFlag } from '../flags.js';
import { printResultWarnings, type WideningFlags, wideningChoices } from '../learned.js';
import { say } from '../output.js';

interface ReportFlags extends WideningFlags {
  format?: ReportFormat;
  output?: string;
  against: string;
  arch?: string;
  capAdd: string[];
  capDrop: string[];
  kernel?: string;
}

export async function runReport(files: string[], flags: ReportFlags): Promise<number> {
  const arch = abiFlag(flags.arch);
  const kernel = kernelFlag(flags.kernel);
  const toTerminal = process.stdout.isTTY === true;
  const format = chooseFormat(flags.format, flags.output, toTerminal);
  const result = await report(files, {
    against: flags.against,
    ...(arch ? { arch } : {}),
    capAdd: flags.capAdd,
    capDrop: flags.capDrop,
    ...(kernel ? { kernel } : {}),
    ...wideningChoices(flags),
    format,
    ...(flags.output === undefined ? {} : { output: flags.output }),
    toTerminal,
  });
  printResultWarnings(result);
  if (flags.output === undefined) {
    process.stdout.write(result.text);
    return result.exitStatus;
  }
  for (const abi of result.report.comparison.abis)
    say(`${abi.abi}: ${visible(headlineText(result.report, abi))}`);
  say(`report: ${visible(flags.output)} (${format})`);
  return result.exitStatus;
}
