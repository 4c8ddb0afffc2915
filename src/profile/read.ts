import { z } from 'zod';
import { InputError } from '../errors.js';
import { ABIS, abiInfo } from '../syscalls/abi.js';
import { errnoNumber } from '../syscalls/errno.js';
import { parseMinKernel } from '../syscalls/kernel.js';
import { parseJson, readTextFile } from '../util/files.js';
import { type JsonPath, lineAt, locateJson } from '../util/json-locate.js';
import {
  type RuleCondition,
  SCMP_ACTIONS,
  SCMP_OPERATORS,
  type SeccompProfile,
  type SeccompRule,
} from './model.js';

/** A problem in a profile file, located by JSON path (and line, when the text is at hand). */
export class ProfileError extends InputError {
  constructor(
    file: string,
    line: number | undefined,
    readonly jsonPath: string,
    problem: string,
  ) {
    super(file, line, jsonPath ? `${jsonPath}: ${problem}` : problem);
  }
}

export const SCMP_FLAGS = [
  'SECCOMP_FILTER_FLAG_TSYNC',
  'SECCOMP_FILTER_FLAG_LOG',
  'SECCOMP_FILTER_FLAG_SPEC_ALLOW',
  'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV',
] as const;

const SCMP_ARCHES: [string, ...string[]] = ['SCMP_ARCH_NATIVE', ...ABIS.map((abi) => abiInfo(abi).scmpArch)];

const UINT64_MAX = 2n ** 64n - 1n;

// errnoRet and the like: Go uint, small in practice; beyond 2^53 a number would not be exact.
const uint = z
  .union([z.number(), z.bigint()])
  .refine(
    (n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0,
    `must be a non-negative integer up to ${Number.MAX_SAFE_INTEGER}`,
  )
  .transform((n) => Number(n));

/**
 * Argument values are uint64 in Go. parseJson hands integers beyond 2^53 over as bigint, exact;
 * the model carries every value as bigint, so comparisons and the written profile stay exact.
 */
const uint64 = z
  .union([z.number(), z.bigint()])
  .refine(
    (n) => (typeof n === 'bigint' ? n >= 0n && n <= UINT64_MAX : Number.isSafeInteger(n) && n >= 0),
    'must be a non-negative integer up to 18446744073709551615 (uint64)',
  )
  .transform((n) => BigInt(n));
const errnoName = z.string().refine((name) => errnoNumber(name) !== undefined, 'unknown errno name');
const stringList = z.array(z.string()).nullish();

const condition = z
  .object({
    caps: stringList,
    arches: stringList,
    minKernel: z.string().superRefine((text, ctx) => {
      const parsed = parseMinKernel(text);
      if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
    }),
  })
  .partial();

const arg = z.object({
  // runc counts conditions per argument in a six-slot array; syscalls have at most six arguments.
  index: z.number().int().min(0, 'must be 0-5').max(5, 'must be 0-5'),
  value: uint64,
  valueTwo: uint64.optional(),
  op: z.enum(SCMP_OPERATORS),
});

const rule = z
  .object({
    names: z.array(z.string().min(1, 'a syscall name cannot be empty')).nullish(),
    name: z.string().optional(),
    action: z.enum(SCMP_ACTIONS),
    errnoRet: uint.optional(),
    errno: errnoName.optional(),
    args: z.array(arg).nullish(),
    comment: z.string().optional(),
    includes: condition.nullish(),
    excludes: condition.nullish(),
  })
  .superRefine((value, ctx) => {
    const listed = value.names?.length ?? 0;
    if (value.name && listed > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['name'],
        message: "both 'name' and 'names' are specified, use either 'name' or 'names'",
      });
    } else if (!value.name && listed === 0) {
      ctx.addIssue({ code: 'custom', path: ['names'], message: 'the rule names no syscall' });
    }
  });

