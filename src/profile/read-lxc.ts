import { InputError } from '../errors.js';
import { type Abi, abiInfo, hostAbi } from '../syscalls/abi.js';
import { syscallName } from '../syscalls/table.js';
import {
  LXC_ALL_SECTION,
  LXC_ERRNO_MAX,
  LXC_SECTIONS,
  type LxcAction,
  type LxcSection,
  outcomeOfLxcAction,
} from './lxc-syntax.js';
import {
  canonicalAction,
  type Outcome,
  type ScmpOperator,
  type SeccompArg,
  type SeccompProfile,
  type SeccompRule,
} from './model.js';

/**
 * Reads an LXC seccomp policy (version 1 or 2) into the shared model, as LXC 5's parse_config()
 * reads it (src/profile/lxc-syntax.ts). Where LXC would skip a line without a word (a name after
 * spaces, an unknown name is its business), the reader says so: a policy that does not mean what it
 * seems to is the input problem a user wants to hear of.
 */

const UINT64_MAX = 2n ** 64n - 1n;
const ERRNO_EACCES = 13;
const MNT_FORCE = 1n;

interface Line {
  number: number;
  text: string;
}

/** The version (1 or 2) a policy's first line declares, or undefined when it is not an LXC policy's. */
export function lxcPolicyVersion(text: string): 1 | 2 | undefined {
  const first = /^\s*(\d+)\s*$/m.exec(text.split('\n').find((line) => !/^\s*(#|$)/.test(line)) ?? '');
  if (first?.[1] === '1') return 1;
  if (first?.[1] === '2') return 2;
  return undefined;
}

function lines(text: string): Line[] {
  return text
    .replace(/\r?\n$/, '')
    .split(/\r?\n/)
    .map((line, index) => ({ number: index + 1, text: line }));
}

/** `allowlist`/`denylist` (or LXC's older words for them), then an optional default action. */
function readListLine(line: Line | undefined, file: string, version: 1 | 2) {
  if (!line)
    throw new InputError(
      file,
      2,
      'LXC reads the policy type (allowlist or denylist) on line 2: the file ends before it',
    );
  const [type = '', ...rest] = line.text.trim().split(/\s+/);
  if (line.text.includes('debug'))
    throw new InputError(file, line.number, 'LXC refuses "debug" (not implemented)');
  const allowlist = type === 'allowlist' || type === 'whitelist';
  const denylist = type === 'denylist' || type === 'blacklist';
  if (version === 1) {
    if (!allowlist)
      throw new InputError(
        file,
        line.number,
        `a version 1 policy is an allowlist, got ${JSON.stringify(line.text)}`,
      );
    if (rest.length > 0)
      throw new InputError(
        file,
        line.number,
        'a version 1 policy has no default action: LXC kills every unlisted call',
      );
    return { allowlist: true };
  }
  if (!allowlist && !denylist) {
    throw new InputError(
      file,
      line.number,
      `expected allowlist or denylist (LXC also reads whitelist, blacklist), got ${JSON.stringify(type)}`,
    );
  }
  const fallback = rest.length > 0 ? actionOf(rest, file, line.number) : undefined;
  return { allowlist, fallback };
}

/** An action word and, for errno, its value: `kill`, `errno 1`, `allow`, `trap`, `notify`. */
function actionOf(words: readonly string[], file: string, line: number): LxcAction {
  const [word, value, ...extra] = words;
  if (word === 'errno') {
    if (value === undefined || !/^\d+$/.test(value) || Number(value) > LXC_ERRNO_MAX) {
      throw new InputError(
        file,
        line,
        `errno needs a number from 0 to ${LXC_ERRNO_MAX}, got ${value === undefined ? 'none' : JSON.stringify(value)}`,
      );
    }
    if (extra.length > 0)
      throw new InputError(file, line, `unexpected ${JSON.stringify(extra.join(' '))} after errno ${value}`);
    return { errno: Number(value) };
  }
  if (word === 'allow' || word === 'kill' || word === 'trap' || word === 'notify') {
    if (value !== undefined)
      throw new InputError(
        file,
        line,
        `unexpected ${JSON.stringify([value, ...extra].join(' '))} after ${word}`,
      );
    return word;
  }
  throw new InputError(
    file,
    line,
    `unknown action ${JSON.stringify(word)}: LXC knows allow, errno N, kill, trap, notify${word === 'log' ? ' (it has no log action)' : ''}`,
  );
}

const OPERATORS: Readonly<Record<string, ScmpOperator>> = {
  SCMP_CMP_NE: 'SCMP_CMP_NE',
  '!=': 'SCMP_CMP_NE',
  SCMP_CMP_LT: 'SCMP_CMP_LT',
  '<': 'SCMP_CMP_LT',
  SCMP_CMP_LE: 'SCMP_CMP_LE',
  '<=': 'SCMP_CMP_LE',
  SCMP_CMP_EQ: 'SCMP_CMP_EQ',
  '==': 'SCMP_CMP_EQ',
  SCMP_CMP_GE: 'SCMP_CMP_GE',
  '>=': 'SCMP_CMP_GE',
  SCMP_CMP_GT: 'SCMP_CMP_GT',
  '>': 'SCMP_CMP_GT',
  SCMP_CMP_MASKED_EQ: 'SCMP_CMP_MASKED_EQ',
  '&=': 'SCMP_CMP_MASKED_EQ',
};

/** A uint64 as strtoull(…, 0) reads it: decimal, 0x hex or 0 octal. */
function uint64Of(text: string, what: string, file: string, line: number): bigint {
  const octal = /^0[0-7]+$/.test(text);
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(text) || (/^0\d/.test(text) && !octal)) {
    throw new InputError(
      file,
      line,
      `${what} ${JSON.stringify(text)} is not a number (decimal, 0x hex or 0 octal)`,
    );
  }
  const value = octal ? BigInt(`0o${text.slice(1)}`) : BigInt(text);
  if (value > UINT64_MAX) throw new InputError(file, line, `${what} ${text} is beyond uint64`);
  return value;
}

/** `[index,value,op]` or `[index,value,SCMP_CMP_MASKED_EQ,mask]`, written without spaces as LXC's sscanf needs. */
function argOf(text: string, file: string, line: number): SeccompArg {
  const match = /^\[(\d),([^,\]]+),([^,\]]+)(?:,([^,\]]+))?\]$/.exec(text);
  if (!match) {
    throw new InputError(
      file,
      line,
      `expected an argument comparison [index,value,op] or [index,value,op,mask] with index 0-5 and no spaces, got ${JSON.stringify(text)}`,
    );
  }
  const [, index = '', valueText = '', opText = '', maskText] = match;
  const op = OPERATORS[opText];
  if (!op)
    throw new InputError(
      file,
      line,
      `unknown comparison ${JSON.stringify(opText)}: expected ${Object.keys(OPERATORS).join(', ')}`,
    );
  if (Number(index) > 5)
    throw new InputError(file, line, `argument index ${index}: a syscall has arguments 0-5`);
  const value = uint64Of(valueText, 'value', file, line);
  const mask = maskText === undefined ? 0n : uint64Of(maskText, 'mask', file, line);
  // LXC's fourth field is the mask and its second the expected bits; Docker/OCI carry the mask as
  // `value` and the expected bits as `valueTwo` (see src/emit/lxc.ts).
  if (op === 'SCMP_CMP_MASKED_EQ') return { index: Number(index), value: mask, valueTwo: value, op };
  return { index: Number(index), value, op };
}

