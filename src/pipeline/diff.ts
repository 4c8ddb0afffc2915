import {
  type ComparisonOptions,
  compareWithReference,
  comparisonHost,
  judgingHost,
  type ReferenceComparison,
  usageOf,
} from '../diff/compare.js';
import { type AllowlistDiff, type AllowlistSets, diffProfiles } from '../diff/diff.js';
import { UserError } from '../errors.js';
import type { GenerationNote } from '../profile/generate.js';
import { type LearningInput, readLearningInput } from '../profile/inputs.js';
import type { SeccompProfile } from '../profile/model.js';
import { needsOfRecording } from '../profile/needs.js';
import { type Abi, abisOfHost } from '../syscalls/abi.js';
import type { KernelVersion } from '../syscalls/kernel.js';
import { profileOf, type WideningChoices } from './learned.js';
import { keepingWarnings, type PipelineResult } from './result.js';

export interface DiffOptions extends WideningChoices {
  /** docker, podman, containerd or a profile file. */
  against: string;
  /** The native ABI of the host to judge for; default the recordings' host, else this machine's. */
  arch?: Abi;
  capAdd?: readonly string[];
  capDrop?: readonly string[];
  /** Default: this machine's kernel. */
  kernel?: KernelVersion;
}

/** One input against the reference, or the second of two inputs against the first. */
export type DiffResult = PipelineResult &
  (
    | { kind: 'reference'; comparison: ReferenceComparison }
    | { kind: 'allowlists'; before: string; after: string; diff: AllowlistDiff }
  );

/** A recording or profile as what `diffProfiles` compares: a profile as it is, a recording as its needs. */
function allowlistOf(
  input: LearningInput,
  options: ComparisonOptions,
  notes: readonly GenerationNote[],
): SeccompProfile | AllowlistSets {
  if (input.kind === 'profile') return input.profile;
  const sets: AllowlistSets = {};
  for (const [abi, names] of usageOf(input, judgingHost(options), notes)) sets[abi] = names.keys();
  return sets;
}

/**
 * What the profile generated from a recording adds to what it observed, as --widen chooses: its
 * notes (equivalents, reachable calls, the exit path, the dangerous calls held back). `diff`
 * compares needs, so no runtime baseline is added. A profile input has none.
 */
async function generationNotes(
  input: LearningInput,
  widening: WideningChoices,
  warnings: string[],
): Promise<{ notes: GenerationNote[]; profile?: SeccompProfile }> {
  if (input.kind === 'profile' || needsOfRecording(input.recording).size === 0) return { notes: [] };
  const generated = await profileOf(input.recording, {
    defaultAction: 'errno',
    runtime: 'none',
    allow: [],
    deny: [],
    ...widening,
  });
  warnings.push(...generated.warnings);
  return { notes: generated.notes, profile: generated.profile };
}

/**
 * `diff`: reads one or two recordings or profiles; one is compared with the reference as its
 * runtime would load it for the host, two are compared with each other. Writes nothing.
 */
export async function diff(files: string[], options: DiffOptions): Promise<DiffResult> {
  if (files.length < 1 || files.length > 2)
    throw new UserError('diff takes one input (against a reference) or two (against each other)');
  const warnings: string[] = [];
  return keepingWarnings(warnings, async () => {
    const inputs = await Promise.all(
      files.map((file) => readLearningInput(file, (message) => warnings.push(message))),
    );
    const recordings = inputs.flatMap((input) => (input.kind === 'recording' ? [input.recording] : []));
    const host = comparisonHost(options.arch, recordings);
    const comparing: ComparisonOptions = {
      against: options.against,
      host,
      ...(options.capAdd ? { capAdd: options.capAdd } : {}),
      ...(options.capDrop ? { capDrop: options.capDrop } : {}),
      ...(options.kernel ? { kernel: options.kernel } : {}),
    };
    const widening: WideningChoices = {
      ...(options.widen ? { widen: options.widen } : {}),
      ...(options.binaries ? { binaries: options.binaries } : {}),
      ...(options.args ? { args: options.args } : {}),
    };
    if ((options.widen ?? 'none') !== 'none' && recordings.length === 0)
      warnings.push(
        `--widen ${options.widen} widens what a recording observed: a profile is compared as it is`,
      );
    const generations = [];
    for (const input of inputs) generations.push(await generationNotes(input, widening, warnings));
    const notes = generations.map((generation) => generation.notes);
    const done = { written: [], warnings, exitStatus: 0 };
    const [first, second] = inputs as [LearningInput, LearningInput | undefined];
    const [firstNotes = [], secondNotes = []] = notes;
    if (second) {
      const target = judgingHost(comparing);
      const changes = diffProfiles(
        allowlistOf(first, comparing, firstNotes),
        allowlistOf(second, comparing, secondNotes),
        target,
      );
      return { ...done, kind: 'allowlists', before: first.path, after: second.path, diff: changes };
    }
    const comparison = await compareWithReference(
      first,
      comparing,
      first.kind === 'recording'
        ? { recording: first.recording, notes: firstNotes }
        : { notes: [], file: first.path },
      generations[0]?.profile,
    );
    if (comparison.abis.length === 0)
      throw new UserError(
        `${first.path}: nothing to compare on the ABIs of a ${host} host (${abisOfHost(host).join(', ')}); --arch names another host`,
      );
    return { ...done, kind: 'reference', comparison };
  });
}