const profileSchema = z
  .object({
    defaultAction: z.enum(SCMP_ACTIONS),
    defaultErrnoRet: uint.optional(),
    defaultErrno: errnoName.optional(),
    architectures: z.array(z.enum(SCMP_ARCHES)).nullish(),
    archMap: z
      .array(
        z.object({
          architecture: z.enum(SCMP_ARCHES),
          subArchitectures: z.array(z.enum(SCMP_ARCHES)).nullable(),
        }),
      )
      .nullish(),
    flags: z.array(z.enum(SCMP_FLAGS)).nullish(),
    listenerPath: z.string().optional(),
    listenerMetadata: z.string().optional(),
    syscalls: z.array(rule).nullish(),
  })
  .superRefine((value, ctx) => {
    if ((value.architectures?.length ?? 0) > 0 && (value.archMap?.length ?? 0) > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['archMap'],
        message: "both 'architectures' and 'archMap' are specified, use either 'architectures' or 'archMap'",
      });
    }
    if (value.listenerMetadata && !value.listenerPath) {
      ctx.addIssue({
        code: 'custom',
        path: ['listenerMetadata'],
        message: 'listenerMetadata needs listenerPath',
      });
    }
  });

type ParsedCondition = z.infer<typeof condition>;
type ParsedRule = z.infer<typeof rule>;
type ParsedProfile = z.infer<typeof profileSchema>;

/** Keeps only the keys the file had (so a parsed profile deep-equals its JSON), minus nulls Go reads as empty. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function toCondition(parsed: ParsedCondition | null | undefined): RuleCondition | undefined {
  if (!parsed) return undefined;
  return defined({ ...parsed, caps: parsed.caps ?? undefined, arches: parsed.arches ?? undefined });
}

function toRule(parsed: ParsedRule): SeccompRule {
  const { name, names, includes, excludes, ...rest } = parsed;
  return defined({
    ...rest,
    names: name ? [name] : (names ?? []),
    includes: toCondition(includes),
    excludes: toCondition(excludes),
  });
}

function toProfile(parsed: ParsedProfile): SeccompProfile {
  return defined({
    ...parsed,
    architectures: parsed.architectures ?? undefined,
    archMap: parsed.archMap ?? undefined,
    flags: parsed.flags ?? undefined,
    syscalls: parsed.syscalls?.map(toRule),
  });
}

export function formatJsonPath(path: JsonPath): string {
  return path
    .map((key, i) => {
      if (typeof key === 'number') return `[${key}]`;
      if (/^[A-Za-z_$][\w$]*$/.test(key)) return i === 0 ? key : `.${key}`;
      return `[${JSON.stringify(key)}]`;
    })
    .join('');
}

function valueAt(data: unknown, path: JsonPath): unknown {
  let current = data;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'bigint') return `number ${value}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

function problemOf(issue: z.core.$ZodIssue, data: unknown): string {
  const actual = valueAt(data, issue.path as JsonPath);
  if (actual === undefined && issue.code !== 'custom') return 'required but missing';
  switch (issue.code) {
    case 'invalid_value':
      return `unknown value ${JSON.stringify(actual)}, expected one of ${issue.values.map(String).join(', ')}`;
    case 'invalid_type':
      return `expected ${issue.expected}, got ${describeValue(actual)}`;
    case 'invalid_union':
      // Only numbers are unions (number or bigint, see uint and uint64).
      return `expected number, got ${describeValue(actual)}`;
    default:
      return issue.message;
  }
}

/** Validates a profile's text (Docker, Podman or plain OCI format) and returns it as the shared model. */
export function parseProfile(text: string, file: string): SeccompProfile {
  return validateProfile(parseJson(text, file), text, file);
}

/** Validates parsed JSON as a profile; `text` is only used to point at the line of a problem. */
export function validateProfile(data: unknown, text: string, file: string): SeccompProfile {
  const result = profileSchema.safeParse(data);
  if (result.success) return toProfile(result.data);
  const [first, ...others] = result.error.issues;
  if (!first) throw new ProfileError(file, undefined, '', 'invalid profile');
  const path = first.path as JsonPath;
  const more = others.length > 0 ? ` (and ${others.length} more problem${others.length > 1 ? 's' : ''})` : '';
  // A missing key has no position of its own: point at the object that lacks it.
  const offsets = locateJson(text).offsets;
  const offset = offsets.get(JSON.stringify(path)) ?? offsets.get(JSON.stringify(path.slice(0, -1)));
  throw new ProfileError(
    file,
    lineAt(text, offset),
    formatJsonPath(path),
    `${problemOf(first, data)}${more}`,
  );
}

export async function readProfile(file: string): Promise<SeccompProfile> {
  return parseProfile(await readTextFile(file), file);
}
