import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { groupFfFiles, learnFromStrace, straceFfPid } from '../../parsers/strace.js';
import { InputError } from '../errors.js';
import { RecordingMerger } from '../merge/recordings.js';
import { RecordingBuilder } from '../recording/builder.js';
import type { Recording } from '../recording/model.js';
import { hostInfo } from '../sources/host.js';
import { VERSION } from '../version.js';
import { type GenerationChoices, type LearnResult, planLearned, saveLearned } from './learned.js';

function open(file: string): Readable {
  return file === '-' ? process.stdin : createReadStream(file);
}

/** One run's files: one strace output, or the PREFIX.PID files of one `strace -ff -o PREFIX`. */
async function learnRun(files: string[]): Promise<Recording> {
  const host = hostInfo();
  const builder = new RecordingBuilder();
  const kinds = new Set<string>();
  for (const file of files) {
    const pid = files.length > 1 ? straceFfPid(file) : undefined;
    const stream = open(file);
    // The read error reaches learnFromStrace through the stream; this keeps it from being unhandled too.
    stream.on('error', () => undefined);
    kinds.add(
      await learnFromStrace(stream, file === '-' ? '<stdin>' : file, builder, { host: host.arch, pid }),
    );
  }
  const source = kinds.has('trace') ? 'strace-trace' : 'strace-summary';
  return builder.build({ source, inputs: files, host, seccompLearn: VERSION });
}

/** Learns from strace output made elsewhere: every file a run, merged; `-` is standard input. */
export async function learnFromStraceFiles(
  files: string[],
  options: GenerationChoices & { output: string },
): Promise<LearnResult> {
  if (files.filter((file) => file === '-').length > 1)
    throw new InputError('-', undefined, 'standard input can be read once');
  const outputs = await planLearned(options.output, options.format, files);
  const merger = new RecordingMerger();
  // Files of one `strace -ff -o PREFIX` run (PREFIX.PID) are one run; any other file is a run of its own.
  const { groups, others } = groupFfFiles(files.filter((file) => file !== '-'));
  const runs = [
    ...[...groups.values()].map((group) => group.map((file) => file.path)),
    ...others.map((file) => [file]),
  ];
  if (files.includes('-')) runs.push(['-']);
  for (const run of runs) merger.add(await learnRun(run));
  return saveLearned(merger.result(), options, outputs, {});
}
