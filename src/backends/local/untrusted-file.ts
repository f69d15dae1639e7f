/**
 * Reading a file that a job could have replaced with anything: its result, its log, the records
 * beside its output directory. Whatever stands at the path, the read ends at once and never
 * throws: a directory, a named pipe (whose open would wait for a writer), a socket, a device (a
 * link to `/dev/zero` never ends), a link to nothing or a loop of links, a file that cannot be
 * opened or read — each is described as data, so that one job's files can only ever decide that
 * job's outcome, never break a command that reads many jobs.
 * @module
 */
import {
  chmodSync,
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  rmSync,
  statSync,
  type Stats,
} from 'node:fs';
import { join } from 'node:path';
import { BackendError } from '../../errors.js';
import type { FoundInstead } from '../../result/decode.js';

/** What a read found at the path. */
export type UntrustedRead =
  | { readonly kind: 'missing' }
  | { readonly kind: 'found'; readonly found: FoundInstead }
  | {
      readonly kind: 'file';
      /** At most `maxBytes` bytes: the file's first (or, with `fromEnd`, last) bytes. */
      readonly bytes: Buffer;
      /** The file's size in bytes when it was read (at least `bytes.length`). */
      readonly size: number;
    };

/** Options of {@link readUntrusted}. */
export interface UntrustedReadOptions {
  /** The most bytes read, whatever the file's size. */
  readonly maxBytes: number;
  /** Read the last `maxBytes` bytes instead of the first. */
  readonly fromEnd?: boolean;
}

// O_NONBLOCK: a named pipe swapped in after the type check opens at once instead of waiting for
// a writer. O_NOCTTY: a terminal never becomes the reading process's controlling terminal.
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

/**
 * Runs `use` with the file at `path` open for reading (same flags as {@link readUntrusted}), when
 * it is a regular file; undefined when it cannot be opened or read, or is anything else. For
 * readers that need the open descriptor (a log read backwards, or as it grows) rather than the
 * bytes.
 */
export function withRegularFile<T>(
  path: string,
  use: (fd: number, size: number) => T,
): T | undefined {
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch {
    return undefined;
  }
  try {
    const stats = fstatSync(fd);
    return stats.isFile() ? use(fd, stats.size) : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a regular file at `path` (following symbolic links) without ever blocking or throwing;
 * anything else at the path is described instead. Nothing but a regular file is ever opened, so a
 * link to a device has no effect on the device.
 */
export function readUntrusted(path: string, options: UntrustedReadOptions): UntrustedRead {
  let entry: Stats | undefined;
  try {
    entry = lstatSync(path, { throwIfNoEntry: false });
  } catch (error) {
    // The directory holding it cannot be searched (EACCES), or a part of the path is no directory.
    return { kind: 'found', found: { kind: 'unreadable', error: errorText(error) } };
  }
  if (entry === undefined) return { kind: 'missing' };
  const link = entry.isSymbolicLink() ? linkTarget(path) : undefined;
  const described = (found: Omit<FoundInstead, 'link'>): UntrustedRead => ({
    kind: 'found',
    found: link === undefined ? found : { ...found, link },
  });
  let target: Stats;
  try {
    target = entry.isSymbolicLink() ? statSync(path) : entry;
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT') return described({ kind: 'dangling-link' });
    if (code === 'ELOOP') return described({ kind: 'link-loop' });
    return described({ kind: 'unreadable', error: errorText(error) });
  }
  if (!target.isFile()) return described({ kind: kindOf(target) });
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (error) {
    // Gone or changed between the look and the open: a job that is still writing it.
    if (errorCode(error) === 'ENOENT') return { kind: 'missing' };
    return described({ kind: 'unreadable', error: errorText(error) });
  }
  try {
    const opened = fstatSync(fd);
    if (!opened.isFile()) return described({ kind: kindOf(opened) });
    return readOpen(fd, opened.size, options);
  } catch (error) {
    // A regular file whose read fails (EIO, or a /proc file such as /proc/self/mem).
    return described({ kind: 'unreadable', error: errorText(error) });
  } finally {
    closeSync(fd);
  }
}

function readOpen(fd: number, size: number, options: UntrustedReadOptions): UntrustedRead {
  const { maxBytes, fromEnd = false } = options;
  // A file's size may be 0 while it has content (files in /proc): read up to the cap anyway.
  const length = fromEnd ? Math.min(size, maxBytes) : maxBytes;
  const start = fromEnd ? size - length : 0;
  const buffer = Buffer.alloc(length);
  let read = 0;
  while (read < length) {
    const n = readSync(fd, buffer, read, length - read, start + read);
    if (n === 0) break;
    read += n;
  }
  return { kind: 'file', bytes: buffer.subarray(0, read), size: Math.max(size, start + read) };
}

function kindOf(stats: Stats): FoundInstead['kind'] {
  if (stats.isDirectory()) return 'directory';
  if (stats.isFIFO()) return 'fifo';
  if (stats.isSocket()) return 'socket';
  if (stats.isCharacterDevice()) return 'character-device';
  if (stats.isBlockDevice()) return 'block-device';
  return 'other';
}

/** Where a link points (at most 200 characters), or undefined when it cannot be read. */
function linkTarget(path: string): string | undefined {
  try {
    const target = readlinkSync(path);
    return target.length > 200 ? `${target.slice(0, 200)}…` : target;
  } catch {
    return undefined;
  }
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** `EACCES: permission denied`: the error without the path (which the reader already knows). */
function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split(',')[0] ?? message;
}

/**
 * Removes a job's directory whatever the job left in it: a directory it made unreadable or
 * unwritable (`chmod 000`) is given back to its owner first, so one job's files never make
 * `down` fail. Links are removed, never followed.
 *
 * @throws {BackendError} when the tree still cannot be removed (files of another user).
 */
export function removeUntrustedTree(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
    return;
  } catch {
    // A directory the job locked: open every directory to its owner, then try again.
  }
  const stack = [dir];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    try {
      chmodSync(next, 0o700);
      for (const entry of readdirSync(next, { withFileTypes: true }))
        if (entry.isDirectory()) stack.push(join(next, entry.name));
    } catch {
      // Gone, or not ours: the second removal says so.
    }
  }
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch (error) {
    throw new BackendError(
      `could not remove ${dir}: ${errorText(error)}; remove it by hand (chmod -R u+rwx and rm -rf)`,
      { cause: error },
    );
  }
}
