import type { GenerationChoices } from '../../src/pipeline/learned.js';

/** What the command line passes when no generation flag is given. */
export const DEFAULT_CHOICES: GenerationChoices = {
  defaultAction: 'errno',
  runtime: 'runc',
  allow: [],
  deny: [],
  format: 'docker',
  spoApi: 'v1',
};

/** The defaults for a workload that will not run in a container: nothing added for a runtime. */
export const NO_RUNTIME_CHOICES: GenerationChoices = { ...DEFAULT_CHOICES, runtime: 'none' };
