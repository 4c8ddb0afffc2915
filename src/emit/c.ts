import { FormatError } from '../errors.js';
import { sameOutcome } from '../profile/evaluate.js';
import {
  allowedText,
  type Outcome,
  ruleOutcome,
  type SeccompArg,
  type SeccompProfile,
  type SeccompRule,
} from '../profile/model.js';

/**
 * The profile as a libseccomp C program (the seed "Containers and Security: Seccomp"):
 * `seccomp_init` with the default action, `seccomp_arch_add` per architecture, one rule per allowed
 * call and argument alternative, `seccomp_load`, then `execvp` of its arguments, so that
 * `./filter COMMAND ARGS…` runs COMMAND under the profile. It means what runc makes of the same
 * JSON: runc builds its filter with libseccomp too.
 */

/** What the program does when it cannot build or load its filter, or run the command (as env(1)). */
const EXIT_FILTER_FAILED = 125;

/** libseccomp's comparison macros take an argument index 0-5 (SCMP_A0 … SCMP_A5). */
const MAX_ARGUMENT_INDEX = 5;

/** Syscall names as libseccomp spells them: anything else would be C source, not a name. */
const SYSCALL_NAME = /^[a-z0-9_]+$/;

/** `flags` libseccomp sets as filter attributes (SCMP_FLTATR_CTL_*, libseccomp 2.5 and later). */
const FLAG_ATTRIBUTES: Readonly<Record<string, string>> = {
  SECCOMP_FILTER_FLAG_TSYNC: 'SCMP_FLTATR_CTL_TSYNC',
  SECCOMP_FILTER_FLAG_LOG: 'SCMP_FLTATR_CTL_LOG',
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 'SCMP_FLTATR_CTL_SSB',
};

/** Adds one rule by name; only written when the profile has rules (gcc warns of unused functions). */
const RULE_HELPER = `static char unknown[4096];

/* One rule for a syscall named as the profile names it. A name this libseccomp cannot resolve is
   skipped (and reported once), as runc does, so that the program builds with any libseccomp. */
static void rule(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned int count, ...)
{
  struct scmp_arg_cmp args[6];
  va_list list;
  va_start(list, count);
  for (unsigned int i = 0; i < count; i++) args[i] = va_arg(list, struct scmp_arg_cmp);
  va_end(list);
  int nr = seccomp_syscall_resolve_name(name);
  if (nr == __NR_SCMP_ERROR) {
    if (strlen(unknown) + strlen(name) + 3 < sizeof unknown) {
      if (unknown[0] != '\\0') strcat(unknown, ", ");
      strcat(unknown, name);
    }
    return;
  }
  int rc = seccomp_rule_add_array(ctx, action, nr, count, args);
  if (rc < 0) fail(name, rc);
}

`;

const UNKNOWN_REPORT = `  if (unknown[0] != '\\0')
    fprintf(stderr, "filter: unknown to this libseccomp, left to the default action: %s\\n", unknown);
`;

function refuse(problem: string): never {
  throw new FormatError('c', `cannot carry ${problem}`);
}

function actionC({ action, errnoRet }: Outcome): string {
  switch (action) {
    case 'SCMP_ACT_ERRNO':
      return `SCMP_ACT_ERRNO(${errnoRet})`;
    case 'SCMP_ACT_TRACE':
      return `SCMP_ACT_TRACE(${errnoRet})`;
    case 'SCMP_ACT_NOTIFY':
      return refuse(
        'SCMP_ACT_NOTIFY: it needs a listener (listenerPath) to answer, which a standalone program has not',
      );
    default:
      return action;
  }
}

const hex = (value: bigint): string => `0x${value.toString(16)}ULL`;

function comparisonC(arg: SeccompArg, names: readonly string[]): string {
  if (!Number.isInteger(arg.index) || arg.index < 0 || arg.index > MAX_ARGUMENT_INDEX)
    refuse(`an argument index ${arg.index} (${names.join(', ')}): seccomp reads arguments 0-5`);
  const second = arg.op === 'SCMP_CMP_MASKED_EQ' ? `, ${hex(arg.valueTwo ?? 0n)}` : '';
  return `SCMP_A${arg.index}(${arg.op}, ${hex(arg.value)}${second})`;
}

function checkRule(rule: SeccompRule, position: number): void {
  const where = `syscalls[${position}] (${rule.names.join(', ')})`;
  if (rule.includes || rule.excludes) {
    // Only a container runtime knows the capabilities, architecture and kernel they name; the
    // profiles seccomp-learn generates never have them.
    refuse(
      `${where}: its includes/excludes conditions are resolved by a container runtime for its capabilities, host and kernel, which a standalone program does not have`,
    );
  }
  const bad = rule.names.find((name) => !SYSCALL_NAME.test(name));
  if (bad !== undefined) refuse(`${where}: ${JSON.stringify(bad)} is not a syscall name`);
  const indexes = (rule.args ?? []).map((arg) => arg.index);
  if (new Set(indexes).size < indexes.length) {
    // runc splits such a rule into one rule per comparison (OR); libseccomp would AND them: the
    // same JSON would mean two different filters.
    refuse(
      `${where}: two comparisons of one argument in one rule, which runc and libseccomp read differently`,
    );
  }
}

