/**
 * Reading and following a rank's log file.
 * @module
 */
import { closeSync, existsSync, fstatSync, openSync, readSync, watch } from 'node:fs';
import { jobPaths, readAttempt, readLogTail } from './job-dir.js';

/** What {@link followLog} needs from the backend. */
export interface FollowLogOptions {
  readonly dir: string;
  readonly rank: number;
  readonly follow: boolean;
  readonly tail?: number;
  readonly signal?: AbortSignal;
  /** True once the job is terminal (and its supervisor wrote everything it will write). */
  readonly isDone: () => boolean;
  /** Subscribes to the job's change events. */
  readonly subscribe: (listener: () => void) => () => void;
  /** Throws JobNotFoundError when the job does not exist (checked when iteration starts). */
  readonly exists: () => unknown;
}

const CHUNK = 64 * 1024;
/** Log growth has no supervisor event; a file watch wakes us, this is the fallback. */
const FOLLOW_INTERVAL_MS = 250;

/** Yields the lines of a rank's log (the latest attempt's), following it when asked. */
export async function* followLog(options: FollowLogOptions): AsyncGenerator<string> {
  const { dir, rank, signal } = options;
  options.exists();
  let attempt = readAttempt(dir);
  let path = jobPaths.log(dir, attempt, rank);
  let offset = 0;
  let partial = '';

  if (options.tail !== undefined && existsSync(path)) {
    const lines = readLogTail(path, options.tail);
    for (const line of lines) yield line;
    offset = sizeOf(path);
  }

  for (;;) {
    signal?.throwIfAborted();
    // Read everything new in the current file.
    for (;;) {
      const chunk = readFrom(path, offset);
      if (chunk.length === 0) break;
      offset += chunk.length;
      const text = partial + chunk.toString('utf8');
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) yield line;
    }
    if (!options.follow) break;
    const current = readAttempt(dir);
    if (current !== attempt) {
      if (partial !== '') yield partial;
      partial = '';
      attempt = current;
      path = jobPaths.log(dir, attempt, rank);
      offset = 0;
      yield `[konduktor] restart attempt ${attempt}`;
      continue;
    }
    if (options.isDone()) {
      // Drain what was written between the last read and the end.
      const rest = readFrom(path, offset);
      const text = partial + rest.toString('utf8');
      for (const line of text.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1))
        yield line;
      break;
    }
    await waitForChange(path, options);
  }
  if (!options.follow && partial !== '') yield partial;
}

function sizeOf(path: string): number {
  try {
    const fd = openSync(path, 'r');
    try {
      return fstatSync(fd).size;
    } finally {
      closeSync(fd);
    }
  } catch {
    return 0;
  }
}

function readFrom(path: string, offset: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const buffer = Buffer.alloc(CHUNK);
    const n = readSync(fd, buffer, 0, CHUNK, offset);
    return buffer.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

function waitForChange(path: string, options: FollowLogOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let watcher: ReturnType<typeof watch> | undefined;
    const cleanup = (): void => {
      clearTimeout(timer);
      watcher?.close();
      unsubscribe();
      options.signal?.removeEventListener('abort', onAbort);
    };
    const done = (): void => {
      cleanup();
      resolve();
    };
    const onAbort = (): void => {
      cleanup();
      reject(options.signal?.reason as Error);
    };
    const timer = setTimeout(done, FOLLOW_INTERVAL_MS);
    const unsubscribe = options.subscribe(done);
    try {
      watcher = watch(path, done);
      watcher.on('error', () => undefined);
    } catch {
      // Not created yet: the timer and the job events cover it.
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