interface ParsedRule {
  name: string;
  outcome: Outcome;
  args: SeccompArg[];
}

function ruleOf(line: Line, file: string, bare: LxcAction): ParsedRule {
  // LXC skips a comment after the name or action, but not after argument comparisons.
  const text = line.text.includes('[') ? line.text : line.text.replace(/\s+#.*$/, '');
  if (/^\s/.test(text)) {
    throw new InputError(
      file,
      line.number,
      'a rule must start in the first column: LXC reads the name up to the first space, so it would skip this line',
    );
  }
  const [name = '', ...rest] = text.split(' ').filter((word) => word !== '');
  if (!/^[a-z0-9_]+$/.test(name)) {
    throw new InputError(
      file,
      line.number,
      `${JSON.stringify(name)} is not a syscall name (separate words with spaces: LXC reads the name up to the first space)`,
    );
  }
  const firstArg = rest.findIndex((word) => word.startsWith('['));
  const words = firstArg === -1 ? rest : rest.slice(0, firstArg);
  const argWords = firstArg === -1 ? [] : rest.slice(firstArg);
  if (argWords.length > 0 && words.length === 0) {
    throw new InputError(
      file,
      line.number,
      'argument comparisons must follow an action word (e.g. allow [0,2,SCMP_CMP_EQ]): LXC reads "[" as an unknown action',
    );
  }
  if (argWords.length > 6)
    throw new InputError(
      file,
      line.number,
      `LXC reads at most 6 argument comparisons, got ${argWords.length}`,
    );
  const action = words.length > 0 ? actionOf(words, file, line.number) : bare;
  const args = argWords.map((word) => argOf(word, file, line.number));
  if (name.startsWith('reject_force_umount')) {
    // LXC's own keyword (lxc/config/common.seccomp): umount2 with MNT_FORCE fails with EACCES.
    return {
      name: 'umount2',
      outcome: { action: 'SCMP_ACT_ERRNO', errnoRet: ERRNO_EACCES },
      args: [{ index: 1, value: MNT_FORCE, valueTwo: MNT_FORCE, op: 'SCMP_CMP_MASKED_EQ' }],
    };
  }
  return { name, outcome: outcomeOfLxcAction(action), args };
}

function sectionOf(line: Line, file: string): LxcSection | typeof LXC_ALL_SECTION {
  const name = line.text.trim().slice(1, -1);
  if (line.text !== `[${name}]`) {
    throw new InputError(
      file,
      line.number,
      `a section is [name] alone on its line, got ${JSON.stringify(line.text)}`,
    );
  }
  if (name === LXC_ALL_SECTION || name === LXC_ALL_SECTION.toUpperCase()) return LXC_ALL_SECTION;
  const section = LXC_SECTIONS.find((known) => known.name === name || known.name.toUpperCase() === name);
  if (!section) {
    throw new InputError(
      file,
      line.number,
      `unsupported architecture section [${name}]: LXC knows [all], ${LXC_SECTIONS.map((known) => `[${known.name}]`).join(', ')}`,
    );
  }
  return section;
}

/** Consecutive arg-less rules with one outcome and one section become one rule with many names. */
function toRules(
  parsed: { rule: ParsedRule; section: LxcSection | typeof LXC_ALL_SECTION }[],
): SeccompRule[] {
  const rules: SeccompRule[] = [];
  let previous: { key: string; rule: SeccompRule } | undefined;
  for (const { rule, section } of parsed) {
    const includes = section === LXC_ALL_SECTION ? undefined : { arches: [...section.hosts] };
    const key = JSON.stringify([rule.outcome, section === LXC_ALL_SECTION ? section : section.name]);
    if (rule.args.length === 0 && previous?.key === key) {
      previous.rule.names.push(rule.name);
      continue;
    }
    const made: SeccompRule = {
      names: [rule.name],
      action: rule.outcome.action,
      ...(rule.outcome.errnoRet === undefined ? {} : { errnoRet: rule.outcome.errnoRet }),
      ...(rule.args.length > 0 ? { args: rule.args } : {}),
      ...(includes ? { includes } : {}),
    };
    rules.push(made);
    previous = rule.args.length === 0 ? { key, rule: made } : undefined;
  }
  return rules;
}

function readV2(body: Line[], list: Line | undefined, file: string): SeccompProfile {
  const { allowlist, fallback } = readListLine(list, file, 2);
  // LXC's defaults: an allowlist kills what it does not list, a denylist allows it; a line
  // without an action gets the opposite.
  const defaultAction = fallback ?? (allowlist ? 'kill' : 'allow');
  const bare: LxcAction = allowlist ? 'allow' : 'kill';
  const defaults = outcomeOfLxcAction(defaultAction);
  const parsed: { rule: ParsedRule; section: LxcSection | typeof LXC_ALL_SECTION }[] = [];
  let section: LxcSection | typeof LXC_ALL_SECTION = LXC_ALL_SECTION;
  for (const line of body) {
    if (line.text.startsWith('#') || line.text.trim() === '') continue;
    if (line.text.trimStart().startsWith('[')) {
      section = sectionOf(line, file);
      continue;
    }
    const rule = ruleOf(line, file, bare);
    // libseccomp refuses a rule with the filter's default action, and LXC with it the policy.
    if (
      canonicalAction(rule.outcome.action) === canonicalAction(defaults.action) &&
      rule.outcome.errnoRet === defaults.errnoRet
    ) {
      throw new InputError(
        file,
        line.number,
        `${rule.name}: the rule's action is the policy's default, which libseccomp refuses (LXC then loads no policy)`,
      );
    }
    parsed.push({ rule, section });
  }
  return {
    defaultAction: defaults.action,
    ...(defaults.errnoRet === undefined ? {} : { defaultErrnoRet: defaults.errnoRet }),
    syscalls: toRules(parsed),
  };
}

/**
 * Version 1: syscall numbers of the host LXC runs on, read with the numbers of `abi` (a version 1
 * policy does not say its architecture). A number no call has on `abi` is left out: LXC loads it
 * (LXC's own example lists ia64's 1024-1079), and no call can match it.
 */
function readV1(body: Line[], list: Line | undefined, file: string, abi: Abi): SeccompProfile {
  readListLine(list, file, 1);
  const names: string[] = [];
  for (const line of body) {
    if (!/^\d+\s*$/.test(line.text)) {
      throw new InputError(
        file,
        line.number,
        `a version 1 policy has one syscall number per line (no comments or blank lines: LXC refuses them), got ${JSON.stringify(line.text)}`,
      );
    }
    const name = syscallName(abi, Number(line.text.trim()));
    if (name !== undefined && !names.includes(name)) names.push(name);
  }
  return {
    defaultAction: 'SCMP_ACT_KILL',
    architectures: [abiInfo(abi).scmpArch],
    syscalls: names.length > 0 ? [{ names, action: 'SCMP_ACT_ALLOW' }] : [],
  };
}

/** An LXC seccomp policy (version 1 or 2) as the shared profile model; `host` numbers version 1. */
export function readLxcPolicy(text: string, file: string, host: Abi = hostAbi()): SeccompProfile {
  const [versionLine, list, ...body] = lines(text);
  const version = versionLine && /^\s*([12])\s*$/.exec(versionLine.text)?.[1];
  if (!version) {
    throw new InputError(
      file,
      1,
      `LXC reads the policy version (1 or 2) alone on the first line, got ${JSON.stringify(versionLine?.text ?? '')}`,
    );
  }
  return version === '1' ? readV1(body, list, file, host) : readV2(body, list, file);
}
