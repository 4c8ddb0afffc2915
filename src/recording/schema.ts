import { z } from 'zod';
import { NOTICE_CODES } from '../../parsers/observation.js';
import { InputError } from '../errors.js';
import { ABIS } from '../syscalls/abi.js';
import { MAX_ARGUMENT_VALUES } from '../syscalls/arguments.js';
import { BACKENDS, RECORDING_FORMAT, type Recording, SOURCE_KINDS, type SyscallStats } from './model.js';

const abi = z.enum(ABIS);

/**
 * The largest count a recording holds. Counts are exact whole numbers, so they stop at 2^53-1:
 * reading refuses more (parseJson hands bigger integers over as bigint) and merging refuses to sum
 * past it (merge/recordings.ts), so what merge writes can always be read back.
 */
export const MAX_COUNT = Number.MAX_SAFE_INTEGER;

const COUNT_MESSAGE = `must be a whole number from 0 to ${MAX_COUNT}`;
const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
// One check, not a union of number and bigint refined: a bigint (past 2^53-1, from parseJson) is refused.
const count = z.custom<number>(isCount, { message: COUNT_MESSAGE });
const warningCode = z.enum(NOTICE_CODES);

/** A uint64 as `0x…` text, lower case. */
const argumentValue = z
  .string()
  .regex(/^0x(0|[1-9a-f][0-9a-f]{0,15})$/, 'must be a value like 0x2a (lower-case hex, at most 64 bits)');
const argumentValues = z.union([
  z.strictObject({ values: z.array(argumentValue).max(MAX_ARGUMENT_VALUES) }),
  z.strictObject({ unbounded: z.enum(['too-many', 'unreadable']) }),
]);
const argumentKey = z.enum(['0', '1', '2', '3', '4', '5', 'flags']);

const argumentsSchema = z.partialRecord(argumentKey, argumentValues);
const STATS_KEYS: ReadonlySet<string> = new Set(['calls', 'errors', 'runs', 'args']);

/**
 * One syscall's entry, checked by hand rather than by a zod schema: a merge of recordings of 100,000
 * names checks 300,000 entries, which zod took over a second to walk. Returns the problem, or
 * undefined; `args` (a few calls only) goes through zod.
 */
function statsProblem(value: unknown): { path: string[]; message: string } | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { path: [], message: 'must be an object with calls and runs' };
  const stats = value as Record<string, unknown>;
  for (const key in stats)
    if (!STATS_KEYS.has(key)) return { path: [], message: `Unrecognized key: "${key}"` };
  for (const key of ['calls', 'runs', 'errors']) {
    if (key === 'errors' && stats.errors === undefined) continue;
    if (!isCount(stats[key])) return { path: [key], message: COUNT_MESSAGE };
  }
  if (stats.args === undefined) return undefined;
  const args = argumentsSchema.safeParse(stats.args);
  if (args.success) return undefined;
  const issue = args.error.issues[0];
  return { path: ['args', ...(issue?.path ?? []).map(String)], message: issue?.message ?? 'invalid' };
}

const recordingSchema = z.strictObject({
  format: z.literal(RECORDING_FORMAT),
  runs: count.pipe(z.number().min(1)),
  // Any name: a recording may come from a kernel newer or older than libseccomp's table. The
  // names and entries are checked by hand (statsProblem).
  abis: z.partialRecord(
    abi,
    z.custom<Record<string, SyscallStats>>(
      (table) => typeof table === 'object' && table !== null && !Array.isArray(table),
      { message: 'must be an object of syscall names' },
    ),
  ),
  provenance: z.array(
    z.looseObject({
      source: z.enum(SOURCE_KINDS),
      command: z.array(z.string()).optional(),
      pid: count.optional(),
      container: z
        .looseObject({ engine: z.string(), id: z.string().optional(), image: z.string().optional() })
        .optional(),
      inputs: z.array(z.string()),
      startedAt: z.string().optional(),
      endedAt: z.string().optional(),
      host: z.looseObject({ kernel: z.string(), arch: abi }),
      backend: z.enum(BACKENDS).optional(),
      strace: z.string().optional(),
      bpftrace: z.string().optional(),
      arguments: z.string().optional(),
      seccompLearn: z.string(),
      exitCode: z.number().int().optional(),
      binaries: z.array(z.string()).optional(),
      libraries: z.array(z.string()).optional(),
    }),
  ),
  warnings: z.array(
    z.looseObject({
      code: warningCode,
      message: z.string(),
      file: z.string().optional(),
      line: z.number().int().optional(),
      abi: abi.optional(),
      count: count.optional(),
      timestamp: z.number().optional(),
    }),
  ),
});

/**
 * Checks that `value` is a recording this version can read; the error names the file and the field.
 * An entry no run saw and nothing called (`calls: 0, runs: 0`) is no evidence of a need: it is left
 * out and reported through `warn`, naming the file and the syscall. An entry with calls but seen in
 * no run contradicts itself and is refused.
 */
export function validateRecording(
  value: unknown,
  file: string,
  warn: (message: string) => void = () => undefined,
): Recording {
  if (typeof value === 'object' && value !== null && 'format' in value && value.format !== RECORDING_FORMAT) {
    throw new InputError(
      file,
      undefined,
      `unsupported recording format ${JSON.stringify(value.format)}: this seccomp-learn reads ${RECORDING_FORMAT}`,
    );
  }
  const result = recordingSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : '(top level)';
    throw new InputError(file, undefined, `not a valid recording: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  for (const [abiName, table] of Object.entries(result.data.abis)) {
    for (const name in table) {
      const problem =
        name === '' ? { path: [], message: 'a syscall name is empty' } : statsProblem(table[name]);
      if (problem) {
        const where = ['abis', abiName, name, ...problem.path].join('.');
        throw new InputError(file, undefined, `not a valid recording: ${where}: ${problem.message}`);
      }
      const stats = table[name];
      if (stats === undefined) continue;
      if (stats.runs === 0) {
        if (stats.calls > 0) {
          throw new InputError(
            file,
            undefined,
            `abis.${abiName}.${name} has ${stats.calls} call(s) but was seen in 0 runs`,
          );
        }
        warn(`${file}: ${name} (${abiName}) has 0 calls in 0 runs: ignored, it is not allowed for it`);
        delete (table as Record<string, unknown>)[name];
        continue;
      }
      if (stats.runs > result.data.runs) {
        throw new InputError(
          file,
          undefined,
          `abis.${abiName}.${name}.runs is ${stats.runs}, more than runs ${result.data.runs}`,
        );
      }
    }
  }
  // Annotated, not cast: a field the schema and the model disagree on fails to compile.
  const recording: Recording = result.data;
  forgetAuditZeroErrors(recording);
  return recording;
}

/**
 * Recordings made from audit records alone before errors could be unknown say `errors: 0` for calls
 * whose results were never seen. Such a recording never has a true 0 (a refused call counts 1, any
 * other is unknown), so 0 there reads as unknown.
 */
function forgetAuditZeroErrors(recording: Recording): void {
  const auditOnly =
    recording.provenance.length > 0 &&
    recording.provenance.every((run) => run.source === 'audit' || run.source === 'container');
  if (!auditOnly) return;
  for (const table of Object.values(recording.abis)) {
    for (const stats of Object.values(table ?? {})) if (stats.errors === 0) delete stats.errors;
  }
}
