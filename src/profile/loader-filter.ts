import { UserError } from '../errors.js';
import type { LoaderAction, LoaderFilter } from '../sources/comparison-run.js';
import { evaluateProfile } from './evaluate.js';
import type { Outcome, SeccompProfile } from './model.js';
import type { JudgingHost } from './needs.js';

function loaderAction(outcome: Outcome, where: string): LoaderAction {
  // A host command has no listener to hand the call to: the kernel would answer ENOSYS, which is not
  // what the profile means under a runtime that provides one.
  if (outcome.action === 'SCMP_ACT_NOTIFY') {
    throw new UserError(
      `verify --enforce cannot run a host command under SCMP_ACT_NOTIFY (${where}): there is no listener outside a container runtime`,
    );
  }
  return outcome.errnoRet === undefined ? { action: outcome.action } : outcome;
}

/**
 * The filter a runtime on `host` would hand libseccomp for PROFILE, for the loader that runs a host
 * command under it: the same evaluation `verify` and `merge --check` judge calls with
 * (includes/excludes, rules equal to the default skipped, a rule without arguments wiping the
 * argument filters of its syscall), so that what is enforced is what was judged.
 */
export function loaderFilter(profile: SeccompProfile, host: JudgingHost): LoaderFilter {
  const evaluated = evaluateProfile(profile, { ...host, abi: host.hostAbi });
  const rules: LoaderFilter['rules'] = [];
  for (const decision of evaluated.decisions.values()) {
    const { name } = decision;
    if (decision.kind === 'unconditional') {
      rules.push({ name, ...loaderAction(decision.outcome, name), args: [] });
    } else if (decision.kind === 'conditional') {
      for (const alternative of decision.alternatives) {
        const args = alternative.args.map((arg) => ({
          index: arg.index,
          op: arg.op,
          value: arg.value,
          ...(arg.valueTwo === undefined ? {} : { valueTwo: arg.valueTwo }),
        }));
        rules.push({ name, ...loaderAction(alternative.outcome, name), args });
      }
    }
  }
  return {
    defaultAction: loaderAction(evaluated.defaultOutcome, 'defaultAction'),
    architectures: evaluated.architectures,
    rules,
  };
}
