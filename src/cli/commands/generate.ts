import { basename } from 'node:path';
import { emitProfile, formatWarnings } from '../../emit/formats.js';
import { RecordingMerger } from '../../merge/recordings.js';
import { generateProfile } from '../../profile/generate.js';
import { needsOfRecording } from '../../profile/needs.js';
import { readRecording } from '../../recording/io.js';
import { checkOutputName, OutputPlan } from '../../util/files.js';
import { type GenerationFlags, generationOptions, printNotes, printWarnings } from '../learned.js';
import { printJson, say, warn } from '../output.js';

interface GenerateFlags extends GenerationFlags {
  output?: string;
  name?: string;
}

export async function runGenerate(files: string[], flags: GenerateFlags): Promise<void> {
  checkOutputName(flags.output);
  const plan = flags.output === undefined ? undefined : await OutputPlan.check([flags.output], files);
  const merger = new RecordingMerger();
  for (const file of files) merger.add(await readRecording(file, warn), file);
  const merged = merger.result();
  // A profile is only as complete as its recordings: their warnings travel with it.
  printWarnings(merged);
  const { profile, notes } = generateProfile(needsOfRecording(merged), generationOptions(flags));
  const name =
    flags.name ?? (flags.output ? basename(flags.output).replace(/\.(json|ya?ml)$/, '') : 'seccomp-learn');
  const text = await emitProfile(profile, flags.format, { name, spoApi: flags.spoApi });
  printNotes(notes, flags.runtime);
  for (const warning of formatWarnings(profile, flags.format)) warn(warning);
  if (flags.output === undefined || !plan) {
    process.stdout.write(text);
    return;
  }
  await plan.write({ [flags.output]: text });
  const allowed = profile.syscalls?.[0]?.names.length ?? 0;
  say(
    `profile: ${flags.output} (${allowed} syscalls allowed from ${merger.count} run(s), ${profile.architectures?.join(', ')})`,
  );
  if (flags.json) {
    printJson({
      profile: flags.output,
      allowed,
      architectures: profile.architectures,
      notes,
      warnings: merged.warnings,
    });
  }
}
