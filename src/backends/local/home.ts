/**
 * The local backend's home directory (`KONDUKTOR_HOME`, default `~/.konduktor`): private to its
 * user (0700), holding the store, the job directories and the event files.
 * @module
 */
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { BackendError } from '../../errors.js';

/** The directories of one konduktor home. */
export interface HomeLayout {
  readonly root: string;
  readonly database: string;
  readonly jobs: string;
  readonly events: string;
}

/**
 * The home directory in effect: `explicit`, else `$KONDUKTOR_HOME` of `env` (the process's by
 * default), else `~/.konduktor`.
 */
export function resolveHome(
  explicit?: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  const fromEnv = env['KONDUKTOR_HOME'];
  if (explicit !== undefined && explicit !== '') return resolve(explicit);
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  return join(homedir(), '.konduktor');
}

/** Where things are in a konduktor home (nothing is created). */
export function homeLayout(root: string): HomeLayout {
  return {
    root,
    database: join(root, 'state.db'),
    jobs: join(root, 'jobs'),
    events: join(root, 'events'),
  };
}

/**
 * Which file a path names: its device and inode. A store removed and made again at the same path
 * (a home deleted and recreated) is another file, and the processes of the old one must not serve it.
 */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
}

/** The identity of the file at `path` now, or `undefined` when nothing is there. */
export function fileIdentity(path: string): FileIdentity | undefined {
  try {
    const stat = statSync(path);
    return { dev: stat.dev, ino: stat.ino };
  } catch {
    return undefined;
  }
}

/** True when `path` still names the file `identity` was taken from. */
export function isSameFile(path: string, identity: FileIdentity): boolean {
  const now = fileIdentity(path);
  return now !== undefined && now.dev === identity.dev && now.ino === identity.ino;
}

/** A {@link FileIdentity} as one command-line word, `DEV:INO`. */
export function formatFileIdentity(identity: FileIdentity): string {
  return `${identity.dev}:${identity.ino}`;
}

/** The {@link FileIdentity} of a `DEV:INO` word, or `undefined` when it is not one. */
export function parseFileIdentity(word: string | undefined): FileIdentity | undefined {
  const match = /^(\d+):(\d+)$/.exec(word ?? '');
  if (match === null) return undefined;
  return { dev: Number(match[1]), ino: Number(match[2]) };
}

/** How messages name the local backend of a home (`Backend.description`). */
export function localDescription(root: string): string {
  return `the local backend (${root})`;
}

/** The longest home path: a job's deepest file must stay under the system's 4096-byte limit. */
export const HOME_PATH_LIMIT = 3072;

/**
 * Creates the home (mode 0700) and its folders if needed and returns their paths.
 * @throws {BackendError} when the home cannot be created or is not private to this user.
 */
export function prepareHome(root: string): HomeLayout {
  // Job files sit a few levels below the home, and the system caps a path at 4096 bytes.
  if (Buffer.byteLength(root) > HOME_PATH_LIMIT) {
    throw new BackendError(
      `the konduktor home path is ${Buffer.byteLength(root)} bytes long, more than ${HOME_PATH_LIMIT}; ` +
        'set KONDUKTOR_HOME to a shorter path',
    );
  }
  const layout = homeLayout(root);
  try {
    mkdirSync(root, { recursive: true, mode: 0o700 });
    const stat = statSync(root);
    if (typeof process.getuid === 'function' && stat.uid !== process.getuid()) {
      throw new BackendError(
        `${root} belongs to another user; set KONDUKTOR_HOME to a directory of yours`,
      );
    }
    // A home created by another tool (or an older umask) is made private; jobs' env values live here.
    if ((stat.mode & 0o077) !== 0) chmodSync(root, 0o700);
    mkdirSync(layout.jobs, { recursive: true, mode: 0o700 });
    mkdirSync(layout.events, { recursive: true, mode: 0o700 });
    privateDatabase(layout.database);
  } catch (cause) {
    if (cause instanceof BackendError) throw cause;
    throw new BackendError(`cannot prepare the konduktor home ${root}: ${String(cause)}`, {
      cause,
    });
  }
  return layout;
}

/**
 * Makes the store file private (0600) before SQLite opens it: SQLite creates it with the umask's
 * mode (usually 0644) and gives its -wal and -shm files the database file's mode.
 */
function privateDatabase(path: string): void {
  try {
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    try {
      closeSync(openSync(path, 'wx', 0o600));
    } catch (raced) {
      // Another konduktor process created it meanwhile (with this same mode).
      if ((raced as NodeJS.ErrnoException).code !== 'EEXIST') throw raced;
    }
  }
}
