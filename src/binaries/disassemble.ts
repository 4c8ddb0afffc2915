import { execa } from 'execa';
import { type ObjdumpListing, ObjdumpParser } from '../../parsers/objdump.js';
import { EnvironmentError, InputError } from '../errors.js';

/**
 * Disassembles the executable sections of `path` with binutils' objdump (AT&T syntax). The listing
 * (12 MB for libc, 30 MB for python3) is parsed as it streams in, so that parsing runs while
 * objdump is still decoding: on a cold cache the two together are most of the time taken.
 */
export async function disassemble(path: string): Promise<ObjdumpListing> {
  const parser = new ObjdumpParser();
  const child = execa('objdump', ['-d', '--no-show-raw-insn', path], { buffer: { stdout: false } });
  // Chunks are split here rather than through a line stream: an event per line costs as much as
  // parsing it, at 700,000 lines.
  let rest = '';
  child.stdout.setEncoding('latin1');
  child.stdout.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) parser.push(line);
  });
  const drained = new Promise<void>((resolve, reject) => {
    child.stdout.on('end', () => {
      parser.push(rest);
      resolve();
    });
    child.stdout.on('error', reject);
  });
  try {
    await child;
    await drained;
  } catch (error) {
    const failure = error as { code?: string; stderr?: string; shortMessage?: string };
    if (failure.code === 'ENOENT') {
      throw new EnvironmentError(
        'objdump is not installed: reachability disassembles binaries with it (Debian/Ubuntu: apt-get install binutils)',
      );
    }
    const said = failure.stderr?.trim().split('\n').at(-1) || failure.shortMessage || String(error);
    throw new InputError(path, undefined, `objdump cannot disassemble it: ${said}`);
  }
  return parser.listing();
}
