import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { isAuditedArgument, LEARNED_ARGUMENTS } from '../syscalls/arguments.js';

/** The text of the kernel's audit status (`auditctl -s`), or why it could not be read. */
export type AuditStatusText = { text: string } | { problem: string };

/**
 * Reads the kernel's audit status (`auditctl -s`). When it cannot be read (auditctl missing or
 * refusing, or printing something else) the caller must say so: lost records would go unnoticed.
 */
export async function auditStatusText(): Promise<AuditStatusText> {
  const result = await execa('auditctl', ['-s'], { reject: false });
  if ((result as { code?: string }).code === 'ENOENT') return { problem: 'auditctl is not installed' };
  if (result.exitCode !== 0) {
    const why = String(result.stderr).trim().split('\n')[0] || `exit ${result.exitCode}`;
    return { problem: `auditctl -s failed: ${why}` };
  }
  return { text: String(result.stdout) };
}

export async function auditdRunning(): Promise<boolean> {
  const result = await execa('pgrep', ['-x', 'auditd'], { reject: false });
  return result.exitCode === 0;
}

const KEY_PREFIX = 'seccomp-learn-';

/** The key of the process-exit rules one seccomp-learn run adds: it names the run's pid. */
export function exitRuleKey(pid: number): string {
  return `${KEY_PREFIX}${pid}`;
}

/** The key as `auditctl -l` lists a rule; the pid is the first group. */
const RULE_KEY = new RegExp(`(?:-F key=|-k )${KEY_PREFIX}(\\d+)(?:\\s|$)`);

/** The key as a record of such a rule carries it in the audit log (`key="seccomp-learn-PID"`). */
export const EXIT_RECORD_KEY = new RegExp(`key="(${KEY_PREFIX}\\d+)"`);

function exitRuleArgs(key: string): string[][] {
  return [
    ['always,exit', '-F', 'arch=b64', '-S', 'exit,exit_group', '-k', key],
    ['always,exit', '-F', 'arch=b32', '-S', 'exit,exit_group', '-k', key],
  ];
}

/** The calls with a learned argument a SYSCALL record carries. */
const AUDITED_ARGUMENT_CALLS: readonly string[] = [
  ...new Set(LEARNED_ARGUMENTS.filter(({ key }) => isAuditedArgument(key)).map(({ syscall }) => syscall)),
];

/** Rules that log the learned calls of every process (SYSCALL records, with a0-a3), under the run's key. */
function argumentRuleArgs(key: string): string[][] {
  const calls = AUDITED_ARGUMENT_CALLS.join(',');
  return [
    ['always,exit', '-F', 'arch=b64', '-S', calls, '-k', key],
    ['always,exit', '-F', 'arch=b32', '-S', calls, '-k', key],
  ];
}

/** True when `pid` is a live seccomp-learn process (its command line names seccomp-learn). */
function isLiveSeccompLearn(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('seccomp-learn');
  } catch {
    // No such process: the run that added the rule has ended.
    return false;
  }
}

export interface StaleRules {
  /** The pids of the ended runs whose rules were removed. */
  pids: number[];
  removed: number;
  /** Rules that were stale but could not be removed. */
  failed: number;
}

/**
 * Removes the process-exit rules of seccomp-learn runs that ended without taking them away (kill -9,
 * a crash, a power cut of the terminal): `auditctl -l` lists them, and a rule whose key names a pid
 * that is not a live seccomp-learn process is deleted. Such rules would otherwise log every process
 * exit on the host for ever. `isLive` is for tests.
 */
export async function removeStaleExitRules(
  isLive: (pid: number) => boolean = isLiveSeccompLearn,
): Promise<StaleRules> {
  const stale: StaleRules = { pids: [], removed: 0, failed: 0 };
  const listed = await execa('auditctl', ['-l'], { reject: false });
  if (listed.exitCode !== 0) return stale;
  for (const line of String(listed.stdout).split('\n')) {
    const pid = Number(RULE_KEY.exec(line)?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid || isLive(pid)) continue;
    // `auditctl -l` prints a rule as `-a always,exit …`; the same words after -d delete it.
    const words = line.trim().split(/\s+/);
    if (words[0] !== '-a') continue;
    const deleted = await execa('auditctl', ['-d', ...words.slice(1)], { reject: false });
    if (deleted.exitCode === 0) {
      stale.removed++;
      if (!stale.pids.includes(pid)) stale.pids.push(pid);
    } else stale.failed++;
  }
  return stale;
}

export interface RecordingRules {
  /** The process-exit rules are in: parents are known. */
  readonly exits: boolean;
  /** The rules for the learned calls are in, for both 64- and 32-bit calls: their arguments can be read. */
  readonly arguments: boolean;
  /** Takes every rule added away again. */
  remove(): Promise<void>;
}

/**
 * Asks the kernel, while a container is recorded, to log under `key` every process exit (with its
 * parent) and every call of the learned calls (with a0-a3), and returns how to take the rules away
 * again. Rules that could not be added (no auditctl, no CAP_AUDIT_CONTROL, a call this auditctl
 * does not know) are said in the answer: recording goes on without ancestry or arguments.
 */
export async function addRecordingRules(key: string): Promise<RecordingRules> {
  const added: string[][] = [];
  const add = async (rules: string[][]): Promise<boolean> => {
    let all = true;
    for (const rule of rules) {
      const result = await execa('auditctl', ['-a', ...rule], { reject: false });
      if (result.exitCode === 0) added.push(rule);
      else all = false;
    }
    return all;
  };
  const exits = (await add(exitRuleArgs(key))) || added.length > 0;
  const argumentsAdded = await add(argumentRuleArgs(key));
  return {
    exits,
    arguments: argumentsAdded,
    async remove() {
      for (const rule of added) await execa('auditctl', ['-d', ...rule], { reject: false });
    },
  };
}

/** Puts a user message through the kernel's audit queue, behind every record queued before it. */
export async function sendAuditMarker(text: string): Promise<boolean> {
  const result = await execa('auditctl', ['-m', text], { reject: false });
  return result.exitCode === 0;
}
