import { watch } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { LineFeed } from './lines.js';

/**
 * Follows a growing log file from `offset` the way `tail -F` does, handing complete lines to `onLine`.
 * It polls as well as watching, because inotify events are not delivered for every filesystem. When
 * auditd rotates the log (renames it and starts a new one), the renamed file is read to its end
 * through the descriptor already open, then the new file from its start: a rotation loses nothing,
 * and the moment between the rename and the new file is waited out, never an error.
 */
export class FileFollower {
  private position: number;
  private readonly lines: LineFeed;
  private timer: NodeJS.Timeout | undefined;
  private watcher: ReturnType<typeof watch> | undefined;
  private reading: Promise<void> = Promise.resolve();
  /** The first error of a read or of `onLine`; raised by stop() rather than lost in the polling loop. */
  private failure: unknown;

  private constructor(
    private readonly path: string,
    private handle: FileHandle,
    private inode: number,
    offset: number,
    onLine: (line: string, lineNumber: number) => void,
    private readonly intervalMs = 20,
  ) {
    this.position = offset;
    this.lines = new LineFeed(onLine);
  }

  static async fromEnd(
    path: string,
    onLine: (line: string, lineNumber: number) => void,
  ): Promise<FileFollower> {
    const handle = await open(path, 'r');
    const { size, ino } = await handle.stat();
    return new FileFollower(path, handle, ino, size, onLine);
  }

  start(): void {
    this.timer = setInterval(() => this.poke(), this.intervalMs);
    try {
      this.watcher = watch(this.path, () => this.poke());
    } catch {
      // polling alone still works
    }
  }

  private poke(): void {
    this.reading = this.reading
      .then(() => (this.failure === undefined ? this.readNew() : undefined))
      .catch((error: unknown) => {
        this.failure ??= error;
      });
  }

  private async readNew(): Promise<void> {
    await this.drain();
    let current: { ino: number; size: number };
    try {
      current = await stat(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // renamed, the new file not yet made
      throw error;
    }
    if (current.ino !== this.inode) {
      // Rotated: what was written to the old file before the rename is read above; now the new one.
      await this.drain();
      await this.handle.close();
      this.handle = await open(this.path, 'r');
      this.inode = (await this.handle.stat()).ino;
      this.position = 0;
      await this.drain();
    } else if (current.size < this.position) {
      // Truncated in place (copytruncate): start again from the beginning.
      this.position = 0;
      this.lines.discardPartial();
      await this.drain();
    }
  }

  /** Reads the open file from the last position to its end. */
  private async drain(): Promise<void> {
    const { size } = await this.handle.stat();
    while (this.position < size) {
      const buffer = Buffer.alloc(Math.min(size - this.position, 16 * 1024 * 1024));
      const { bytesRead } = await this.handle.read(buffer, 0, buffer.length, this.position);
      if (bytesRead === 0) return;
      this.position += bytesRead;
      this.lines.write(buffer.subarray(0, bytesRead));
    }
  }

  /** Reads what is left and stops. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.watcher?.close();
    this.poke();
    await this.reading;
    await this.handle.close();
    if (this.failure !== undefined) throw this.failure;
    await this.lines.end();
  }
}
