import { stripVTControlCharacters } from 'node:util';
import { readLearningInput } from '../../profile/inputs.js';
import { isBuiltinReference } from '../../reference/builtin.js';
import { buildReport, reportInputs } from '../../report/model.js';
import { chooseFormat, type ReportFormat, renderReport } from '../../report/render.js';
import { headlineText } from '../../report/words.js';
import { checkOutputName, OutputPlan } from '../../util/files.js';
import { visible } from '../../util/visible.js';
import { abiFlag, kernelFlag } from '../flags.js';
import { say, warn } from '../output.js';

interface ReportFlags {
  format?: ReportFormat;
  output?: string;
  against: string;
  arch?: string;
  capAdd: string[];
  capDrop: string[];
  kernel?: string;
}

export async function runReport(files: string[], flags: ReportFlags): Promise<void> {
  const options = {
    against: flags.against,
    arch: abiFlag(flags.arch),
    capAdd: flags.capAdd,
    capDrop: flags.capDrop,
    kernel: kernelFlag(flags.kernel),
  };
  checkOutputName(flags.output);
  const format = chooseFormat(flags.format, flags.output, process.stdout.isTTY === true);
  // A reference profile file is an input too: -o must not overwrite it.
  const plan =
    flags.output === undefined
      ? undefined
      : await OutputPlan.check(
          [flags.output],
          isBuiltinReference(flags.against) ? files : [...files, flags.against],
        );
  const inputs = reportInputs(await Promise.all(files.map((file) => readLearningInput(file, warn))));
  const report = await buildReport(inputs, options);
  const rendered = await renderReport(report, format);
  // Colour is for a terminal only: a file or a pipe gets the plain text.
  const toTerminal = !flags.output && process.stdout.isTTY === true;
  const text = toTerminal ? rendered : stripVTControlCharacters(rendered);
  if (flags.output === undefined || !plan) {
    process.stdout.write(text);
    return;
  }
  await plan.write({ [flags.output]: text });
  for (const abi of report.comparison.abis) say(`${abi.abi}: ${visible(headlineText(report, abi))}`);
  say(`report: ${visible(flags.output)} (${format})`);
}
