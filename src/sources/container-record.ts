import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ExecaError, execa } from 'execa';
import { createAuditParser } from '../../parsers/audit.js';
import { parseProcessExitRecord } from '../../parsers/audit-process.js';
import { UserError } from '../errors.js';
import { logProfile } from '../profile/log-profile.js';
import { RecordingBuilder } from '../recording/builder.js';
import type { Recording } from '../recording/model.js';
import { syscallName } from '../syscalls/table.js';
import { VERSION } from '../version.js';
import { ContainerAttribution, containerOfPid } from './attribution.js';
import { addProcessExitRules, auditdRunning, auditStatus, sendAuditMarker } from './audit-rules.js';
import { prepareContainerRun } from './container-command.js';
import { FileFollower } from './follow.js';
import { hostInfo } from './host.js';

export interface ContainerRecordOptions {
  /** Read this audit log instead of auditd's default (or dmesg when auditd is not running). */
  auditLog?: string;
}

export interface ContainerRecording {
  recording: Recording;
  exitCode: number;
}

const DEFAULT_AUDIT_LOG = '/var/log/audit/audit.log';
/**
 * Records reach the log after the syscall, later still on a busy host. After the container ends, a
 * marker is sent through the audit queue (`auditctl -m`); everything queued before it has been
 * written once the marker shows up. Without auditd (dmesg) there is no such order: wait a while.
 */
const MARKER_TIMEOUT_MS = 15_000;
const DMESG_SETTLE_MS = 1_000;
const CGROUP_POLL_MS = 5;

/** A source of kernel log lines that can be stopped once the container is gone. */
interface LineSource {
  name: string;
  stop(): Promise<void>;
}

async function followAuditLog(
  path: string,
  onLine: (line: string, lineNumber: number) => void,
): Promise<LineSource> {
  let follower: FileFollower;
  try {
    follower = await FileFollower.fromEnd(path, onLine);
  } catch (error) {
    throw new UserError(
      `cannot read the audit log ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`,
    );
  }
  follower.start();
  return { name: path, stop: () => follower.stop() };
}

function followDmesg(onLine: (line: string, lineNumber: number) => void): LineSource {
  const child = execa('dmesg', ['--follow-new'], { reject: false, buffer: false, stderr: 'ignore' });
  let lineNumber = 0;
  let partial = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (text: string) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) onLine(line, ++lineNumber);
  });
  return {
    name: 'dmesg',
    async stop() {
      child.kill('SIGTERM');
      await child;
      if (partial !== '') onLine(partial, ++lineNumber);
    },
  };
}

/** Polls the container's cgroup.procs so that processes are placed while they live, however briefly. */
function pollCgroup(
  attribution: ContainerAttribution,
  procsFiles: string[],
  containerId: string,
): () => void {
  let file = procsFiles.find((candidate) => existsSync(candidate));
  let busy = false;
  const timer = setInterval(() => {
    if (busy || !file) return;
    busy = true;
    readFile(file, 'utf8')
      .then((text) => {
        for (const pid of text.split('\n')) if (pid !== '') attribution.place(Number(pid), containerId);
      })
      .catch(() => {
        // The container is gone: its cgroup went with it.
        file = undefined;
      })
      .finally(() => {
        busy = false;
      });
  }, CGROUP_POLL_MS);
  return () => clearInterval(timer);
}

function exitCodeOf(result: { exitCode?: number; signal?: string }): number {
  if (result.exitCode !== undefined) return result.exitCode;
  const number = result.signal ? osConstants.signals[result.signal as NodeJS.Signals] : undefined;
  return number === undefined ? 1 : 128 + number;
}

/**
 * Records a `docker run` / `podman run`: the container runs with a complain-mode profile and the
 * user's stdio, and the kernel's SECCOMP records of that container's processes only are harvested.
 */
