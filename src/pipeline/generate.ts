import { basename } from 'node:path';
import { emitProfile, formatWarnings } from '../emit/formats.js';
import { RecordingMerger } from '../merge/recordings.js';
import type { GenerationNote } from '../profile/generate.js';
import { logProfile } from '../profile/log-profile.js';
import type { SeccompProfile } from '../profile/model.js';
import { readRecording } from '../recording/io.js';
import type { RecordingWarning } from '../recording/model.js';
import { checkOutputName, OutputPlan } from '../util/files.js';
import { type GenerationChoices, profileOf } from './learned.js';
import { keepingWarnings, type PipelineResult } from './result.js';

/** A profile as text: written to `output` when one is given, else for the caller to print. */
export interface ProfileText extends PipelineResult {
  /** The profile as its format writes it; the caller prints it when nothing was written. */
  text: string;
}

export interface GenerateResult extends ProfileText {
  profile: SeccompProfile;
  notes: GenerationNote[];
  /** How many runs the recordings hold together. */
  runs: number;
  /** The recordings' own warnings: a profile is only as complete as its recordings. */
  recordingWarnings: RecordingWarning[];
}

/** Writes `text` to `output` (planned against `inputs`) or leaves it for the caller to print. */
async function deliver(
  text: string,
  output: string | undefined,
  plan: OutputPlan | undefined,
): Promise<string[]> {
  if (output === undefined || !plan) return [];
  await plan.write({ [output]: text });
  return [output];
}

/** The minimal profile of one or more recordings, merged. */
export async function generate(
  files: string[],
  options: GenerationChoices & { output?: string; name?: string },
): Promise<GenerateResult> {
  checkOutputName(options.output);
  const plan = options.output === undefined ? undefined : await OutputPlan.check([options.output], files);
  const warnings: string[] = [];
  return keepingWarnings(warnings, async () => {
    const merger = new RecordingMerger();
    for (const file of files)
      merger.add(await readRecording(file, (message) => warnings.push(message)), file);
    const merged = merger.result();
    const { profile, notes, warnings: widening } = await profileOf(merged, options);
    const name =
      options.name ??
      (options.output ? basename(options.output).replace(/\.(json|ya?ml|conf)$/, '') : 'seccomp-learn');
    const text = await emitProfile(profile, options.format, {
      name,
      spoApi: options.spoApi,
      ...(options.args ? { args: options.args } : {}),
    });
    return {
      profile,
      notes,
      runs: merger.count,
      recordingWarnings: merged.warnings,
      text,
      written: await deliver(text, options.output, plan),
      warnings: [...warnings, ...widening, ...formatWarnings(profile, options.format, options)],
      exitStatus: 0,
    };
  });
}

/** The complain-mode profile: allows and logs every call, for recording under the kernel's audit. */
export async function generateLogProfile(
  options: Pick<GenerationChoices, 'format' | 'spoApi'> & { output?: string },
): Promise<ProfileText> {
  checkOutputName(options.output);
  const plan = options.output === undefined ? undefined : await OutputPlan.check([options.output]);
  const text = await emitProfile(logProfile(), options.format, {
    name: 'seccomp-learn-log',
    spoApi: options.spoApi,
  });
  return { text, written: await deliver(text, options.output, plan), warnings: [], exitStatus: 0 };
}
