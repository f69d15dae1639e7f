/**
 * The wait for a job's end, written once for every backend: subscribe to the job's events first,
 * then read; read again on every event (or after `idleMs` without one), and report each change of
 * status, attempt or reason. Subscribing before the first read means an end that happens between
 * the two is never missed; counting events means one that arrives during a read is not either.
 * @module
 */
import {
  isTerminal,
  type BackendWaitOptions,
  type JobInfo,
  type TerminalJobInfo,
} from '../backend.js';
import { waitForWake } from '../wake.js';

/** What a backend gives {@link waitUntilTerminal}. */
export interface JobWatch {
  /** Calls `listener` on every event of the job; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
  /**
   * Called once after subscribing, before the first read: a job already known to be over may
   * resolve here (returning its info), and the backend may wait for its watches to be ready.
   */
  prepare?(signal: AbortSignal | undefined): Promise<TerminalJobInfo | undefined>;
  /** Reads the job's info, reconciling as every read does (see `Backend.get`). */
  read(): Promise<JobInfo>;
  /**
   * Called when {@link JobWatch.read} throws: rethrow what ends the wait, or return after how
   * many milliseconds to read again (sooner on an event). Without it every error ends the wait.
   */
  retryAfter?(error: unknown): number;
  /**
   * Read again after this long without an event (a safety net for what sends none); asked after
   * each read, so it may change with what the read found.
   */
  readonly idleMs?: number | undefined;
}

/**
 * Resolves once the job is terminal with its outcome recorded.
 * @throws `signal.reason` when the wait's signal aborts; whatever `read` throws that
 *   `retryAfter` does not take.
 */
export async function waitUntilTerminal(
  watch: JobWatch,
  options: BackendWaitOptions = {},
): Promise<TerminalJobInfo> {
  const { signal, onUpdate } = options;
  signal?.throwIfAborted();
  let events = 0;
  let wake: () => void = () => undefined;
  const unsubscribe = watch.subscribe(() => {
    events += 1;
    wake();
  });
  try {
    const ended = await watch.prepare?.(signal);
    if (ended !== undefined) {
      onUpdate?.(ended);
      return ended;
    }
    let lastKey = '';
    for (;;) {
      // An abort during a read has no listener yet: check at every turn.
      signal?.throwIfAborted();
      const seen = events;
      let retryIn: number | undefined;
      try {
        const info = await watch.read();
        // Asked after the read: a backend may re-read sooner or later by what the read found.
        retryIn = watch.idleMs;
        const key = `${info.status}/${info.attempt}/${info.reason ?? ''}`;
        if (key !== lastKey) {
          lastKey = key;
          onUpdate?.(info);
        }
        if (isTerminal(info.status) && info.outcome !== undefined) return info as TerminalJobInfo;
      } catch (err) {
        if (watch.retryAfter === undefined) throw err;
        retryIn = watch.retryAfter(err);
      }
      if (events !== seen) continue;
      await waitForWake(
        (next) => {
          wake = next;
        },
        { ms: retryIn, signal },
      );
    }
  } finally {
    unsubscribe();
  }
}
