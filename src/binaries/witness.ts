/** One way a syscall is reached: named in notes, kept apart so that the command line's help loads no disassembler. */
export interface Witness {
  /** The imported function through which the call is reached; absent when the file's own code makes it. */
  function?: string;
  /** The file that imports `function`, or whose code holds the `syscall` instruction. */
  binary: string;
}

/**
 * A container's file is read from its image's layer on the host
 * (`/var/lib/docker/overlay2/ID/diff/usr/bin/python3.11`, Podman's `…/overlay/ID/diff/…`): shown as
 * the path the workload saw, with the layer, since the host path runs past any table's width.
 */
const IN_LAYER = /\/overlay2?\/([0-9a-f]{12})[0-9a-f]*\/diff(\/.+)$/;

/** A binary's path as its reader knows it: `/usr/bin/python3.11 (image layer ec2acbb4610a)`. */
export function binaryLabel(path: string): string {
  const layer = IN_LAYER.exec(path);
  return layer ? `${layer[2]} (image layer ${layer[1]})` : path;
}

/** "through fsync of /usr/bin/redis-server", or "in the code of /bin/busybox". */
export function describeWitness(witness: Witness): string {
  const binary = binaryLabel(witness.binary);
  return witness.function === undefined
    ? `in the code of ${binary}`
    : `through ${witness.function} of ${binary}`;
}
