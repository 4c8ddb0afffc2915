import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ExecaError, execa } from 'execa';
import {
  type AuditStatus,
  createAuditParser,
  parseAuditStatus,
  type SeccompAuditRecord,
} from '../../parsers/audit.js';
import { parseRuleRecord } from '../../parsers/audit-process.js';
import { loadedFiles } from '../binaries/libraries.js';
import { UserError } from '../errors.js';
import { logProfile } from '../profile/log-profile.js';
import { profileJson, type SeccompProfile } from '../profile/model.js';
import { RecordingBuilder } from '../recording/builder.js';
import type { ContainerAttributionSummary, Recording } from '../recording/model.js';
import {
  type AttributionResult,
  auditedArguments,
  ContainerAttribution,
  containerOfPid,
  placeThroughHolders,
  pollCgroup,
} from '../sources/attribution.js';
import { followAuditLog, followDmesg } from '../sources/audit-input.js';
import { DEFAULT_AUDIT_LOG } from '../sources/audit-log.js';
import {
  addRecordingRules,
  auditdRunning,
  auditStatusText,
  EXIT_RECORD_KEY,
  exitRuleKey,
  removeStaleExitRules,
  sendAuditMarker,
} from '../sources/audit-rules.js';
import { prepareContainerRun } from '../sources/container-command.js';
import { ImageFiles, imageLayers } from '../sources/container-image.js';
import { hostInfo } from '../sources/host.js';
import { exitCodeOf, forwardStopSignals, workloadStdio } from '../sources/process.js';
import { type Abi, abiFromAuditArch } from '../syscalls/abi.js';
import { syscallName } from '../syscalls/table.js';
import { makePrivateDirectory } from '../util/files.js';
import { VERSION } from '../version.js';

export interface ContainerRecordOptions {
  /** Read this audit log instead of auditd's default (or dmesg when auditd is not running). */
  auditLog?: string;
  /** The container's stdout goes to our stderr (record --json keeps stdout for the JSON). */
  stdoutToStderr?: boolean;
  /** Told what seccomp-learn did on the host besides recording (stale audit rules it removed). */
  onNote?: (message: string) => void;
  /**
   * Run under this profile instead of the complain-mode one: verify's copy of a profile whose
   * default is to log. Then no record at all is an answer (the profile covers the run), not an error.
   */
  profile?: SeccompProfile;
}

export interface ContainerRecording {
  recording: Recording;
  exitCode: number;
}

/**
 * Records reach the log after the syscall, later still on a busy host. After the container ends, a
 * marker is sent through the audit queue (`auditctl -m`); everything queued before it has been
 * written once the marker shows up. Without auditd (dmesg) there is no such order: wait a while.
 */
const MARKER_TIMEOUT_MS = 15_000;
const DMESG_SETTLE_MS = 1_000;

/**
 * The kernel's records during one container run: SECCOMP records go to the attribution, placed by
 * cgroup while their process lives; process-exit records (our audit rules) give parents; the
 * end marker says the log has caught up.
 */
/** The name runc's init process has until it executes the container's program. */
const RUNC_INIT_COMM = 'runc:[2:INIT]';

class ContainerHarvest {
  readonly attribution = new ContainerAttribution();
  readonly builder = new RecordingBuilder();
  readonly processKey = exitRuleKey(process.pid);
  readonly marker = `${this.processKey}-end-${Date.now()}`;
  records = 0;
  /** Whether the container's program itself made calls, not only the runtime before its execve; set by finish(). */
  programRan = false;
  /** Processes seen under another name than the runtime's init: their program was executed. */
  private readonly programPids = new Set<number>();
  /** Processes with a SECCOMP record: the filter is in place, their rule records are the container's calls. */
  private readonly filtered = new Set<number>();
  /** What each process runs (exe=, a path in the container), for the recording's binaries. */
  private readonly exeOf = new Map<number, string>();
  /** The executables the container's own processes ran, paths in the container; set by finish(). */
  executables: string[] = [];
  private readonly parser;
  // Every container seen is polled, not only ours: a record must be placed in the right one.
  private readonly pollers = new Map<string, () => void>();
  private markerSeen: () => void = () => undefined;
  private readonly markerArrived = new Promise<void>((resolve) => {
    this.markerSeen = resolve;
  });

  /** `requireRecords` false: no record is an answer (verify's profile covered the run). */
  constructor(file: string, host: Abi, requireRecords: boolean) {
    this.parser = createAuditParser({
      file,
      host,
      requireRecords,
      onRecord: (record) => this.onRecord(record),
      onNotice: (notice) => this.builder.notice(notice),
    });
  }

