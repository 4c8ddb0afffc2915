import { emitProfile, type ProfileFormat } from '../../profile/emit.js';
import { logProfile } from '../../profile/log-profile.js';
import { writeFileAtomic } from '../../util/files.js';
import { say } from '../output.js';

export async function runLogProfile(flags: { output?: string; format: ProfileFormat }): Promise<void> {
  const text = await emitProfile(logProfile(), flags.format, 'seccomp-learn-log');
  if (!flags.output) {
    process.stdout.write(text);
    return;
  }
  await writeFileAtomic(flags.output, text);
  say(`complain-mode profile: ${flags.output}`);
}
