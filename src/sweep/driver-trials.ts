/**
 * A sweep's trials as one run of its driver knows them: every trial record, kept in memory for the
 * driver's decisions and progress, and each change written through to the sweep store first (so
 * a run that dies leaves the store as far as it got).
 * @module
 */
import type { Params } from './space.js';
import type { SweepStore, TrialEnd, TrialRecord } from './store.js';

/** The records of one sweep's trials, by index, mirrored into its store. */
export class TrialBook {
  readonly #sweep: string;
  readonly #store: SweepStore;
  readonly #trials = new Map<number, TrialRecord>();

  /** For the sweep named `sweep` in `store`; empty until {@link load}. */
  constructor(sweep: string, store: SweepStore) {
    this.#sweep = sweep;
    this.#store = store;
  }

  /** Reads the trials the store holds for the sweep (those of earlier runs). */
  load(): void {
    for (const t of this.#store.trials(this.#sweep)) this.#trials.set(t.index, t);
  }

  /** The trial of this index, if it was ever launched. */
  get(index: number): TrialRecord | undefined {
    return this.#trials.get(index);
  }

  /** True when the trial of this index was ever launched. */
  has(index: number): boolean {
    return this.#trials.has(index);
  }

  /** Every trial, in no particular order. */
  values(): IterableIterator<TrialRecord> {
    return this.#trials.values();
  }

  /** Every trial, by index. */
  sorted(): TrialRecord[] {
    return [...this.#trials.values()].sort((a, b) => a.index - b.index);
  }

  /** How many trials are in `state`. */
  count(state: TrialRecord['state']): number {
    let n = 0;
    for (const t of this.#trials.values()) if (t.state === state) n += 1;
    return n;
  }

  /** A trial about to be submitted with `params`, at `startedAt` (ms since the epoch). */
  launching(index: number, params: Params, startedAt: number): void {
    this.#store.markLaunching(this.#sweep, index, params, startedAt);
    this.#trials.set(index, { index, params, state: 'launching', startedAt });
  }

  /** A trial whose job (named `job`) was submitted, or found again by a resumed sweep. */
  running(index: number, job: string): void {
    this.#store.markRunning(this.#sweep, index, job);
    const current = this.#trials.get(index);
    if (current !== undefined) this.#trials.set(index, { ...current, state: 'running', job });
  }

  /**
   * A trial that ended as `end` says at `endedAt` (ms since the epoch); its parameters, job and
   * start are kept from its record.
   */
  ended(index: number, end: TrialEnd, endedAt: number): void {
    this.#store.markEnded(this.#sweep, index, end, endedAt);
    const current = this.#trials.get(index);
    const { state, value, result, reason, errorCode, prunedStep, curve } = end;
    this.#trials.set(index, {
      index,
      params: current?.params ?? {},
      state,
      ...(current?.job === undefined ? {} : { job: current.job }),
      ...(value === undefined ? {} : { value }),
      ...(result === undefined ? {} : { result }),
      ...(reason === undefined ? {} : { reason }),
      ...(errorCode === undefined ? {} : { errorCode }),
      ...(prunedStep === undefined ? {} : { prunedStep }),
      ...(curve === undefined ? {} : { curve }),
      ...(current?.startedAt === undefined ? {} : { startedAt: current.startedAt }),
      endedAt,
    });
  }
}