export async function recordContainer(
  argv: string[],
  options: ContainerRecordOptions,
): Promise<ContainerRecording> {
  const host = hostInfo();
  const directory = await mkdtemp(join(tmpdir(), 'seccomp-learn-'));
  const cleanups: (() => Promise<void> | void)[] = [() => rm(directory, { recursive: true, force: true })];
  try {
    const profilePath = join(directory, 'log-profile.json');
    await writeFile(profilePath, JSON.stringify(logProfile(host.arch)), { mode: 0o600 });
    const run = prepareContainerRun(argv, profilePath, join(directory, 'container.cid'));

    const builder = new RecordingBuilder();
    const attribution = new ContainerAttribution();
    const processKey = `seccomp-learn-${process.pid}`;
    let seen = 0;
    // Every container seen is polled, not only ours: a record must be placed in the right one.
    const pollers = new Map<string, () => void>();
    cleanups.push(() => {
      for (const stop of pollers.values()) stop();
    });

    const parser = createAuditParser({
      file: options.auditLog ?? DEFAULT_AUDIT_LOG,
      host: host.arch,
      onRecord(record) {
        if (record.pid === undefined || record.action !== 'log') return;
        seen++;
        if (!attribution.isPlaced(record.pid)) {
          const placed = containerOfPid(record.pid);
          if (placed) {
            attribution.place(record.pid, placed.containerId);
            if (placed.containerId && placed.procsFiles && !pollers.has(placed.containerId)) {
              pollers.set(placed.containerId, pollCgroup(attribution, placed.procsFiles, placed.containerId));
            }
          }
        }
        attribution.record(record.pid, record.abi, record.syscall);
      },
      onNotice: (notice) => builder.notice(notice),
    });
    const marker = `${processKey}-end-${Date.now()}`;
    let markerSeen: () => void = () => undefined;
    const markerArrived = new Promise<void>((resolve) => {
      markerSeen = resolve;
    });
    const onLine = (line: string, lineNumber: number): void => {
      if (line.includes(marker)) {
        markerSeen();
        return;
      }
      const exit = parseProcessExitRecord(line, processKey);
      if (exit) attribution.parent(exit.pid, exit.parent);
      else parser.push(line, lineNumber);
    };

    const useAuditd = options.auditLog !== undefined || (await auditdRunning());
    const lostBefore = (await auditStatus())?.lost;
    const removeExitRules = await addProcessExitRules(processKey);
    if (removeExitRules) cleanups.push(removeExitRules);
    const source = useAuditd
      ? await followAuditLog(options.auditLog ?? DEFAULT_AUDIT_LOG, onLine)
      : followDmesg(onLine);

    const startedAt = new Date().toISOString();
    const child = execa(run.argv[0] as string, run.argv.slice(1), { stdio: 'inherit', reject: false });
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map(
      (signal) => [signal, forward(signal)] as const,
    );
    for (const [signal, handler] of handlers) process.on(signal, handler);
    cleanups.push(() => {
      for (const [signal, handler] of handlers) process.off(signal, handler);
    });
    const result = await child;
    const endedAt = new Date().toISOString();
    if ((result as ExecaError).code === 'ENOENT')
      throw new UserError(`${run.engine} is not installed or not on PATH`);

    if (useAuditd && (await sendAuditMarker(marker))) {
      let timer: NodeJS.Timeout | undefined;
      const arrived = await Promise.race([
        markerArrived.then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), MARKER_TIMEOUT_MS);
        }),
      ]);
      clearTimeout(timer);
      if (!arrived) {
        builder.notice({
          code: 'lost-records',
          message: `the audit log did not catch up within ${MARKER_TIMEOUT_MS / 1000} s after the container ended: records may be missing`,
        });
      }
    } else {
      await new Promise((resolve) => setTimeout(resolve, DMESG_SETTLE_MS));
    }
    await source.stop();
    const lostAfter = (await auditStatus())?.lost;

    const containerId = (
      await readFile(run.userCidFile ?? join(directory, 'container.cid'), 'utf8').catch(() => '')
    ).trim();
    if (containerId === '') {
      throw new UserError(
        `${run.engine} did not create the container (exit ${exitCodeOf(result)}): see its message above`,
      );
    }
    if (seen === 0) {
      throw new UserError(
        `no SECCOMP records arrived from ${source.name}: is the kernel's audit enabled and SCMP_ACT_LOG in /proc/sys/kernel/seccomp/actions_logged?`,
      );
    }
    parser.finish();

    const attributed = attribution.finish(containerId);
    for (const call of attributed.mine) builder.count(call.abi, call.syscall, call.calls, 0);
    if (attributed.unresolved.calls > 0) {
      const names = [...attributed.unresolved.syscalls.values()]
        .map(({ abi, syscall }) =>
          typeof syscall === 'number' ? (syscallName(abi, syscall) ?? `${abi}:${syscall}`) : syscall,
        )
        .sort()
        .join(' ');
      builder.notice({
        code: 'unresolved-process',
        count: attributed.unresolved.calls,
        message: `${attributed.unresolved.calls} record(s) of ${attributed.unresolved.pids} process(es) that ended before they could be placed in a container were left out (${names})`,
      });
    }
    if (lostBefore !== undefined && lostAfter !== undefined && lostAfter > lostBefore) {
      builder.notice({
        code: 'lost-records',
        count: lostAfter - lostBefore,
        message: `the kernel's audit lost counter rose by ${lostAfter - lostBefore} during the run (auditctl -s): records are missing`,
      });
    }
    if (!removeExitRules) {
      builder.notice({
        code: 'unresolved-process',
        message:
          'could not add audit rules for process exits (auditctl): short-lived processes may be missed',
      });
    }
    const recording = builder.build({
      source: 'container',
      command: argv,
      container: {
        engine: run.engine,
        id: containerId,
        ...(run.image ? { image: run.image } : {}),
        attribution: {
          processesPlacedLive: attributed.placedLive,
          processesPlacedByParent: attributed.placedByAncestry,
          unresolvedRecords: attributed.unresolved.calls,
          otherRecords: attributed.othersCalls,
        },
      },
      inputs: [source.name],
      startedAt,
      endedAt,
      host,
      seccompLearn: VERSION,
      exitCode: exitCodeOf(result),
    });
    return { recording, exitCode: exitCodeOf(result) };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}
