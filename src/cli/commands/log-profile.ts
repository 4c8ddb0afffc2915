import type { ProfileFormat, SpoApiVersion } from '../../emit/formats.js';
import { generateLogProfile } from '../../pipeline/generate.js';
import { say } from '../output.js';

export async function runLogProfile(flags: {
  output?: string;
  format: ProfileFormat;
  spoApi: SpoApiVersion;
}): Promise<number> {
  const result = await generateLogProfile(flags);
  if (flags.output === undefined) process.stdout.write(result.text);
  else say(`complain-mode profile: ${flags.output}`);
  return result.exitStatus;
}
