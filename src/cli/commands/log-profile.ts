import { emitProfile, type ProfileFormat, type SpoApiVersion } from '../../profile/emit.js';
import { logProfile } from '../../profile/log-profile.js';
import { writeFileAtomic } from '../../util/files.js';
import { say } from '../output.js';

export async function runLogProfile(flags: {
  output?: string;
  format: ProfileFormat;
  spoApi: SpoApiVersion;
}): Promise<void> {
  const text = await emitProfile(logProfile(), flags.format, {
    name: 'seccomp-learn-log',
    spoApi: flags.spoApi,
  });
  if (!flags.output) {
    process.stdout.write(text);
    return;
  }
  await writeFileAtomic(flags.output, text);
  say(`complain-mode profile: ${flags.output}`);
}
