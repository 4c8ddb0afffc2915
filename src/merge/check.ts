import { describeConditions, outcomeText } from '../diff/conditions.js';
import type { SeccompProfile } from '../profile/model.js';
import type { JudgingTarget, SyscallNeeds } from '../profile/needs.js';
import { decisionFor, evaluateProfile, verdictOf } from '../reference/evaluate.js';
import type { Abi } from '../syscalls/abi.js';

export interface CoverageGap {
  abi: Abi;
  name: string;
  /** Which input needed it. */
  source: string;
  problem: 'abi-not-covered' | 'denied' | 'conditional';
  detail: string;
}

/**
 * Where `profile` fails what `needs` did: the CI gate "does the committed profile still cover what
 * today's run did?". A syscall allowed only for some arguments is a gap too, since the run's
 * arguments are not known.
 */
export function coverageGaps(
  profile: SeccompProfile,
  needs: SyscallNeeds,
  target: JudgingTarget,
  source: string,
): CoverageGap[] {
  const gaps: CoverageGap[] = [];
  for (const [abi, names] of needs) {
    const evaluated = evaluateProfile(profile, { ...target, abi });
    for (const name of [...names].sort()) {
      if (!evaluated.abiInFilter) {
        gaps.push({
          abi,
          name,
          source,
          problem: 'abi-not-covered',
          detail: `the profile does not list the ${abi} ABI`,
        });
        continue;
      }
      const decision = decisionFor(evaluated, name);
      const verdict = verdictOf(decision);
      if (verdict === 'allowed') continue;
      if (decision.kind === 'conditional' && verdict === 'conditional') {
        const detail = describeConditions(name, abi, decision.alternatives, decision.otherwise);
        gaps.push({ abi, name, source, problem: 'conditional', detail });
      } else {
        const outcome = decision.kind === 'conditional' ? decision.otherwise : decision.outcome;
        gaps.push({ abi, name, source, problem: 'denied', detail: outcomeText(outcome) });
      }
    }
  }
  return gaps;
}
