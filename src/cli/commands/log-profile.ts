import { emitProfile, type ProfileFormat, type SpoApiVersion } from '../../emit/formats.js';
import { logProfile } from '../../profile/log-profile.js';
import { checkOutputName, OutputPlan } from '../../util/files.js';
import { say } from '../output.js';

export async function runLogProfile(flags: {
  output?: string;
  format: ProfileFormat;
  spoApi: SpoApiVersion;
}): Promise<void> {
  checkOutputName(flags.output);
  const plan = flags.output === undefined ? undefined : await OutputPlan.check([flags.output]);
  const text = await emitProfile(logProfile(), flags.format, {
    name: 'seccomp-learn-log',
    spoApi: flags.spoApi,
  });
  if (flags.output === undefined || !plan) {
    process.stdout.write(text);
    return;
  }
  await plan.write({ [flags.output]: text });
  say(`complain-mode profile: ${flags.output}`);
}
