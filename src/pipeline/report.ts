import { stripVTControlCharacters } from 'node:util';
import { compareWithReference, comparisonHost } from '../diff/compare.js';
import { UserError } from '../errors.js';
import { mergeRecordings } from '../merge/recordings.js';
import { type LearningInput, readLearningInput } from '../profile/inputs.js';
import type { SeccompProfile } from '../profile/model.js';
import { DEFAULT_RUNTIME } from '../profile/runtime-baselines.js';
import type { Recording } from '../recording/model.js';
import { isBuiltinReference } from '../reference/builtin.js';
import { buildReport, type ReportedProfile, type ReviewReport } from '../report/model.js';
import { type ReportFormat, renderReport } from '../report/render.js';
import type { Abi } from '../syscalls/abi.js';
import { hostKernel, type KernelVersion } from '../syscalls/kernel.js';
import { checkOutputName, OutputPlan } from '../util/files.js';
import { profileOf, type WideningChoices } from './learned.js';
import { keepingWarnings, type PipelineResult } from './result.js';

/** The recordings (merged) and at most one profile a report is about. */
export interface ReportInputs {
  recordings: { path: string; recording: Recording }[];
  profile?: { path: string; profile: SeccompProfile };
}

/** Sorts inputs read by readLearningInput into recordings and the one profile. */
export function reportInputs(inputs: readonly LearningInput[]): ReportInputs {
  const sorted: ReportInputs = { recordings: [] };
  for (const input of inputs) {
    if (input.kind === 'recording') sorted.recordings.push(input);
    else if (sorted.profile) {
      throw new UserError(
        `give at most one profile: ${sorted.profile.path} and ${input.path} are both profiles`,
      );
    } else sorted.profile = input;
  }
  return sorted;
}

export interface ReportOptions extends WideningChoices {
  /** A built-in reference ('docker', 'podman', 'containerd') or a profile file; default 'docker'. */
  against?: string;
  /** The host's native ABI; default the recordings' host, else this machine's. */
  arch?: Abi;
  capAdd?: readonly string[];
  capDrop?: readonly string[];
  /** Default: this machine's kernel. */
  kernel?: KernelVersion;
}

/**
 * The given profile, or the one `generate` would make from the recordings with its defaults and
 * the widening chosen (--widen, --binary); `warnings` hears what widening could not read.
 */
async function profileToReport(
  inputs: ReportInputs,
  recording: Recording | undefined,
  widening: WideningChoices,
  warnings: string[],
): Promise<ReportedProfile> {
  if (inputs.profile) {
    if ((widening.widen ?? 'none') !== 'none')
      warnings.push(
        `--widen ${widening.widen} applies to a generated profile: ${inputs.profile.path} is reviewed as it is`,
      );
    return { profile: inputs.profile.profile, notes: [], file: inputs.profile.path };
  }
  if (!recording) throw new UserError('nothing to report on: give recordings, a profile, or both');
  const runtime = DEFAULT_RUNTIME;
  const generated = await profileOf(recording, {
    defaultAction: 'errno',
    runtime,
    allow: [],
    deny: [],
    ...(widening.widen ? { widen: widening.widen } : {}),
    ...(widening.binaries ? { binaries: widening.binaries } : {}),
    ...(widening.args ? { args: widening.args } : {}),
  });
  warnings.push(...generated.warnings);
  return { profile: generated.profile, notes: generated.notes, runtime };
}

/**
 * The review: the recordings merged, the given profile or the generated one, compared with the
 * reference profile as that runtime would load it on the host.
 */
export async function review(
  inputs: ReportInputs,
  options: ReportOptions = {},
  warnings: string[] = [],
): Promise<ReviewReport> {
  const recording =
    inputs.recordings.length > 0
      ? mergeRecordings(inputs.recordings.map((input) => input.recording))
      : undefined;
  const profile = await profileToReport(inputs, recording, options, warnings);
  const host = comparisonHost(options.arch, recording ? [recording] : []);
  const kernel = options.kernel ?? hostKernel();
  const capAdd = [...(options.capAdd ?? [])];
  const capDrop = [...(options.capDrop ?? [])];
  const compared = await compareWithReference(
    { kind: 'profile', path: profile.file ?? 'the generated profile', profile: profile.profile },
    { against: options.against ?? 'docker', host, capAdd, capDrop, kernel },
    {
      ...(recording ? { recording } : {}),
      notes: profile.notes,
      ...(profile.file === undefined ? {} : { file: profile.file }),
    },
  );
  return buildReport({
    recordingFiles: inputs.recordings.map((input) => input.path),
    ...(recording ? { recording } : {}),
    profile,
    compared,
    host,
    kernel,
    kernelFrom: options.kernel ? 'option' : 'host',
    capAdd,
    capDrop,
  });
}

export interface ReportResult extends PipelineResult {
  report: ReviewReport;
  /** The rendered report, for the caller to print when nothing was written. */
  text: string;
}

/**
 * Reads the inputs, reviews them and renders the review; writes it to `output` when given. Colour
 * is for a terminal only: a file or a pipe gets the plain text.
 */
export async function report(
  files: string[],
  options: ReportOptions & { format: ReportFormat; output?: string; toTerminal: boolean },
): Promise<ReportResult> {
  checkOutputName(options.output);
  const against = options.against ?? 'docker';
  // A reference profile file is an input too: -o must not overwrite it.
  const plan =
    options.output === undefined
      ? undefined
      : await OutputPlan.check([options.output], isBuiltinReference(against) ? files : [...files, against]);
  const warnings: string[] = [];
  return keepingWarnings(warnings, async () => {
    const inputs = reportInputs(
      await Promise.all(files.map((file) => readLearningInput(file, (message) => warnings.push(message)))),
    );
    const reviewed = await review(inputs, options, warnings);
    const rendered = await renderReport(reviewed, options.format);
    const text =
      options.toTerminal && options.output === undefined ? rendered : stripVTControlCharacters(rendered);
    const written: string[] = [];
    if (options.output !== undefined && plan) {
      await plan.write({ [options.output]: text });
      written.push(options.output);
    }
    return { report: reviewed, text, written, warnings, exitStatus: 0 };
  });
}