  readonly onLine = (line: string, lineNumber: number): void => {
    if (line.includes(this.marker)) {
      this.markerSeen();
      return;
    }
    // Every seccomp-learn run's rule records give parents: a process of another container learning
    // at the same time is then placed (as someone else's) instead of left unresolved. A call matching
    // the rules of two runs is logged once, under one key: its arguments are read whatever the key.
    const key = EXIT_RECORD_KEY.exec(line)?.[1];
    const ruled = key === undefined ? undefined : parseRuleRecord(line, key);
    if (!ruled) {
      this.parser.push(line, lineNumber);
      return;
    }
    this.attribution.parent(ruled.pid, ruled.parent);
    // Before its first SECCOMP record a process is still the runtime setting up (its unshare, setns…).
    const abi = abiFromAuditArch(ruled.auditArch, ruled.syscall);
    if (abi !== undefined && this.filtered.has(ruled.pid))
      this.attribution.audit(ruled.pid, abi, ruled.syscall, ruled.registers);
  };

  private onRecord(record: SeccompAuditRecord): void {
    if (record.pid === undefined || record.action !== 'log') return;
    this.filtered.add(record.pid);
    if (record.comm !== undefined && record.comm !== RUNC_INIT_COMM) {
      this.programPids.add(record.pid);
      if (record.exe !== undefined) this.exeOf.set(record.pid, record.exe);
    }
    this.records++;
    if (!this.attribution.isPlaced(record.pid)) {
      const placed = containerOfPid(record.pid);
      if (placed) {
        this.attribution.place(record.pid, placed.containerId);
        if (placed.containerId && placed.procsFiles && !this.pollers.has(placed.containerId)) {
          this.pollers.set(
            placed.containerId,
            pollCgroup(this.attribution, placed.procsFiles, placed.containerId),
          );
        }
      }
    }
    this.attribution.record(record.pid, record.abi, record.syscall);
  }

