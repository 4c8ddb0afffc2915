import { type EnforcedComparison, enforcementFails } from '../../pipeline/enforce.js';
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
  enforce?: boolean;
  compareOutput?: boolean;
  json?: boolean;
}

/** One line on the enforced run: same exit code (and stdout) as unconfined, or where it differs. */
function sayEnforced(profile: string, enforced: EnforcedComparison): void {
  const exits = enforced.exitMatches
    ? `exited ${enforced.enforcedExit} as unconfined`
    : `exited ${enforced.enforcedExit} under the profile, ${enforced.unconfinedExit} unconfined`;
  const output =
    enforced.outputMatches === undefined
      ? ''
      : enforced.outputMatches
        ? '; stdout the same'
        : '; stdout differs';
  const line = `--enforce: under ${visible(profile)} the workload ${exits}${output}`;
  say(enforcementFails(enforced) ? style.red(line) : style.green(line));
  const difference = enforced.firstDifference;
  if (difference) {
    say(`  first difference: line ${difference.line} (byte ${difference.offset})`);
    // Quoted: an empty excerpt (the enforced run wrote nothing more) must show as such.
    say(`    unconfined: "${visible(difference.unconfined)}"`);
    say(`    enforced:   "${visible(difference.enforced)}"`);
  }
}

export async function runVerify(profile: string, command: string[], flags: VerifyFlags): Promise<number> {
  const result = await verify(profile, command, {
    full: flags.full === true,
    stdoutToStderr: flags.json === true,
    ...(flags.auditLog ? { auditLog: flags.auditLog } : {}),
    ...(flags.mergeInto ? { mergeInto: flags.mergeInto } : {}),
    enforce: flags.enforce === true,
    compareOutput: flags.compareOutput === true,
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
      ...(result.enforced ? { enforced: result.enforced } : {}),
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
  if (result.enforced) sayEnforced(profile, result.enforced);
  for (const file of result.written) say(`recording: ${visible(file)} (this run added)`);
  return result.exitStatus;
}
