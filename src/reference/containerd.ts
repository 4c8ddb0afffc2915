import type { ArchMapEntry, SeccompProfile, SeccompRule } from '../profile/model.js';

/**
 * containerd builds its default profile in Go (contrib/seccomp/seccomp_default.go) instead of
 * shipping JSON. Its lists track Docker's, so the profile is encoded as Docker's JSON with the
 * differences docs/upstream-facts.md §2 records; includes/excludes then reproduce containerd's GOARCH, kernel and
 * capability switches. data/reference/SOURCES.md lists the differences; the test in
 * test/reference/containerd.test.ts regenerates data/reference/containerd-default.json.
 */

/** containerd allows these to everyone; Docker only with CAP_SYS_ADMIN. */
const UNCONDITIONAL_IN_CONTAINERD = ['lsm_get_self_attr', 'lsm_list_modules', 'lsm_set_self_attr'];
/** Docker allows these everywhere; containerd only in its riscv64 block. */
const RISCV64_ONLY_IN_CONTAINERD = ['riscv_hwprobe'];

/**
 * containerd's arches(): a flat list chosen by GOARCH, written as the archMap entry Docker's loader
 * would pick on that GOARCH. GOARCHes arches() does not list (386, arm, ppc64le, mips64le, …) get
 * only the native ABI, which is also what happens when no entry matches.
 */
export const CONTAINERD_ARCH_MAP: readonly ArchMapEntry[] = [
  { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
  { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
  { architecture: 'SCMP_ARCH_MIPS64', subArchitectures: ['SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64N32'] },
  { architecture: 'SCMP_ARCH_S390X', subArchitectures: ['SCMP_ARCH_S390'] },
  { architecture: 'SCMP_ARCH_RISCV64', subArchitectures: null },
  { architecture: 'SCMP_ARCH_LOONGARCH64', subArchitectures: null },
];

const isBaseRule = (rule: SeccompRule): boolean =>
  rule.action === 'SCMP_ACT_ALLOW' && !rule.args?.length && !rule.includes && !rule.excludes;

const sorted = (names: Iterable<string>): string[] => [...new Set(names)].sort();

function transformRule(rule: SeccompRule, isBase: boolean): SeccompRule | undefined {
  if (isBase) {
    const names = rule.names.filter((name) => !RISCV64_ONLY_IN_CONTAINERD.includes(name));
    return {
      ...rule,
      names: sorted([...names, ...UNCONDITIONAL_IN_CONTAINERD]),
      comment: 'containerd: lsm_* allowed without CAP_SYS_ADMIN; riscv_hwprobe only on riscv64',
    };
  }
  const arches = rule.includes?.arches;
  if (arches?.length === 1 && arches[0] === 'riscv64') {
    return { ...rule, names: [...rule.names, ...RISCV64_ONLY_IN_CONTAINERD] };
  }
  if (rule.includes?.caps?.length) {
    const names = rule.names.filter((name) => !UNCONDITIONAL_IN_CONTAINERD.includes(name));
    return names.length > 0 ? { ...rule, names } : undefined;
  }
  return rule;
}

/** containerd's default profile, derived from Docker's default.json. */
export function containerdProfileFromDocker(docker: SeccompProfile): SeccompProfile {
  const rules = docker.syscalls ?? [];
  const base = rules.findIndex(isBaseRule);
  const hasRiscv = rules.some(
    (rule) => rule.includes?.arches?.length === 1 && rule.includes.arches[0] === 'riscv64',
  );
  if (base < 0 || !hasRiscv) {
    throw new Error(
      "Docker's profile no longer has the shape the containerd encoding expects; update containerd.ts",
    );
  }
  return {
    // No defaultErrnoRet: runc then returns EPERM, as Docker's explicit 1 does.
    defaultAction: docker.defaultAction,
    archMap: CONTAINERD_ARCH_MAP.map((entry) => ({ ...entry })),
    syscalls: rules
      .map((rule, index) => transformRule(rule, index === base))
      .filter((rule): rule is SeccompRule => rule !== undefined),
  };
}
