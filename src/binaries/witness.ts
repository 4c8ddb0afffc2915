/** One way a syscall is reached: named in notes, kept apart so that the command line's help loads no disassembler. */
export interface Witness {
  /** The imported function through which the call is reached; absent when the file's own code makes it. */
  function?: string;
  /** The file that imports `function`, or whose code holds the `syscall` instruction. */
  binary: string;
}

/** "through fsync of /usr/bin/redis-server", or "in the code of /bin/busybox". */
export function describeWitness(witness: Witness): string {
  return witness.function === undefined
    ? `in the code of ${witness.binary}`
    : `through ${witness.function} of ${witness.binary}`;
}
