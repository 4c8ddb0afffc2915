import { watch } from 'node:fs';
import { type FileHandle, open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { LineFeed } from './lines.js';

/** An open log file and its inode: how a file is known across renames. */
interface OpenLog {
  handle: FileHandle;
  inode: number;
}

/** How long the log may be missing when following starts: the moment between a rotation's rename and the new file. */
const APPEAR_TIMEOUT_MS = 2_000;

async function openLog(path: string): Promise<OpenLog> {
  const handle = await open(path, 'r');
  return { handle, inode: (await handle.stat()).ino };
}

/** Opens `path`, waiting out a rotation that has renamed it and not yet made the new one. */
async function openWhenPresent(path: string): Promise<OpenLog> {
  const deadline = Date.now() + APPEAR_TIMEOUT_MS;
  for (;;) {
    try {
      return await openLog(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/**
 * The rotated copies of `path` (`path.1`, `path.2`, …, as auditd and logrotate name them) by
 * number, 1 the newest, with their inodes; a file rotated away while listed is left out.
 */
async function rotatedCopies(path: string): Promise<Map<number, number>> {
  const prefix = `${basename(path)}.`;
  const copies = new Map<number, number>();
  const names = await readdir(dirname(path)).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(prefix) || !/^\d+$/.test(name.slice(prefix.length))) continue;
    const inode = await stat(join(dirname(path), name)).then(
      (stats) => stats.ino,
      () => undefined,
    );
    if (inode !== undefined) copies.set(Number(name.slice(prefix.length)), inode);
  }
  return copies;
}

/**
 * Follows a growing log file from `offset` the way `tail -F` does, handing complete lines to `onLine`.
 * It polls as well as watching, because inotify events are not delivered for every filesystem. When
 * auditd rotates the log (renames `audit.log` to `audit.log.1`, `.1` to `.2`, … and starts a new one),
 * the renamed file is read to its end through the descriptor already open, then every file written
 * after it, oldest first, found by inode among the rotated copies when several rotations came between
 * two looks: a rotation loses nothing, and the moment between the rename and the new file is waited
 * out, never an error. Files are opened as soon as they are seen, so that auditd deleting them
 * (`num_logs`) does not take them away. Only a file deleted before it was ever seen is lost, and that
 * is said through `onGap`, never dropped silently.
 */
export class FileFollower {
  private position: number;
  private readonly lines: LineFeed;
  /** Files written after the one being read, opened and waiting their turn, oldest first. */
  private readonly next: OpenLog[] = [];
  private timer: NodeJS.Timeout | undefined;
  private watcher: ReturnType<typeof watch> | undefined;
  private reading: Promise<void> = Promise.resolve();
  /** The first error of a read or of `onLine`; raised by stop() rather than lost in the polling loop. */
  private failure: unknown;

  private constructor(
    private readonly path: string,
    private current: OpenLog,
    offset: number,
    onLine: (line: string, lineNumber: number) => void,
    private readonly onGap: (message: string) => void,
    private readonly intervalMs = 20,
  ) {
    this.position = offset;
    this.lines = new LineFeed(onLine);
  }

  static async fromEnd(
    path: string,
    onLine: (line: string, lineNumber: number) => void,
    onGap: (message: string) => void = () => undefined,
  ): Promise<FileFollower> {
    const current = await openWhenPresent(path);
    const { size } = await current.handle.stat();
    return new FileFollower(path, current, size, onLine, onGap);
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
    await this.discover();
    await this.drain();
    while (this.next.length > 0) {
      // The file being read was rotated away and auditd writes to a newer one: it is complete.
      await this.current.handle.close();
      this.current = this.next.shift() as OpenLog;
      this.position = 0;
      await this.discover();
      await this.drain();
    }
    const { size } = await this.current.handle.stat();
    if (size < this.position) {
      // Truncated in place (copytruncate): start again from the beginning.
      this.position = 0;
      this.lines.discardPartial();
      await this.drain();
    }
  }

  /** Opens the files made since the newest one open: the one at `path`, and any rotated before it was seen. */
  private async discover(): Promise<void> {
    const newest = this.next.at(-1) ?? this.current;
    let now: number;
    try {
      now = (await stat(this.path)).ino;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // renamed, the new file not yet made
      throw error;
    }
    if (now === newest.inode) return;
    const copies = await rotatedCopies(this.path);
    const at = [...copies].find(([, inode]) => inode === newest.inode)?.[0];
    let from: number;
    if (at !== undefined) from = at - 1;
    else if ((await newest.handle.stat()).nlink > 0) {
      from = 0; // renamed to a name that is not a numbered copy: the next file is the one at `path`
    } else {
      // Deleted: every copy left is newer than it, but the files between were deleted as well, unread.
      from = Math.max(0, ...copies.keys());
      this.onGap(
        `${this.path} was rotated more times than its copies are kept (auditd's num_logs) before it could be read: the records of the deleted copies are missing (raise num_logs or max_log_file in auditd.conf)`,
      );
    }
    for (let number = from; number >= 0; number--) {
      const name = number === 0 ? this.path : `${this.path}.${number}`;
      const expected = number === 0 ? now : copies.get(number);
      const opened = await openLog(name).catch(() => undefined);
      if (opened && opened.inode === expected) {
        this.next.push(opened);
        continue;
      }
      // Rotated again while being opened: look afresh from the newest file opened so far.
      await opened?.handle.close();
      return this.discover();
    }
  }

  /** Reads the open file from the last position to its end. */
  private async drain(): Promise<void> {
    const { handle } = this.current;
    const { size } = await handle.stat();
    while (this.position < size) {
      const buffer = Buffer.alloc(Math.min(size - this.position, 16 * 1024 * 1024));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.position);
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
    for (const log of [this.current, ...this.next]) await log.handle.close();
    if (this.failure !== undefined) throw this.failure;
    await this.lines.end();
  }
}