  /** True when the marker sent after the run came through the log within the time allowed. */
  async caughtUp(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const arrived = await Promise.race([
      this.markerArrived.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return arrived;
  }

  stopPolling(): void {
    for (const stop of this.pollers.values()) stop();
  }

  /**
   * The learned arguments from the rule records (src/sources/attribution.ts: auditedArguments); a call
   * whose records do not all match is unread, and said, so the profile keeps Docker's form for it.
   */
  private learnArguments(attributed: AttributionResult): void {
    for (const call of auditedArguments(attributed)) {
      for (const [key, values] of call.arguments) {
        if (values === undefined) this.builder.argument(call.abi, call.name, key, undefined);
        else for (const value of values) this.builder.argument(call.abi, call.name, key, value);
      }
      if (call.audited !== call.logged) {
        this.builder.notice({
          code: 'unread-arguments',
          abi: call.abi,
          message: `${call.name}: seccomp logged ${call.logged} call(s), the audit rule for its arguments ${call.audited}: its arguments are unread, and the profile keeps Docker's form for it`,
        });
      }
    }
  }

  /** The container's calls into the builder; what could not be placed becomes a warning. */
  finish(containerId: string, rules: { exits: boolean; arguments: boolean }): ContainerAttributionSummary {
    this.parser.finish();
    const attributed = this.attribution.finish(containerId);
    this.programRan = attributed.minePids.some((pid) => this.programPids.has(pid));
    this.executables = [
      ...new Set(
        attributed.minePids.flatMap((pid) => (this.exeOf.has(pid) ? [this.exeOf.get(pid) as string] : [])),
      ),
    ].sort();
    for (const call of attributed.mine) this.builder.count(call.abi, call.syscall, call.calls, undefined);
    if (rules.arguments) this.learnArguments(attributed);
    if (attributed.unresolved.calls > 0) {
      const names = [...attributed.unresolved.syscalls.values()]
        .map(({ abi, syscall }) =>
          typeof syscall === 'number' ? (syscallName(abi, syscall) ?? `${abi}:${syscall}`) : syscall,
        )
        .sort()
        .join(' ');
      const why = rules.exits
        ? ''
        : ' (audit rules for process exits could not be added, so parents were unknown)';
      this.builder.notice({
        code: 'unresolved-process',
        count: attributed.unresolved.calls,
        message: `${attributed.unresolved.calls} record(s) of ${attributed.unresolved.pids} process(es) that ended before they could be placed in a container were left out${why}: ${names}`,
      });
    }
    return {
      processesPlacedLive: attributed.placedLive,
      processesPlacedByParent: attributed.placedByAncestry,
      unresolvedRecords: attributed.unresolved.calls,
      otherRecords: attributed.othersCalls,
    };
  }
}

/** The kernel's audit status, or why it could not be read: the caller must say so, lost records would go unnoticed. */
async function auditStatus(): Promise<{ status: AuditStatus } | { problem: string }> {
  const read = await auditStatusText();
  if ('problem' in read) return read;
  try {
    return { status: parseAuditStatus(read.text) };
  } catch (error) {
    return { problem: error instanceof Error ? error.message : String(error) };
  }
}

/** The id the engine wrote to the cid file: none means it never created the container. */
export async function createdContainerId(
  run: { engine: string; userCidFile?: string },
  cidFile: string,
  exitCode: number,
): Promise<string> {
  const containerId = (await readFile(run.userCidFile ?? cidFile, 'utf8').catch(() => '')).trim();
  if (containerId === '') {
    throw new UserError(
      `${run.engine} did not create the container (exit ${exitCode}): see its message above`,
    );
  }
  return containerId;
}

/**
 * Exit 127 or 126 with nothing of the program seen: only the runtime ran, and the program was not
 * found or not executable (`exec: "x": ... not found`). Nothing was learned; that is an error.
 */
export function refuseUnstartedProgram(engine: string, exitCode: number, programRan: boolean): void {
  if ((exitCode !== 127 && exitCode !== 126) || programRan) return;
  throw new UserError(
    `${engine} could not start the container's program (exit ${exitCode}: ${exitCode === 127 ? 'not found' : 'not executable'}; see its message above): nothing of it was learned, no profile written`,
    exitCode,
  );
}

/**
 * The container's executables (exe= of its records, paths in the container) and the libraries each
 * loads, found in the image's layers as the container saw them: host paths, for --widen reachable.
 */
export async function imageBinaries(
  run: { engine: string; image?: string },
  executables: readonly string[],
  warn: (message: string) => void,
): Promise<{ binaries: string[]; libraries: string[] }> {
  if (!run.image || executables.length === 0) return { binaries: [], libraries: [] };
  const layers = await imageLayers(run.engine, run.image);
  if (layers.length === 0) {
    warn(
      `${run.engine} does not say where the files of image ${run.image} are (not overlay storage): --widen reachable cannot read its binaries`,
    );
    return { binaries: [], libraries: [] };
  }
  const image = new ImageFiles(layers);
  const binaries = new Set<string>();
  const libraries = new Set<string>();
  for (const executable of executables) {
    const loaded = await loadedFiles(executable, image).catch((error: Error) => {
      warn(`${executable} in image ${run.image}: ${error.message}: what it can call is not counted`);
      return undefined;
    });
    if (!loaded) continue;
    const [main, ...rest] = loaded.files;
    if (main !== undefined) binaries.add(main);
    for (const library of rest) libraries.add(library);
    for (const name of loaded.missing)
      warn(
        `${executable} in image ${run.image}: ${name} was not found in the image: what it can call is not counted`,
      );
  }
  return { binaries: [...binaries], libraries: [...libraries].filter((file) => !binaries.has(file)) };
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
  const directory = await makePrivateDirectory();
  const cleanups: (() => Promise<void> | void)[] = [() => rm(directory, { recursive: true, force: true })];
  try {
    const profilePath = join(directory, 'log-profile.json');
    await writeFile(profilePath, profileJson(options.profile ?? logProfile(host.arch)), { mode: 0o600 });
    const cidFile = join(directory, 'container.cid');
    const run = prepareContainerRun(argv, profilePath, cidFile);
    const auditLog = options.auditLog ?? DEFAULT_AUDIT_LOG;
    const harvest = new ContainerHarvest(auditLog, host.arch, options.profile === undefined);
    cleanups.push(() => harvest.stopPolling());

    const useAuditd = options.auditLog !== undefined || (await auditdRunning());
    const stale = await removeStaleExitRules();
    if (stale.removed > 0 || stale.failed > 0) {
      options.onNote?.(
        `removed ${stale.removed} audit rule(s) left behind by seccomp-learn run(s) that ended without removing them (pid ${stale.pids.join(', ')})${stale.failed > 0 ? `; ${stale.failed} could not be removed: see auditctl -l` : ''}`,
      );
    }
    const before = await auditStatus();
    const statusBefore = 'status' in before ? before.status : undefined;
    if ('problem' in before) {
      harvest.builder.notice({
        code: 'audit-status-unknown',
        message: `the kernel's audit status could not be read before the run (${before.problem}): lost records would go unnoticed`,
      });
    }
    if (statusBefore?.enabled === 0) {
      throw new UserError(
        "the kernel's audit is disabled (auditctl -s: enabled 0): it is needed to place short-lived processes and to know the log has caught up; enable it with: auditctl -e 1",
      );
    }
    const lostBefore = statusBefore?.lost;
    const rules = await addRecordingRules(harvest.processKey);
    cleanups.push(() => rules.remove());
    const source = useAuditd
      ? await followAuditLog(auditLog, harvest.onLine, (message) =>
          harvest.builder.notice({ code: 'lost-records', message }),
        )
      : await followDmesg(harvest.onLine);

    const startedAt = new Date().toISOString();
    const child = execa(run.argv[0] as string, run.argv.slice(1), {
      stdio: workloadStdio(options.stdoutToStderr),
      reject: false,
    });
    // The client proxies signals to the container (docker run --sig-proxy, the default).
    cleanups.push(forwardStopSignals((signal) => child.kill(signal)));
    const holdersFound = placeThroughHolders(harvest.attribution, child);
    const result = await child;
    await holdersFound;
    const endedAt = new Date().toISOString();
    if ((result as ExecaError).code === 'ENOENT')
      throw new UserError(`${run.engine} is not installed or not on PATH`);
    const exitCode = exitCodeOf(result);

    const markerSent = useAuditd && (await sendAuditMarker(harvest.marker));
    if (markerSent) {
      if (!(await harvest.caughtUp(MARKER_TIMEOUT_MS))) {
        harvest.builder.notice({
          code: 'lost-records',
          message: `the audit log did not catch up within ${MARKER_TIMEOUT_MS / 1000} s after the container ended: records may be missing`,
        });
      }
    } else {
      // Without the marker nothing shows when the log has caught up: a skipped check the recording must name.
      if (useAuditd) {
        harvest.builder.notice({
          code: 'audit-status-unknown',
          message: `no marker could be sent through the audit queue (auditctl -m failed): whether ${auditLog} caught up after the container ended is unknown, records at its end may be missing`,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, DMESG_SETTLE_MS));
    }
    await source.stop();
    const after = await auditStatus();
    const lostAfter = 'status' in after ? after.status.lost : undefined;
    if ('problem' in after && statusBefore !== undefined) {
      harvest.builder.notice({
        code: 'audit-status-unknown',
        message: `the kernel's audit status could not be read after the run (${after.problem}): lost records would go unnoticed`,
      });
    }

    // No cid file means the engine never created the container: said just below.
    const containerId = await createdContainerId(run, cidFile, exitCode);
    if (harvest.records === 0 && !options.profile) {
      throw new UserError(
        `no SECCOMP records arrived from ${source.name}: is the kernel's audit enabled and SCMP_ACT_LOG in /proc/sys/kernel/seccomp/actions_logged?`,
      );
    }
    const attribution = harvest.finish(containerId, rules);
    refuseUnstartedProgram(run.engine, exitCode, harvest.programRan);
    if (attribution.processesPlacedLive + attribution.processesPlacedByParent === 0 && harvest.records > 0) {
      // Nothing to learn from; when records could not be placed, that is the loss exit code, not 2.
      throw new UserError(
        `no SECCOMP record could be placed in the container ${containerId.slice(0, 12)}${attribution.unresolvedRecords > 0 ? ` (${attribution.unresolvedRecords} record(s) of processes that ended before they could be placed)` : ''}: record again`,
        attribution.unresolvedRecords > 0 ? 3 : 2,
      );
    }
    if (lostBefore !== undefined && lostAfter !== undefined && lostAfter > lostBefore) {
      harvest.builder.notice({
        code: 'lost-records',
        count: lostAfter - lostBefore,
        message: `the kernel's audit lost counter rose by ${lostAfter - lostBefore} during the run (auditctl -s): records are missing`,
      });
    }
    // The image's layers outlive a --rm container: its executables and their libraries are read from there for --widen reachable.
    const { binaries, libraries } = await imageBinaries(run, harvest.executables, (message) =>
      harvest.builder.notice({ code: 'incomplete-binaries', message }),
    );
    const recording = harvest.builder.build({
      // libraries present, even empty, says they were looked up in the image, not to be found on the host.
      ...(binaries.length > 0 ? { binaries, libraries } : {}),
      source: 'container',
      ...(rules.arguments
        ? {}
        : {
            arguments:
              'none: the audit rules that log the learned calls with their arguments could not be added (auditctl -a failed)',
          }),
      command: argv,
      container: {
        engine: run.engine,
        id: containerId,
        ...(run.image ? { image: run.image } : {}),
        attribution,
      },
      inputs: [source.name],
      startedAt,
      endedAt,
      host,
      seccompLearn: VERSION,
      exitCode,
    });
    return { recording, exitCode };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}
