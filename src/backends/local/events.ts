/**
 * One shared watcher per events directory: supervisors touch `events/<job>` on every change, and
 * every wait in this process listens through a single inotify watch. The watch is not persistent:
 * it never keeps the process alive by itself (a wait's own timer does, while it waits), so it can
 * stay open between waits instead of being made anew for each.
 * @module
 */
import { type FSWatcher, watch } from 'node:fs';

type Listener = () => void;

/** Subscribes to the changes of every job (a name no job can have). */
export const ANY_JOB = '*';

/** Shared, reference-counted watchers of events directories. */
export class EventHub {
  readonly #dir: string;
  readonly #listeners = new Map<string, Set<Listener>>();
  #watcher: FSWatcher | undefined;

  constructor(dir: string) {
    this.#dir = dir;
  }

  /**
   * Calls `listener` whenever job `name` records a change (any job for {@link ANY_JOB}); returns
   * the unsubscribe function.
   */
  subscribe(name: string, listener: Listener): () => void {
    let set = this.#listeners.get(name);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(name, set);
    }
    set.add(listener);
    this.#ensureWatching();
    return () => {
      const current = this.#listeners.get(name);
      current?.delete(listener);
      if (current?.size === 0) this.#listeners.delete(name);
    };
  }

  /** Wakes the listeners of `name` (used when this process itself saw a change). */
  emit(name: string): void {
    for (const listener of this.#listeners.get(name) ?? []) listener();
    for (const listener of this.#listeners.get(ANY_JOB) ?? []) listener();
  }

  #ensureWatching(): void {
    if (this.#watcher !== undefined) return;
    try {
      this.#watcher = watch(this.#dir, { persistent: false }, (_event, filename) => {
        if (filename === null) {
          // The kernel dropped events: wake everyone to re-read.
          for (const name of this.#listeners.keys()) this.emit(name);
          return;
        }
        this.emit(filename);
      });
      this.#watcher.on('error', () => {
        // Waits also re-check on a timer, so a broken watch only makes them slower.
        this.close();
      });
    } catch {
      this.#watcher = undefined;
    }
  }

  /** Stops watching (listeners stay; the next subscribe restarts the watch). */
  close(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
  }
}
