/**
 * One underlying watch, many listeners: the watch starts with the first listener and stops after
 * the last, and each change it finds is computed once and handed to every listener.
 * @module
 */

/** A set of listeners sharing one watch. */
export class FanOut<T> {
  readonly #listeners = new Set<(value: T) => void>();
  readonly #start: () => void;
  readonly #stop: () => void;

  /** `start` and `stop` begin and end the one underlying watch. */
  constructor(start: () => void, stop: () => void) {
    this.#start = start;
    this.#stop = stop;
  }

  /** How many listeners are subscribed. */
  get size(): number {
    return this.#listeners.size;
  }

  /** Subscribes `listener`; returns the unsubscribe function. */
  add(listener: (value: T) => void): () => void {
    this.#listeners.add(listener);
    if (this.#listeners.size === 1) this.#start();
    return () => {
      if (this.#listeners.delete(listener) && this.#listeners.size === 0) this.#stop();
    };
  }

  /** Hands `value` to every listener (a listener that throws does not stop the others). */
  emit(value: T): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(value);
      } catch {
        // A page that went away while being written to is dropped by its own close handler.
      }
    }
  }
}
