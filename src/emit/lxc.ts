import { FormatError } from '../errors.js';
import {
  LXC_ALL_SECTION,
  LXC_SECTIONS,
  type LxcSection,
  lxcActionWord,
  lxcFilteredAbis,
} from '../profile/lxc-syntax.js';
import type { SeccompArg, SeccompProfile, SeccompRule } from '../profile/model.js';
import { type Abi, abiFromScmpArch, abiInfo } from '../syscalls/abi.js';
import { syscallNumber } from '../syscalls/table.js';

/**
 * LXC seccomp policies (`lxc.seccomp.profile`), written as LXC 5 reads them (src/profile/lxc-syntax.ts):
 * version 2 names calls and carries actions, argument comparisons and host sections; version 1 is
 * the numbered allowlist Docker's lxc driver loaded (mkseccomp.pl), which LXC still reads.
 */

export type LxcVersion = 1 | 2;

interface LxcPolicy {
  text: string;
  /** What loads differently from the profile, for the user to read before loading it. */
  warnings: string[];
}

function formatName(version: LxcVersion): string {
  return version === 2 ? 'lxc' : 'lxc-v1';
}

function defaultWord(profile: SeccompProfile, format: string): string {
  const word = lxcActionWord({ action: profile.defaultAction, errnoRet: profile.defaultErrnoRet });
  if (word === undefined) {
    throw new FormatError(
      format,
      `LXC has no ${profile.defaultAction} action (it knows allow, errno N, kill, trap, notify): use --format docker or oci${profile.defaultAction === 'SCMP_ACT_LOG' ? ' and record with the audit backend' : ''}`,
    );
  }
  return word;
}

/** LXC's `kill` is libseccomp's SCMP_ACT_KILL, the thread: other threads of the process live on. */
function killProcessWarning(profile: SeccompProfile): string[] {
  const rules = (profile.syscalls ?? []).filter((rule) => rule.action === 'SCMP_ACT_KILL_PROCESS');
  const where = [
    ...(profile.defaultAction === 'SCMP_ACT_KILL_PROCESS' ? ['the default action'] : []),
    ...rules.flatMap((rule) => rule.names),
  ];
  return where.length > 0
    ? [
        `LXC's kill ends the calling thread, not the process (SCMP_ACT_KILL, not SCMP_ACT_KILL_PROCESS): ${where.join(', ')}`,
      ]
    : [];
}

/** What Docker's rule conditions say, when an LXC section can say the same; else a refusal. */
function sectionOf(rule: SeccompRule, format: string): LxcSection | undefined {
  const { includes, excludes } = rule;
  const unsayable =
    (includes?.caps?.length ?? 0) > 0 ||
    includes?.minKernel !== undefined ||
    (excludes?.caps?.length ?? 0) > 0 ||
    (excludes?.arches?.length ?? 0) > 0 ||
    excludes?.minKernel !== undefined;
  if (unsayable) {
    throw new FormatError(
      format,
      `${rule.names.join(', ')}: LXC policies have no capability, kernel-version or excluded-architecture conditions (the rule's includes/excludes): use --format docker`,
    );
  }
  const arches = [...new Set(includes?.arches ?? [])].sort();
  if (arches.length === 0) return undefined;
  const section = LXC_SECTIONS.find((candidate) => candidate.hosts.join() === arches.join());
  if (!section) {
    throw new FormatError(
      format,
      `${rule.names.join(', ')}: no LXC section is read on exactly the hosts ${arches.join(', ')} (includes.arches)`,
    );
  }
  return section;
}

/** One comparison as LXC's get_seccomp_arg_value() reads it: no spaces, masks in the fourth place. */
function lxcArg(arg: SeccompArg): string {
  // Docker/OCI give SCMP_CMP_MASKED_EQ the mask as `value` and the expected bits as `valueTwo`;
  // LXC passes its fourth field as the mask and its second as the expected bits (do_resolve_add_rule).
  if (arg.op === 'SCMP_CMP_MASKED_EQ') {
    return `[${arg.index},${arg.valueTwo ?? 0n},${arg.op},0x${arg.value.toString(16)}]`;
  }
  return `[${arg.index},${arg.value},${arg.op}]`;
}

function ruleLines(rule: SeccompRule, word: string, bareWord: string): string[] {
  const args = rule.args ?? [];
  // A line's action may be left out only when the list's own one applies; comparisons need it written.
  const action = args.length === 0 && word === bareWord ? '' : ` ${word}`;
  const comparisons = args.length > 0 ? ` ${args.map(lxcArg).join(' ')}` : '';
  return rule.names.map((name) => `${name}${action}${comparisons}`);
}

/** The ABIs a profile filters, by libseccomp name; undefined when it leaves that to the runtime. */
function profileAbis(profile: SeccompProfile): Abi[] | undefined {
  const arches = profile.architectures?.filter((arch) => arch !== 'SCMP_ARCH_NATIVE') ?? [];
  if (arches.length === 0) return undefined;
  return arches.map((arch) => abiFromScmpArch(arch)).filter((abi): abi is Abi => abi !== undefined);
}

/** LXC filters the compat ABIs of its host with the same rules: calls the profile lets no ABI of those make. */
function compatWarning(profile: SeccompProfile): string[] {
  const abis = profileAbis(profile);
  if (!abis) return [];
  const listed = new Set(abis);
  const hosts: Abi[] = ['x86_64', 'aarch64', 'ppc64', 'mips64', 'mipsel64'];
  const warnings: string[] = [];
  for (const host of hosts) {
    const filtered = lxcFilteredAbis(host);
    if (!filtered.some((abi) => listed.has(abi))) continue;
    const added = filtered.filter((abi) => !listed.has(abi));
    if (added.length === 0) continue;
    warnings.push(
      `LXC on ${host} hosts filters ${added.join(' and ')} calls with these same rules: the listed calls are allowed from ${added.length > 1 ? 'those ABIs' : 'that ABI'} too, where this profile (architectures ${abis.map((abi) => abiInfo(abi).scmpArch).join(', ')}) lets none through`,
    );
  }
  return warnings;
}

