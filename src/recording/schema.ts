import { z } from 'zod';
import { InputError } from '../errors.js';
import { ABIS } from '../syscalls/abi.js';
import { RECORDING_FORMAT, type Recording } from './model.js';

const abi = z.enum(ABIS);
const count = z.number().int().nonnegative();
const warningCode = z.enum([
  'unknown-syscall',
  'truncated-input',
  'lost-records',
  'unresolved-process',
  'assumed-abi',
  'unreadable-line',
  'compat-abi',
  'audit-status-unknown',
]);

const recordingSchema = z.strictObject({
  format: z.literal(RECORDING_FORMAT),
  runs: count.min(1),
  abis: z.partialRecord(
    abi,
    z.record(z.string().min(1), z.strictObject({ calls: count, errors: count, runs: count })),
  ),
  provenance: z.array(
    z.looseObject({
      source: z.enum(['strace-summary', 'strace-trace', 'audit', 'container']),
      command: z.array(z.string()).optional(),
      pid: count.optional(),
      container: z
        .looseObject({ engine: z.string(), id: z.string().optional(), image: z.string().optional() })
        .optional(),
      inputs: z.array(z.string()),
      startedAt: z.string().optional(),
      endedAt: z.string().optional(),
      host: z.looseObject({ kernel: z.string(), arch: abi }),
      strace: z.string().optional(),
      seccompLearn: z.string(),
      exitCode: z.number().int().optional(),
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

/** Checks that `value` is a recording this version can read; the error names the file and the field. */
export function validateRecording(value: unknown, file: string): Recording {
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
    for (const [name, stats] of Object.entries(table ?? {})) {
      if (stats.runs > result.data.runs) {
        throw new InputError(
          file,
          undefined,
          `abis.${abiName}.${name}.runs is ${stats.runs}, more than runs ${result.data.runs}`,
        );
      }
    }
  }
  return result.data as Recording;
}
