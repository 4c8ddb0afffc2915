import type { Witness } from '../binaries/witness.js';
import { UserError } from '../errors.js';
import type { ArgumentSet, Recording } from '../recording/model.js';
import { ABIS, type Abi, abiInfo } from '../syscalls/abi.js';
import type { ArgumentKey } from '../syscalls/arguments.js';
import { syscallExists, syscallNamesOf } from '../syscalls/table.js';
import {
  type ArgsChoice,
  type ArgumentDecision,
  argumentDecision,
  type LearnedValues,
  learnedValuesOf,
} from './argument-rules.js';
import { type DefaultActionChoice, defaultActionFields } from './default-action.js';
import { type WidenedName, type WidenMode, widen } from './equivalents.js';
import { ERRNO_ENOSYS, type SeccompProfile, type SeccompRule } from './model.js';
import { exitPathOn, needsOfRecording, type SyscallNeeds } from './needs.js';
import type { CallReason, HeldFor } from './reasons.js';
import { removeSetOf, type Style } from './remove-set.js';
import { RESTRICTED_FORMS } from './restricted-forms.js';
import { baselineFor, type RuntimeChoice } from './runtime-baselines.js';

export interface GenerateOptions {
  defaultAction: DefaultActionChoice;
  runtime: RuntimeChoice;
  allow: readonly string[];
  deny: readonly string[];
  /** What beyond the observed calls the profile allows: their equivalents, or what the binaries can reach. */
  widen?: WidenMode;
  /**
   * For `widen: 'reachable'`: per ABI, what the workload's binaries can call, each with one way
   * they reach it (an aarch64 binary's names widen the aarch64 ABI only).
   */
  reachable?: ReadonlyMap<Abi, ReadonlyMap<string, Witness>>;
  /**
   * `learned` (the default): the calls whose arguments matter (clone, clone3, unshare, setns,
   * socket, personality, prctl) get rules for the values observed, and Docker's own form where none
   * were; `none`: names only.
   */
  args?: ArgsChoice;
  /** The argument values the recording saw (generateForRecording fills it in). */
  learned?: LearnedValues;
  /** `allowlist` (the default), or `remove-set`: default allow, the dangerous calls never made refused. */
  style?: Style;
}

/** Why a name is in (or out of) the profile when it was not simply observed. */
export interface GenerationNote {
  kind:
    | 'baseline'
    | 'always'
    | 'allow'
    | 'deny'
    | 'partial-abi'
    | 'no-such-syscall'
    | 'equivalent'
    | 'reachable'
    | 'held-back'
    | 'arguments';
  name: string;
  message: string;
  /**
   * The same as data, for every note that adds a name (baseline, always, allow, equivalent,
   * reachable), and for `held-back` the widening that proposed it (src/profile/reasons.ts).
   */
  reason?: CallReason;
  /** For `held-back`: why (src/profile/reasons.ts HeldBack); absent: dangerous. */
  heldFor?: HeldFor;
}

export interface GeneratedProfile {
  profile: SeccompProfile;
  notes: GenerationNote[];
}

/**
 * The minimal allowlist for `needs`: exactly the observed ABIs (a workload seen only as x86_64
 * keeps the 32-bit and x32 entry points closed), one sorted ALLOW rule, plus what the runtime and
 * the exit path need. Every name that is there for another reason than observation gets a note.
 */
