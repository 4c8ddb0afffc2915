import { check, merge } from '../../pipeline/merge.js';
import { style } from '../../util/color.js';
import { renderTable } from '../../util/table.js';
import { visible } from '../../util/visible.js';
import { printRecordingSummary, printResultWarnings } from '../learned.js';
import { printJson, say } from '../output.js';

interface MergeFlags {
  output?: string;
  check?: boolean;
  json?: boolean;
}

async function runCheck(files: string[], flags: MergeFlags): Promise<number> {
  const result = await check(files);
  printResultWarnings(result);
  const { gaps } = result;
  if (flags.json)
    printJson({ profile: result.profile, covers: gaps.length === 0, gaps, unknown: result.unknown });
  if (gaps.length === 0) {
    say(style.green(`${visible(result.profile)} covers ${result.inputs} input(s)`));
    return result.exitStatus;
  }
  say(
    renderTable({
      head: ['syscall', 'ABI', 'needed by', 'the profile'],
      rows: gaps.map((gap) => [gap.name, gap.abi, gap.source, gap.detail].map(visible)),
      large: { fold: { noun: 'gaps', rest: '--json lists them all' } },
    }),
  );
  say(style.red(`${visible(result.profile)} does not cover ${gaps.length} syscall(s)`));
  return result.exitStatus;
}

export async function runMerge(files: string[], flags: MergeFlags): Promise<number> {
  if (flags.check) return runCheck(files, flags);
  const result = await merge(files, flags.output);
  printResultWarnings(result);
  if (result.kind === 'recording') {
    const { recording } = result;
    if (flags.json) printJson({ output: result.output, runs: recording.runs, warnings: recording.warnings });
    printRecordingSummary(recording);
    say(`merged ${result.inputs} recording(s), ${recording.runs} run(s): ${visible(result.output)}`);
  } else {
    if (flags.json) printJson({ output: result.output, conflicts: result.conflicts });
    say(`merged ${result.inputs} profile(s): ${visible(result.output)}`);
  }
  return result.exitStatus;
}