function policyV2(profile: SeccompProfile): LxcPolicy {
  const format = formatName(2);
  const fallback = defaultWord(profile, format);
  const allowlist = profile.defaultAction !== 'SCMP_ACT_ALLOW';
  // A line without an action gets the list's: allow in an allowlist, kill in a denylist.
  const bareWord = allowlist ? 'allow' : 'kill';
  const bySection = new Map<string, string[]>([[LXC_ALL_SECTION, []]]);
  for (const rule of profile.syscalls ?? []) {
    const word = lxcActionWord({ action: rule.action, errnoRet: rule.errnoRet });
    if (word === undefined) {
      throw new FormatError(
        format,
        `${rule.names.join(', ')}: LXC has no ${rule.action} action (it knows allow, errno N, kill, trap, notify)`,
      );
    }
    const section = sectionOf(rule, format)?.name ?? LXC_ALL_SECTION;
    // libseccomp refuses a rule with the filter's default action (EACCES) and LXC then refuses the
    // whole policy; such a rule changes nothing, so it is not written.
    if (word === fallback) continue;
    const lines = bySection.get(section) ?? [];
    lines.push(...ruleLines(rule, word, bareWord));
    bySection.set(section, lines);
  }
  const body = [...bySection].flatMap(([section, lines]) =>
    section === LXC_ALL_SECTION || lines.length > 0 ? [`[${section}]`, ...lines] : [],
  );
  // Comments only after the second line, '#' in the first column: where LXC skips them.
  const text = [
    '2',
    `${allowlist ? 'allowlist' : 'denylist'} ${fallback}`,
    '# Written by seccomp-learn. Load with lxc.seccomp.profile = <this file> (LXC 3 and later).',
    ...body,
    '',
  ].join('\n');
  return { text, warnings: [...killProcessWarning(profile), ...compatWarning(profile)] };
}

function policyV1(profile: SeccompProfile): LxcPolicy {
  const format = formatName(1);
  const abis = profileAbis(profile) ?? [];
  const [abi, ...others] = abis;
  if (!abi || others.length > 0) {
    throw new FormatError(
      format,
      `a version 1 policy numbers its calls for one architecture, and this profile names ${abis.length === 0 ? 'none' : abis.map((one) => abiInfo(one).scmpArch).join(', ')}: use --format lxc (version 2, named calls)`,
    );
  }
  // LXC v1 starts from seccomp_init(SCMP_ACT_KILL): nothing else can be the default.
  if (defaultWord(profile, format) !== 'kill') {
    throw new FormatError(
      format,
      `LXC version 1 kills every call it does not list, and this profile's default is ${profile.defaultAction}${profile.defaultErrnoRet === undefined ? '' : ` (errno ${profile.defaultErrnoRet})`}: generate with --default-action kill, or use --format lxc`,
    );
  }
  const withArgs = [
    ...new Set((profile.syscalls ?? []).flatMap((rule) => ((rule.args?.length ?? 0) > 0 ? rule.names : []))),
  ];
  if (withArgs.length > 0) {
    throw new FormatError(
      format,
      `a version 1 policy has no argument comparisons, and this profile allows ${withArgs.join(', ')} only for some arguments: use --format lxc, or allow them for every argument (generate with --args none --allow ${withArgs.join(',')})`,
    );
  }
  const numbers = new Set<number>();
  const unnumbered: string[] = [];
  const killedInstead: string[] = [];
  for (const rule of profile.syscalls ?? []) {
    if (sectionOf(rule, format)) {
      throw new FormatError(format, `${rule.names.join(', ')}: a version 1 policy has no sections`);
    }
    const word = lxcActionWord({ action: rule.action, errnoRet: rule.errnoRet });
    if (word === 'kill') continue;
    if (word !== 'allow') {
      killedInstead.push(...rule.names.map((name) => `${name} (${word ?? rule.action})`));
      continue;
    }
    for (const name of rule.names) {
      const number = syscallNumber(abi, name);
      if (number === undefined) unnumbered.push(name);
      else numbers.add(number);
    }
  }
  const text = ['1', 'allowlist', ...[...numbers].sort((a, b) => a - b).map(String), ''].join('\n');
  const warnings = [
    ...killProcessWarning(profile),
    ...(killedInstead.length > 0
      ? [
          `a version 1 policy lists only allowed calls, so LXC kills these instead: ${killedInstead.join(', ')}`,
        ]
      : []),
    ...(unnumbered.length > 0
      ? [`not calls on ${abi}, so not written (no ${abi} program can make them): ${unnumbered.join(', ')}`]
      : []),
  ];
  return { text, warnings };
}

function policy(profile: SeccompProfile, version: LxcVersion): LxcPolicy {
  return version === 2 ? policyV2(profile) : policyV1(profile);
}

/** The profile as an LXC version 2 policy; FormatError for what LXC cannot say. */
export function emitLxc(profile: SeccompProfile): string {
  return policy(profile, 2).text;
}

/** The profile as an LXC version 1 policy (numbers for its one architecture); FormatError for what it cannot say. */
export function emitLxcV1(profile: SeccompProfile): string {
  return policy(profile, 1).text;
}

/** What LXC loads differently from the profile (kill scope, compat ABIs, calls killed instead of refused). */
export function lxcWarnings(profile: SeccompProfile, version: LxcVersion): string[] {
  return policy(profile, version).warnings;
}