export function generateProfile(needs: SyscallNeeds, options: GenerateOptions): GeneratedProfile {
  const abis = ABIS.filter((abi) => needs.has(abi));
  if (abis.length === 0) throw new UserError('nothing to generate from: the recording has no syscalls');
  const notes: GenerationNote[] = [];
  const existsSomewhere = (name: string): boolean => abis.some((abi) => syscallExists(abi, name));
  const abiList = abis.join(', ');

  const observed = new Set<string>();
  for (const names of needs.values()) for (const name of names) observed.add(name);
  const names = new Set(observed);

  // Widening is per ABI: a sibling exists, and a binary's code runs, on the ABIs it was seen on.
  const widening = options.widen ?? 'none';
  const heldBack = new Map<string, WidenedName>();
  const baseline = baselineFor(options.runtime);
  for (const [abi, seen] of needs) {
    const { added, heldBack: held } = widen(
      seen,
      widening,
      options.reachable?.get(abi),
      abi,
      baseline.syscalls,
    );
    for (const { name, kind, reason, cause } of added) {
      if (names.has(name)) continue;
      names.add(name);
      notes.push({ kind, name, message: reason, reason: cause });
    }
    for (const entry of held) heldBack.set(entry.name, entry);
  }
  // A dangerous call Docker admits for some arguments is added in Docker's form, not held back.
  const restricted = new Set<string>();
  for (const [name, { reason, cause, heldFor }] of heldBack) {
    if (names.has(name)) continue;
    if (heldFor === 'unreachable') {
      notes.push({
        kind: 'held-back',
        name,
        message: `not added: no binary of the workload can make it (--widen reachable-all or equivalents adds it, --allow ${name}): ${reason}`,
        reason: cause,
        heldFor,
      });
      continue;
    }
    if (heldFor !== undefined && heldFor !== 'dangerous') {
      notes.push({
        kind: 'held-back',
        name,
        message: `not added: ${heldFor.title}, a kind of work no recorded run shows (--widen reachable-all adds every such call, --allow ${name} this one): ${reason}`,
        reason: cause,
        heldFor: heldFor.title,
      });
      continue;
    }
    const form = RESTRICTED_FORMS.get(name);
    if (form) {
      restricted.add(name);
      notes.push({
        kind: cause.kind === 'reachable' ? 'reachable' : 'equivalent',
        name,
        message: `${reason}; allowed only ${form.admits}`,
        reason: cause,
      });
      continue;
    }
    notes.push({
      kind: 'held-back',
      name,
      message: `not added, dangerous and never observed (allow it with --allow ${name} if the workload needs it): ${reason}`,
      reason: cause,
    });
  }

  const versions = baseline.sources.map((source) => `${source.runtime} ${source.version}`).join(', ');
  for (const name of [...baseline.syscalls].sort()) {
    if (names.has(name) || !existsSomewhere(name)) continue;
    names.add(name);
    notes.push({
      kind: 'baseline',
      name,
      message: `added by the ${options.runtime} runtime baseline (${versions}), not observed`,
      reason: {
        kind: 'baseline',
        runtime: options.runtime,
        versions: baseline.sources.map((source) => `${source.runtime} ${source.version}`),
      },
    });
  }
  for (const name of new Set(abis.flatMap(exitPathOn))) {
    if (names.has(name)) continue;
    names.add(name);
    notes.push({
      kind: 'always',
      name,
      message: 'always allowed so that a refused process can still exit',
      reason: { kind: 'always' },
    });
  }
  for (const name of options.allow) {
    if (!existsSomewhere(name)) throw new UserError(`--allow ${name}: no such syscall on ${abiList}`);
    if (names.has(name)) continue;
    names.add(name);
    notes.push({ kind: 'allow', name, message: 'added by --allow', reason: { kind: 'allow' } });
  }
  for (const name of options.deny) {
    if (!existsSomewhere(name)) throw new UserError(`--deny ${name}: no such syscall on ${abiList}`);
    if (!names.delete(name)) continue;
    const why = observed.has(name)
      ? 'observed, removed by --deny: the workload may fail where it calls it'
      : 'removed by --deny';
    notes.push({ kind: 'deny', name, message: why });
  }

  for (const name of [...names]) {
    const on = abis.filter((abi) => syscallExists(abi, name));
    if (on.length === 0) {
      names.delete(name);
      notes.push({
        kind: 'no-such-syscall',
        name,
        message: `observed but unknown to libseccomp on ${abiList}: a runtime would ignore it, so it is left out`,
      });
    } else if (on.length < abis.length) {
      notes.push({
        kind: 'partial-abi',
        name,
        message: `exists only on ${on.join(', ')}: the rule applies there only`,
      });
    }
  }

  for (const name of options.allow) restricted.delete(name);
  for (const name of options.deny) restricted.delete(name);
  const argumentRules = argumentRulesFor(names, observed, options, abis, notes, baseline.syscalls);
  for (const name of argumentRules.keys()) {
    names.delete(name);
    restricted.delete(name);
  }
  const allowed = [...names].sort();
  // Every name with a rule of its own: the ENOSYS rule must not claim it as well.
  const ruled = new Set([...names, ...restricted, ...argumentRules.keys()]);
  // glibc 2.34+ tries clone3 first and falls back to clone only when clone3 fails with ENOSYS (as
  // Docker's default makes it): refused with EPERM, every new thread and posix_spawn would fail.
  const clone3Falls =
    !names.has('clone3') && !argumentRules.has('clone3') && abis.some((abi) => syscallExists(abi, 'clone3'));
  if (clone3Falls) ruled.add('clone3');
  const profile: SeccompProfile = {
    ...defaultActionFields(options.defaultAction),
    architectures: abis.map((abi) => abiInfo(abi).scmpArch),
    syscalls: [
      { names: allowed, action: 'SCMP_ACT_ALLOW' },
      ...[...restricted].sort().flatMap((name) => RESTRICTED_FORMS.get(name)?.rules ?? []),
      ...[...argumentRules.keys()].sort().flatMap((name) => argumentRules.get(name) ?? []),
      ...(clone3Falls
        ? [{ names: ['clone3'], action: 'SCMP_ACT_ERRNO' as const, errnoRet: ERRNO_ENOSYS }]
        : []),
      ...(options.defaultAction === 'enosys' ? [enosysRule(abis, ruled)] : []),
    ],
  };
  if (options.style === 'remove-set') {
    const removeSet = removeSetOf(profile, abis, options.deny);
    return { profile: removeSet.profile, notes: [...notes, ...removeSet.notes] };
  }
  return { profile, notes };
}

