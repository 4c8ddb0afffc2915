import { ERRNO_ENOSYS, ERRNO_EPERM, type SeccompProfile } from './model.js';

/** What a learned profile does with every syscall it does not list. */
export const DEFAULT_ACTION_CHOICES = ['errno', 'enosys', 'kill', 'log'] as const;
export type DefaultActionChoice = (typeof DEFAULT_ACTION_CHOICES)[number];

export function defaultActionFields(
  choice: DefaultActionChoice,
): Pick<SeccompProfile, 'defaultAction' | 'defaultErrnoRet'> {
  switch (choice) {
    case 'errno':
      return { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: ERRNO_EPERM };
    case 'enosys':
      return { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: ERRNO_ENOSYS };
    case 'kill':
      return { defaultAction: 'SCMP_ACT_KILL_PROCESS' };
    case 'log':
      return { defaultAction: 'SCMP_ACT_LOG' };
  }
}
