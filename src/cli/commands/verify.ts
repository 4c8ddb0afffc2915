import { verify } from '../../pipeline/verify.js';
import { style } from '../../util/color.js';
import { renderTable } from '../../util/table.js';
import { visible } from '../../util/visible.js';
import { printResultWarnings } from '../learned.js';
import { printJson, say } from '../output.js';

interface VerifyFlags {
  full?: boolean;
  auditLog?: string;
  mergeInto?: string;
  json?: boolean;
}

export async function runVerify(profile: string, command: string[], flags: VerifyFlags): Promise<number> {
  const result = await verify(profile, command, {
    full: flags.full === true,
    stdoutToStderr: flags.json === true,
    ...(flags.auditLog ? { auditLog: flags.auditLog } : {}),
    ...(flags.mergeInto ? { mergeInto: flags.mergeInto } : {}),
    onNote: (message) => say(style.dim(visible(message))),
  });
  printResultWarnings(result);
  const { refused } = result;
  if (flags.json) {
    printJson({
      profile: result.profile,
      covers: refused.length === 0,
      refused,
      workloadExit: result.workloadExit,
      written: result.written,
    });
  }
  if (refused.length > 0) {
    say(
      renderTable({
        head: ['syscall', 'ABI', 'the profile'],
        rows: refused.map((gap) => [gap.name, gap.abi, gap.detail].map(visible)),
        large: { fold: { noun: 'calls', rest: '--json lists them all' } },
      }),
    );
    say(
      style.red(
        `${visible(profile)} would refuse ${refused.length} syscall(s) of this run (the workload exited ${result.workloadExit})`,
      ),
    );
  } else {
    say(style.green(`${visible(profile)} covers this run (the workload exited ${result.workloadExit})`));
  }
  for (const file of result.written) say(`recording: ${visible(file)} (this run added)`);
  return result.exitStatus;
}
