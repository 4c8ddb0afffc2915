import { generate } from '../../pipeline/generate.js';
import { allowedCounts, allowedText } from '../../profile/model.js';
import {
  type GenerationFlags,
  generationChoices,
  printNotes,
  printResultWarnings,
  printWarnings,
} from '../learned.js';
import { printJson, say } from '../output.js';

interface GenerateFlags extends GenerationFlags {
  output?: string;
  name?: string;
}

export async function runGenerate(files: string[], flags: GenerateFlags): Promise<number> {
  const result = await generate(files, {
    ...generationChoices(flags),
    ...(flags.output === undefined ? {} : { output: flags.output }),
    ...(flags.name === undefined ? {} : { name: flags.name }),
  });
  const { profile, notes } = result;
  printWarnings(result.recordingWarnings);
  printNotes(notes, flags.runtime);
  printResultWarnings(result);
  if (flags.output === undefined) {
    process.stdout.write(result.text);
    return result.exitStatus;
  }
  say(
    `profile: ${flags.output} (${allowedText(profile)} from ${result.runs} run(s), ${profile.architectures?.join(', ')})`,
  );
  if (flags.json) {
    printJson({
      profile: flags.output,
      allowed: allowedCounts(profile).allowed,
      architectures: profile.architectures,
      notes,
      warnings: result.recordingWarnings,
    });
  }
  return result.exitStatus;
}