/**
 * `defaultErrnoRet` is not honoured everywhere: Docker 20.10 (Debian 12's docker.io) drops it and
 * denied calls get EPERM, and the SeccompProfile CRD has no such field. An explicit ERRNO rule with
 * errnoRet 38 for every other syscall libseccomp knows on these ABIs says ENOSYS in a form every
 * engine honours (runc and crun skip names their libseccomp does not know); `defaultErrnoRet`
 * stays beside it for engines that do read it and for syscalls newer than the table.
 */
function enosysRule(abis: readonly Abi[], allowed: ReadonlySet<string>): SeccompRule {
  const known = new Set(abis.flatMap((abi) => syscallNamesOf(abi)));
  const names = [...known].filter((name) => !allowed.has(name)).sort();
  return { names, action: 'SCMP_ACT_ERRNO', errnoRet: ERRNO_ENOSYS };
}

/** The minimal profile of what a recording saw: learn, generate and report all start here. */
export function generateForRecording(recording: Recording, options: GenerateOptions): GeneratedProfile {
  return generateProfile(needsOfRecording(recording), { ...options, learned: learnedValuesOf(recording) });
}

/**
 * The rules of the allowed names whose arguments are learned (src/profile/argument-rules.ts), each
 * with a note; a name that gets none stays in the ALLOW list. Names the user allowed with --allow,
 * and those the runtime baseline needs (prctl: runc's own calls after the filter is installed pass
 * options no recording of the workload shows), stay unconditional. clone3 refused with ENOSYS makes
 * glibc call clone instead, so clone is allowed then, without the namespace flags clone3 never used.
 */
function argumentRulesFor(
  names: Set<string>,
  observed: ReadonlySet<string>,
  options: GenerateOptions,
  abis: readonly Abi[],
  notes: GenerationNote[],
  baseline: ReadonlySet<string>,
): Map<string, SeccompRule[]> {
  const rules = new Map<string, SeccompRule[]>();
  if ((options.args ?? 'learned') === 'none') return rules;
  const learned = options.learned ?? new Map();
  const decide = (name: string): ArgumentDecision | undefined =>
    argumentDecision(name, learned.get(name), abis);
  for (const name of [...names].sort()) {
    if (options.allow.includes(name)) continue;
    const decision = decide(name);
    if (!decision) continue;
    if (name === 'prctl' && options.runtime !== 'none' && baseline.has(name)) {
      notes.push({
        kind: 'arguments',
        name,
        message: `allowed for every option: the ${options.runtime} runtime calls it after installing the filter with options the recording does not show (--runtime none learns its options)`,
      });
      continue;
    }
    if (!observed.has(name) && decision.kind !== 'enosys') continue;
    notes.push({ kind: 'arguments', name, message: decision.message });
    if (decision.kind === 'rules') rules.set(name, decision.rules);
    else if (decision.kind === 'enosys') {
      rules.set(name, [{ names: [name], action: 'SCMP_ACT_ERRNO', errnoRet: ERRNO_ENOSYS }]);
      if (name === 'clone3' && !names.has('clone') && !options.deny.includes('clone')) {
        const clone = argumentDecision('clone', cloneFromClone3(learned.get('clone3')), abis);
        if (clone?.kind === 'rules') rules.set('clone', clone.rules);
        notes.push({
          kind: 'arguments',
          name: 'clone',
          message: `added because clone3 fails with ENOSYS and glibc then calls clone: ${clone?.message ?? 'allowed'}`,
        });
        if (clone?.kind !== 'rules') names.add('clone');
      }
    }
  }
  return rules;
}

/** clone3's observed flags as clone's, for the fallback clone rule. */
function cloneFromClone3(
  values: ReadonlyMap<string, ArgumentSet> | undefined,
): ReadonlyMap<ArgumentKey, ArgumentSet> | undefined {
  const flags = values?.get('flags');
  return flags === undefined ? undefined : new Map([['0', flags]]);
}
