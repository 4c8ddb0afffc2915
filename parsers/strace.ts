import path from 'node:path';
import type { Readable } from 'node:stream';
import { InputError } from '../src/errors.js';
import type { LineParser } from '../src/sources/lines.js';
import { feedLines } from '../src/sources/lines.js';
import type { Abi } from '../src/syscalls/abi.js';
import type { ObservationSink } from './observation.js';
import { createStraceSummaryParser, excerpt, isSummaryHeader, summaryTitle } from './strace-summary.js';
import { createStraceTraceParser, straceLineKind } from './strace-trace.js';

export type StraceForm = 'summary' | 'trace';

export interface LearnFromStraceOptions {
  /** The machine strace ran on; its native ABI is strace's personality 0. */
  readonly host: Abi;
  /** The traced process for a `-ff` file (see straceFfPid), whose lines carry no pid. */
  readonly pid?: number;
  /** strace attached with `-p` and detached at the end (see StraceTraceOptions.attached). */
  readonly attached?: boolean;
}

/**
 * Reads strace output of either form, a `-c` summary or a full trace, and reports its syscall counts
 * to `sink`. The form is decided by the first line that only one of them can contain; lines before it
 * that both accept are held back and replayed, so the input is read once.
 * A `-C` output (trace then summary) is read as a trace, its table filling in only what the trace lacks.
 */
export async function learnFromStrace(
  input: Readable,
  source: string,
  sink: ObservationSink,
  options: LearnFromStraceOptions,
): Promise<StraceForm> {
  const detector = createFormDetector(sink, source, options);
  await feedLines(input, source, detector);
  const form = detector.form();
  if (form === undefined) throw new Error('strace form undecided after a successful parse');
  return form;
}

function createFormDetector(
  sink: ObservationSink,
  file: string,
  options: LearnFromStraceOptions,
): LineParser & { form(): StraceForm | undefined } {
  let parser: LineParser | undefined;
  let form: StraceForm | undefined;
  /** Personality notices come before the first trace line or `-c` table and mean something to either. */
  const undecided: Array<[string, number]> = [];
  /** The first line neither form accepts: skipped if a summary follows (program output), fatal for a trace. */
  let foreign: [string, number] | undefined;
  let text = false;

  const decide = (chosen: StraceForm, line: string, lineNumber: number): void => {
    form = chosen;
    parser =
      chosen === 'summary'
        ? createStraceSummaryParser(sink, { file, host: options.host })
        : createStraceTraceParser(sink, {
            file,
            host: options.host,
            pid: options.pid,
            attached: options.attached,
          });
    for (const [held, heldNumber] of undecided) parser.push(held, heldNumber);
    undecided.length = 0;
    parser.push(line, lineNumber);
  };

  return {
    form: () => form,
    push(line, lineNumber) {
      if (parser) {
        parser.push(line, lineNumber);
        return;
      }
      const kind = straceLineKind(line);
      if (kind === 'ignored') {
        text ||= line.trim() !== '';
        return;
      }
      text = true;
      if (kind === 'personality') {
        undecided.push([line, lineNumber]);
      } else if (kind !== 'unknown') {
        if (foreign) throw new InputError(file, foreign[1], `not strace output: ${excerpt(foreign[0])}`);
        decide('trace', line, lineNumber);
      } else if (isSummaryHeader(line) || summaryTitle(line) !== undefined) {
        decide('summary', line, lineNumber);
      } else {
        foreign ??= [line, lineNumber];
      }
    },
    finish() {
      if (parser) {
        parser.finish();
        return;
      }
      if (!text) throw new InputError(file, undefined, 'empty input: no strace output');
      throw new InputError(
        file,
        foreign?.[1],
        `not strace output: no trace line and no -c summary table${foreign ? ` (first unrecognised line: ${excerpt(foreign[0])})` : ''}`,
      );
    },
  };
}

/** The pid in the name of a `strace -ff -o prefix` output file (`prefix.PID`), if it has one. */
export function straceFfPid(file: string): number | undefined {
  const match = /\.([0-9]+)$/.exec(path.basename(file));
  const pid = match?.[1] === undefined ? Number.NaN : Number(match[1]);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

export interface FfFile {
  readonly path: string;
  readonly pid: number;
}

/**
 * Groups the files of `strace -ff -o prefix` runs by prefix (`out.12`, `out.13` → `out`), each group
 * sorted by pid. Paths with no `.PID` suffix are returned in `others`.
 */
export function groupFfFiles(paths: readonly string[]): { groups: Map<string, FfFile[]>; others: string[] } {
  const groups = new Map<string, FfFile[]>();
  const others: string[] = [];
  for (const file of paths) {
    const pid = straceFfPid(file);
    if (pid === undefined) {
      others.push(file);
      continue;
    }
    const prefix = file.slice(0, file.lastIndexOf('.'));
    const group = groups.get(prefix) ?? [];
    group.push({ path: file, pid });
    groups.set(prefix, group);
  }
  for (const group of groups.values()) group.sort((a, b) => a.pid - b.pid);
  return { groups, others };
}