/** The C source of the profile: build it with `gcc -o filter filter.c -lseccomp`. */
export function emitC(profile: SeccompProfile): string {
  if (profile.archMap?.length)
    refuse('archMap: which sub-architectures it adds depends on the host the runtime runs on');
  if (profile.listenerPath) refuse('listenerPath: a standalone program has no seccomp agent');
  const unknownFlag = profile.flags?.find((flag) => !FLAG_ATTRIBUTES[flag]);
  if (unknownFlag) refuse(`the flag ${unknownFlag}: libseccomp sets no filter attribute for it`);
  const rules = profile.syscalls ?? [];
  rules.forEach(checkRule);

  const defaultOutcome = ruleOutcome(profile.defaultAction, profile.defaultErrnoRet);
  const lines: string[] = [];
  let skipped = 0;
  for (const rule of rules) {
    const outcome = ruleOutcome(rule.action, rule.errnoRet);
    // libseccomp refuses a rule whose action is the default one (EACCES), and runc skips it: the
    // call gets that action either way.
    if (sameOutcome(outcome, defaultOutcome)) {
      skipped += rule.names.length;
      continue;
    }
    const action = actionC(outcome);
    const args = (rule.args ?? []).map((arg) => comparisonC(arg, rule.names));
    if (rule.comment) lines.push(`  /* ${rule.comment.replace(/\*\//g, '* /').replace(/\s+/g, ' ')} */`);
    for (const name of rule.names)
      lines.push(`  rule(ctx, ${action}, "${name}", ${[String(args.length), ...args].join(', ')});`);
  }

  const architectures = (profile.architectures ?? []).map((arch) => {
    if (!/^SCMP_ARCH_[A-Z0-9_]+$/.test(arch)) refuse(`the architecture ${JSON.stringify(arch)}`);
    return [
      `#ifdef ${arch}`,
      `  arch(ctx, ${arch}, "${arch}");`,
      '#else',
      `  fprintf(stderr, "filter: this libseccomp does not know ${arch}: its calls meet the bad-architecture action (killed)\\n");`,
      '#endif',
    ].join('\n');
  });
  const attributes = (profile.flags ?? []).map(
    (flag) => `  if ((rc = seccomp_attr_set(ctx, ${FLAG_ATTRIBUTES[flag]}, 1)) < 0) fail("${flag}", rc);`,
  );

  return `/*
 * seccomp filter generated by seccomp-learn: ${allowedText(profile)}, default ${actionC(defaultOutcome)}.
 * Build: gcc -O2 -o filter filter.c -lseccomp     (Debian/Ubuntu: apt install libseccomp-dev)
 * Run:   ./filter COMMAND [ARG...]                 runs COMMAND under the filter
 *
 * As runc loads the same profile: the native architecture is always filtered (seccomp_init adds
 * it) besides those listed, a call from any other architecture is killed, and a syscall name this
 * libseccomp does not know is left to the default action.${skipped > 0 ? `\n * ${skipped} name(s) of rules with the default action itself are left out: libseccomp refuses such rules.` : ''}
 * The filter sets no_new_privs (libseccomp's default), so it loads without privileges.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void fail(const char *what, int rc)
{
  fprintf(stderr, "filter: %s: %s\\n", what, strerror(-rc));
  exit(${EXIT_FILTER_FAILED});
}

${lines.length > 0 ? RULE_HELPER : ''}static void arch(scmp_filter_ctx ctx, uint32_t token, const char *name)
{
  int rc = seccomp_arch_add(ctx, token);
  if (rc < 0 && rc != -EEXIST) fail(name, rc);
}

int main(int argc, char *argv[])
{
  if (argc < 2) {
    fprintf(stderr, "usage: %s COMMAND [ARG...]\\n", argv[0]);
    return 2;
  }
  scmp_filter_ctx ctx = seccomp_init(${actionC(defaultOutcome)});
  if (ctx == NULL) fail("seccomp_init", -EINVAL);
  int rc;
${[...architectures, ...attributes].join('\n')}
${lines.join('\n')}
${lines.length > 0 ? UNKNOWN_REPORT : ''}  if ((rc = seccomp_load(ctx)) < 0) fail("seccomp_load", rc);
  seccomp_release(ctx);
  execvp(argv[1], argv + 1);
  fprintf(stderr, "filter: %s: %s\\n", argv[1], strerror(errno));
  return errno == ENOENT ? 127 : 126;
}
`;
}
