import type { LearnedValues } from '../profile/argument-rules.js';
import {
  decisionFor,
  type EvaluatedProfile,
  evaluateProfile,
  outcomeOfCall,
  permits,
  verdictOf,
} from '../profile/evaluate.js';
import type { SeccompProfile } from '../profile/model.js';
import type { JudgingHost, SyscallNeeds } from '../profile/needs.js';
import type { Abi } from '../syscalls/abi.js';
import { argumentValueName, learnedArgumentsOf, registerIndex } from '../syscalls/arguments.js';
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
 * For a call the profile allows only for some arguments: the values the run passed that it refuses
 * (as names), [] when it lets every one through, undefined when the run's values are not known.
 */
function refusedValues(
  evaluated: EvaluatedProfile,
  abi: Abi,
  name: string,
  learned: LearnedValues | undefined,
): string[] | undefined {
  const argument = learnedArgumentsOf(name)?.[0];
  const values = learned?.get(name)?.get(argument?.key ?? '0');
  const index = argument ? registerIndex(argument, abi) : undefined;
  if (!argument || index === undefined || values === undefined || typeof values === 'string')
    return undefined;
  const refused: string[] = [];
  for (const value of values) {
    const registers = [0n, 0n, 0n, 0n, 0n, 0n];
    registers[index] = value;
    if (!permits(outcomeOfCall(evaluated, name, registers)))
      refused.push(argumentValueName(name, argument.key, value));
  }
  return refused;
}

/**
 * clone3 refused with ENOSYS while clone is allowed: the fallback Docker's default relies on
 * (glibc calls clone when clone3 fails with ENOSYS), so no gap.
 */
function fallsBackToClone(evaluated: EvaluatedProfile, name: string): boolean {
  if (name !== 'clone3') return false;
  const outcome = outcomeOfCall(evaluated, 'clone3', []);
  return (
    outcome.action === 'SCMP_ACT_ERRNO' &&
    outcome.errnoRet === 38 &&
    verdictOf(decisionFor(evaluated, 'clone')) !== 'denied'
  );
}

/**
 * Where `profile` fails what `needs` did: the CI gate "does the committed profile still cover what
 * today's run did?". A syscall allowed only for some arguments is judged by the values the run
 * passed when `learned` has them (a full trace), and is a gap otherwise, since the run's arguments
 * are not known. clone3 refused with ENOSYS while clone is allowed is no gap (glibc falls back).
 * Names libseccomp does not know on an ABI are no gaps (see unknownNeeds).
 */
export function coverageGaps(
  profile: SeccompProfile,
  needs: SyscallNeeds,
  host: JudgingHost,
  source: string,
  learned?: LearnedValues,
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
      if (verdict === 'allowed' || fallsBackToClone(evaluated, name)) continue;
      if (decision.kind === 'conditional' && verdict === 'conditional') {
        const detail = describeConditions(name, abi, decision.alternatives, decision.otherwise);
        const refused = refusedValues(evaluated, abi, name, learned);
        if (refused === undefined) gaps.push({ abi, name, source, problem: 'conditional', detail });
        else if (refused.length > 0)
          gaps.push({
            abi,
            name,
            source,
            problem: 'denied',
            detail: `refused for ${refused.join(', ')}: ${detail}`,
          });
      } else {
        const outcome = decision.kind === 'conditional' ? decision.otherwise : decision.outcome;
        gaps.push({ abi, name, source, problem: 'denied', detail: outcomeText(outcome) });
      }
    }
  }
  return gaps;
}
