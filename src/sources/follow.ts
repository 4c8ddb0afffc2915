import { watch } from 'node:fs';
import { open, stat } from 'node:fs/promises';

/**
 * Follows a growing log file from `offset` (tail -f), handing complete lines to `onLine`. It polls
 * as well as watching, because inotify events are not delivered for every filesystem, and it
 * starts again from the beginning when the file shrinks (auditd rotated it).
 */
export class FileFollower {
  private position: number;
  private partial = '';
  private timer: NodeJS.Timeout | undefined;
  private watcher: ReturnType<typeof watch> | undefined;
  private reading: Promise<void> = Promise.resolve();
  private lineNumber = 0;
  /** The first error of a read or of `onLine`; raised by stop() rather than lost in the polling loop. */
  private failure: unknown;

  constructor(
    private readonly path: string,
    offset: number,
    private readonly onLine: (line: string, lineNumber: number) => void,
    private readonly intervalMs = 20,
  ) {
    this.position = offset;
  }

  static async fromEnd(
    path: string,
    onLine: (line: string, lineNumber: number) => void,
  ): Promise<FileFollower> {
    return new FileFollower(path, (await stat(path)).size, onLine);
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
    const { size } = await stat(this.path);
    if (size < this.position) {
      this.position = 0;
      this.partial = '';
    }
    if (size === this.position) return;
    const handle = await open(this.path, 'r');
    try {
      const buffer = Buffer.alloc(Math.min(size - this.position, 16 * 1024 * 1024));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.position);
      this.position += bytesRead;
      const text = this.partial + buffer.toString('utf8', 0, bytesRead);
      const lines = text.split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) this.onLine(line, ++this.lineNumber);
    } finally {
      await handle.close();
    }
  }

  /** Reads what is left and stops. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.watcher?.close();
    this.poke();
    await this.reading;
    if (this.failure !== undefined) throw this.failure;
    if (this.partial !== '') this.onLine(this.partial, ++this.lineNumber);
  }
}
