import { createReadStream } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { learnFromStrace } from '../../parsers/strace.js';
import { RecordingBuilder } from '../../src/recording/builder.js';
import type { Recording } from '../../src/recording/model.js';
import { SAMPLES } from './cli.js';

/**
 * A recording learnt in-process from a captured trace in samples/traces/, as `from-strace` learns
 * it, on a fixed x86_64 host so that what it is compared with does not depend on this machine.
 */
export async function sampleRecording(sample: string): Promise<Recording> {
  const file = join(SAMPLES, sample);
  const builder = new RecordingBuilder();
  const form = await learnFromStrace(createReadStream(file), file, builder, { host: 'x86_64' });
  return builder.build({
    source: form === 'trace' ? 'strace-trace' : 'strace-summary',
    inputs: [file],
    host: { kernel: '6.1.0', arch: 'x86_64' },
    seccompLearn: '0.1.0',
  });
}

/** `recording` written to a new temporary directory as NAME.recording.json, for what reads files. */
export async function writeRecording(name: string, recording: unknown): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'sl-sample-')), `${name}.recording.json`);
  await writeFile(file, JSON.stringify(recording));
  return file;
}
