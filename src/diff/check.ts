import { decisionFor, evaluateProfile, verdictOf } from '../profile/evaluate.js';
import type { SeccompProfile } from '../profile/model.js';
import type { JudgingHost, SyscallNeeds } from '../profile/needs.js';
import type { Abi } from '../syscalls/abi.js';
import { syscallExists } from '../syscalls/table.js';
import { describeConditions, outcomeText } from './conditions.js';

export interface CoverageGap {
  abi: Abi;
  name: string;
  /** Which input needed it. */
  source: string;
  problem: 'abi-not-covered' | 'denied' | 'conditional';
  detail: string;
}

/** A needed name libseccomp does not know on that ABI: no profile can allow it, so it is no gap. */
export interface UnknownNeed {
  abi: Abi;
  name: string;
  source: string;
  message: string;
}

/**
 * The names of `needs` that libseccomp does not know on their ABI. generate leaves such a name out
 * of the profile with a warning (a runtime would ignore it); check reports it the same way, as a
 * warning rather than a gap, so a profile generated from a recording passes the check against it.
 */
export function unknownNeeds(needs: SyscallNeeds, source: string): UnknownNeed[] {
  const unknown: UnknownNeed[] = [];
  for (const [abi, names] of needs) {
    for (const name of [...names].sort()) {
      if (syscallExists(abi, name)) continue;
      const message = `${source}: ${name} is unknown to libseccomp on ${abi}, cannot be allowed`;
      unknown.push({ abi, name, source, message });
    }
  }
  return unknown;
}

/**
 * Where `profile` fails what `needs` did: the CI gate "does the committed profile still cover what
 * today's run did?". A syscall allowed only for some arguments is a gap too, since the run's
 * arguments are not known. Names libseccomp does not know on an ABI are no gaps (see unknownNeeds).
 */
export function coverageGaps(
  profile: SeccompProfile,
  needs: SyscallNeeds,
  host: JudgingHost,
  source: string,
): CoverageGap[] {
  const gaps: CoverageGap[] = [];
  for (const [abi, names] of needs) {
    const evaluated = evaluateProfile(profile, { ...host, abi });
    for (const name of [...names].sort()) {
      // No profile can allow it: unknownNeeds reports it instead.
      if (!syscallExists(abi, name)) continue;
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
