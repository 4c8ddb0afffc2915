import { learnFromStraceFiles } from '../../pipeline/learn-strace.js';
import { generationChoices, type LearningFlags, printLearned } from '../learned.js';

export async function runFromStrace(files: string[], flags: LearningFlags): Promise<number> {
  return printLearned(
    await learnFromStraceFiles(files, { ...generationChoices(flags), output: flags.output }),
    flags,
  );
}
