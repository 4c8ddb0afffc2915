import type { Abi } from '../../src/syscalls/abi.js';

export type SeccompAction =
  | 'kill-process'
  | 'kill-thread'
  | 'trap'
  | 'errno'
  | 'user-notif'
  | 'trace'
  | 'log'
  | 'allow'
  | 'unknown';

/** SECCOMP_RET_ACTION_FULL values (include/uapi/linux/seccomp.h); the data bits are masked off first. */
export function seccompAction(code: number): SeccompAction {
  switch ((code & 0xffff0000) >>> 0) {
    case 0x80000000:
      return 'kill-process';
    case 0x00000000:
      return 'kill-thread';
    case 0x00030000:
      return 'trap';
    case 0x00050000:
      return 'errno';
    case 0x7fc00000:
      return 'user-notif';
    case 0x7ff00000:
      return 'trace';
    case 0x7ffc0000:
      return 'log';
    case 0x7fff0000:
      return 'allow';
    default:
      return 'unknown';
  }
}

/**
 * `ausearch -i` names (auparse seccomptab.h). Before audit 3.1.2 both KILL_THREAD and KILL_PROCESS
 * printed as `kill`; `kill` is the historic name of SECCOMP_RET_KILL, which is KILL_THREAD.
 */
const INTERPRETED_ACTIONS: Readonly<Record<string, SeccompAction>> = {
  kill: 'kill-thread',
  'kill-thread': 'kill-thread',
  'kill-process': 'kill-process',
  trap: 'trap',
  errno: 'errno',
  'user-notify': 'user-notif',
  'user-notif': 'user-notif',
  trace: 'trace',
  log: 'log',
  allow: 'allow',
};

/** The action an `ausearch -i` code= value names (or `unknown-seccomp-code(0x…)`). */
export function interpretedAction(name: string): SeccompAction {
  const unknown = /^unknown-seccomp-code\(0x([0-9a-f]{1,8})\)$/.exec(name);
  return unknown?.[1]
    ? seccompAction(Number.parseInt(unknown[1], 16))
    : (INTERPRETED_ACTIONS[name] ?? 'unknown');
}

/** `sig=` in `ausearch -i` output; seccomp only ever sends SIGSYS, which is 12 on MIPS and PA-RISC. */
export function signalNumber(name: string, abi: Abi): number | undefined {
  if (name === 'SIG0') return 0;
  if (name !== 'SIGSYS') return undefined;
  return abi.startsWith('mips') || abi.startsWith('parisc') ? 12 : 31;
}
