/**
 * Reading and following a rank's log: the latest attempt's by default (following on into the
 * attempts that come after it), or one chosen attempt's.
 * @module
 */
import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import { UsageError } from '../../errors.js';
import { isTerminal, type JobStatus } from '../backend.js';
import { jobPaths } from './protocol.js';
import { LogLineReader, tailOffset } from './log-file.js';

/** What {@link followLog} needs from the backend. */
export interface FollowLogOptions {
  readonly name: string;
  readonly dir: string;
  readonly rank: number;
  readonly follow: boolean;
  /** The attempt to read (with `follow`: to start at); unset: the latest. */
  readonly attempt?: number;
  readonly tail?: number;
  readonly signal?: AbortSignal;
  /**
   * The job's status and current attempt, recording its end if it ended (so a terminal status
   * means its supervisor wrote everything it will write). Throws JobNotFoundError.
   */
  readonly state: () => { readonly status: JobStatus; readonly attempt: number };
  /** Subscribes to the job's change events. */
  readonly subscribe: (listener: () => void) => () => void;
}

/**
 * The attempt a read starts at: the chosen one, else the latest.
 * @throws {UsageError} when the chosen attempt is after the job's latest.
 */
export function firstAttempt(
  options: Pick<FollowLogOptions, 'name' | 'attempt' | 'state'>,
): number {
  const latest = options.state().attempt;
  const chosen = options.attempt;
  if (chosen !== undefined && chosen > latest) {
    throw new UsageError(
      `job ${options.name} has no attempt ${chosen} yet: its latest is attempt ${latest}`,
    );
  }
  return chosen ?? latest;
}

/** Log growth has no supervisor event; a file watch wakes us, this is the fallback. */
const FOLLOW_INTERVAL_MS = 250;

/**
 * Yields the lines of a rank's log: one attempt's, or with `follow` from that attempt on across
 * restarts and `stop`/`start` (each new attempt announced by a `[konduktor] restart attempt N`
 * line) until the job ends.
 * @throws {UsageError} when the chosen attempt is after the job's latest.
 */
export async function* followLog(options: FollowLogOptions): AsyncGenerator<string> {
  const { dir, rank, signal } = options;
  let attempt = firstAttempt(options);
  const path = (n: number): string => jobPaths.log(dir, n, rank);
  let reader = new LogLineReader(
    path(attempt),
    options.tail === undefined ? 0 : tailOffset(path(attempt), options.tail),
  );
  if (!options.follow) {
    yield* reader.rest();
    return;
  }
  for (;;) {
    signal?.throwIfAborted();
    yield* reader.lines();
    const state = options.state();
    if (state.attempt > attempt) {
      // The attempt we read has ended for good: its last line may lack a newline.
      yield* reader.rest();
      attempt = state.attempt;
      reader = new LogLineReader(path(attempt));
      yield `[konduktor] restart attempt ${attempt}`;
      continue;
    }
    if (isTerminal(state.status)) {
      yield* reader.rest();
      return;
    }
    await waitForChange(reader.path, options);
  }
}

/**
 * Watches the file at `path` for changes, or, while it does not exist yet, its directory for the
 * file's creation (a job's first metric line or log line is then seen at once, not at the next
 * fallback tick). Undefined when neither can be watched: the caller's timer covers it.
 */
function watchFile(path: string, onChange: () => void): FSWatcher | undefined {
  const name = basename(path);
  for (const [target, wanted] of [
    [path, undefined],
    [dirname(path), name],
  ] as const) {
    try {
      const watcher = watch(target, (_event, changed) => {
        if (wanted === undefined || changed === null || changed === wanted) onChange();
      });
      watcher.on('error', () => undefined);
      return watcher;
    } catch {
      // Not there (yet): try the directory, then leave it to the timer and the job's events.
    }
  }
  return undefined;
}

/**
 * Resolves when the file at `path` changes, the job records a change, or a short fallback timer
 * runs out; rejects with `options.signal`'s reason when it aborts.
 */
export function waitForChange(
  path: string,
  options: Pick<FollowLogOptions, 'subscribe' | 'signal'>,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
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
    const watcher = watchFile(path, done);
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
