/**
 * The driver of one run of a sweep: launches trials while there is room (an interrupted trial
 * first, with its parameters), waits for each, feeds the pruner, records every step in the sweep
 * store, stops at `max_failures`, on abort or at the timeout, and re-attaches the trials of a
 * stored sweep whose jobs still run. The trials' records are kept by `driver-trials.ts`, their
 * metric lines (curves, pruning) followed by `driver-metrics.ts`.
 * @module
 */
import { resolve } from 'node:path';
import type { BackendChoice } from '../backends/resolve.js';
import { JobFailedError, ResultTimeoutError, SweepTimeoutError } from '../errors.js';
import type { Job } from '../job/job.js';
import { launch } from '../launch.js';
import { TrialMetrics } from './driver-metrics.js';
import { TrialBook } from './driver-trials.js';
import { findTrialJobs, openSweep } from './resume.js';
import { writeSweepFiles, type SweepFiles } from './files.js';
import type { SweepOptions, SweepResult } from './options.js';
import { Rng } from './rng.js';
import { createSampler } from './sampler.js';
import type { SweepSpec } from './schema.js';
import type { Params } from './space.js';
import type { SweepState, SweepStore, TrialEnd, TrialRecord } from './store.js';
import { endOfError, endOfResult } from './trial-end.js';
import { bestTrial, toObservations, trialTask } from './trials.js';

/** Runs one sweep once (see the module documentation). */
export class Driver {
  readonly #spec: SweepSpec;
  readonly #store: SweepStore;
  readonly #options: SweepOptions;
  readonly #timeoutMs: number | undefined;
  readonly #resume: string;
  /** The running trials this run cancelled when it was stopped. */
  readonly #cancelled: { index: number; job: string }[] = [];
  readonly #trials: TrialBook;
  readonly #active = new Map<number, Promise<void>>();
  readonly #jobs = new Map<number, Job>();
  readonly #stop = new AbortController();
  readonly #launchOptions: { backend?: BackendChoice; home?: string };
  readonly #metrics: TrialMetrics;
  #resumed = false;

  /**
   * @param timeoutMs the whole sweep's timeout (ms), if any.
   * @param resume the command that resumes the sweep, for the timeout's error.
   */
  constructor(
    spec: SweepSpec,
    store: SweepStore,
    options: SweepOptions,
    timeoutMs: number | undefined,
    resume: string,
  ) {
    this.#resume = resume;
    this.#spec = spec;
    this.#store = store;
    this.#options = options;
    this.#timeoutMs = timeoutMs;
    this.#trials = new TrialBook(spec.name, store);
    this.#metrics = new TrialMetrics(spec);
    this.#launchOptions = {
      ...(options.backend === undefined ? {} : { backend: options.backend }),
      ...(options.home === undefined ? {} : { home: options.home }),
    };
  }

  /**
   * Runs the sweep until every trial has ended, or it stops early (`max_failures`).
   * @throws the signal's reason when `options.signal` aborts the run.
   * @throws {SweepTimeoutError} when the sweep's timeout ends the run.
   */
  async run(): Promise<SweepResult> {
    const spec = this.#spec;
    this.#resumed = openSweep(this.#store, spec);
    this.#store.setSweepState(spec.name, 'running', { spec: JSON.stringify(spec) });
    this.#trials.load();

    const userSignal = this.#options.signal;
    const timeoutSignal =
      this.#timeoutMs === undefined ? undefined : AbortSignal.timeout(this.#timeoutMs);
    const outside = [userSignal, timeoutSignal].filter((s): s is AbortSignal => s !== undefined);
    const onOutside = (): void => {
      this.#stop.abort();
    };
    for (const s of outside) s.addEventListener('abort', onOutside, { once: true });
    let state: SweepState = 'completed';
    let reason: string | undefined;
    try {
      if (outside.some((s) => s.aborted)) this.#stop.abort();
      await this.#resumeUnfinished();
      reason = await this.#loop();
      if (this.#stop.signal.aborted && reason === undefined) state = 'interrupted';
      else if (reason !== undefined) state = 'stopped';
    } finally {
      for (const s of outside) s.removeEventListener('abort', onOutside);
      if (this.#active.size > 0) {
        this.#stop.abort();
        await Promise.allSettled(this.#active.values());
      }
    }
    const trials = this.#trials.sorted();
    const best = bestTrial(trials, spec.direction);
    const files = this.#writeFiles(trials, best);
    this.#store.setSweepState(spec.name, state, {
      ...(reason === undefined ? {} : { reason }),
      ...(files === undefined ? {} : { outputDir: files.dir }),
    });
    this.#notify();
    if (state === 'interrupted') {
      if (userSignal?.aborted === true) throw userSignal.reason;
      throw new SweepTimeoutError(spec.name, this.#timeoutMs ?? 0, this.#cancelled, this.#resume);
    }
    return {
      name: spec.name,
      state: state === 'completed' ? 'completed' : 'stopped',
      ...(reason === undefined ? {} : { reason }),
      ...(best === undefined ? {} : { best }),
      trials,
      spec,
      ...(files === undefined ? {} : { files }),
      resumed: this.#resumed,
    };
  }

  #writeFiles(
    trials: readonly TrialRecord[],
    best: TrialRecord | undefined,
  ): SweepFiles | undefined {
    const option = this.#options.outputDir;
    if (option === false) return undefined;
    const dir = option ?? this.#spec.outputDir ?? resolve('sweeps', this.#spec.name);
    return writeSweepFiles(resolve(dir), this.#spec, trials, best);
  }

  /** Re-attaches trials whose jobs may still run, and queues those that must run again. */
  async #resumeUnfinished(): Promise<void> {
    for (const found of await findTrialJobs(
      this.#spec.name,
      this.#trials.values(),
      this.#launchOptions,
    )) {
      const t = found.trial;
      if (found.job === undefined) {
        this.#record(t.index, { state: 'cancelled', reason: found.reason });
        continue;
      }
      this.#trials.running(t.index, found.job.name);
      this.#follow(t.index, found.job);
    }
  }

  /** Launches trials while there is room; returns why the sweep stopped early, if it did. */
  async #loop(): Promise<string | undefined> {
    const spec = this.#spec;
    let stopped: string | undefined;
    const abortPromise = new Promise<void>((done) => {
      if (this.#stop.signal.aborted) done();
      else
        this.#stop.signal.addEventListener(
          'abort',
          () => {
            done();
          },
          { once: true },
        );
    });
    for (;;) {
      const failed = this.#trials.count('failed');
      if (stopped === undefined && failed > spec.maxFailures) {
        stopped = `${failed} trials failed, more than max_failures (${spec.maxFailures})`;
        this.#stop.abort();
      }
      if (!this.#stop.signal.aborted) {
        while (this.#active.size < spec.parallelism) {
          const index = this.#nextIndex();
          if (index === undefined) break;
          this.#start(index);
        }
      }
      if (this.#active.size === 0) break;
      await Promise.race([...this.#active.values(), abortPromise]);
      if (this.#stop.signal.aborted) {
        await Promise.allSettled(this.#active.values());
        const failedNow = this.#trials.count('failed');
        if (stopped === undefined && failedNow > spec.maxFailures) {
          stopped = `${failedNow} trials failed, more than max_failures (${spec.maxFailures})`;
        }
        break;
      }
    }
    return stopped;
  }

  /** The next trial to launch: an interrupted one first, else a new index, else none. */
  #nextIndex(): number | undefined {
    for (const t of this.#trials.sorted()) {
      if (t.state === 'cancelled' && !this.#active.has(t.index) && t.index < this.#spec.trials)
        return t.index;
    }
    for (let i = 0; i < this.#spec.trials; i += 1) if (!this.#trials.has(i)) return i;
    return undefined;
  }

  #start(index: number): void {
    const spec = this.#spec;
    const previous = this.#trials.get(index);
    const params =
      previous?.params ??
      createSampler(spec.sampler, spec.parameters).suggest(
        index,
        toObservations(this.#trials.values(), spec.direction),
        Rng.forTrial(spec.seed, index),
      );
    const startedAt = Date.now();
    this.#trials.launching(index, params, startedAt);
    const task = (): Promise<void> => this.#launchTrial(index, params);
    this.#track(index, task());
  }

  #track(index: number, promise: Promise<void>): void {
    const settled = promise.finally(() => {
      this.#active.delete(index);
      this.#jobs.delete(index);
    });
    this.#active.set(index, settled);
    this.#notify();
  }

  async #launchTrial(index: number, params: Params): Promise<void> {
    let job: Job;
    try {
      job = await launch(trialTask(this.#spec, index, params), this.#launchOptions);
    } catch (error) {
      this.#record(index, endOfError(error));
      return;
    }
    this.#trials.running(index, job.name);
    await this.#wait(index, job);
  }

  #follow(index: number, job: Job): void {
    this.#track(index, this.#wait(index, job));
  }

  async #wait(index: number, job: Job): Promise<void> {
    this.#jobs.set(index, job);
    this.#notify();
    if (this.#stop.signal.aborted) {
      await this.#cancel(index, job);
      return;
    }
    const watch = new AbortController();
    const watching = this.#metrics.watch(
      index,
      job,
      AbortSignal.any([watch.signal, this.#stop.signal]),
    );
    let text: string;
    try {
      text = await job.resultText({
        signal: this.#stop.signal,
        ...(this.#spec.trialTimeoutMs === undefined ? {} : { timeout: this.#spec.trialTimeoutMs }),
      });
    } catch (error) {
      const pruned = this.#metrics.prunedBy(index);
      if (pruned !== undefined && error instanceof JobFailedError) {
        this.#record(index, {
          state: 'pruned',
          value: pruned.value,
          prunedStep: pruned.step,
          reason: `pruned at step ${pruned.step}: ${pruned.reason}`,
        });
        return;
      }
      // The signal may have fired during the wait (TypeScript cannot see that).
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      if (this.#stop.signal.aborted && !(error instanceof JobFailedError)) {
        await this.#cancel(index, job);
      } else if (error instanceof ResultTimeoutError) {
        await job.cancel().catch(() => undefined);
        this.#record(index, {
          state: 'failed',
          errorCode: error.code,
          reason: `timed out after ${(error.timeoutMs / 1000).toFixed(0)}s (trial_timeout); the job was cancelled`,
        });
      } else {
        this.#record(index, endOfError(error));
      }
      return;
    } finally {
      // The job has ended: its follower ends by itself once it has read the last lines (the
      // curve's end), given a moment; a stopped sweep does not wait.
      await this.#metrics.finish(watching, watch, this.#stop.signal.aborted);
    }
    this.#record(index, endOfResult(text, this.#spec.objective));
  }

  async #cancel(index: number, job: Job): Promise<void> {
    this.#cancelled.push({ index, job: job.name });
    await job.cancel().catch(() => undefined);
    this.#record(index, {
      state: 'cancelled',
      reason: 'the sweep was stopped; the trial runs again when the sweep is resumed',
    });
  }

  #record(index: number, given: TrialEnd): void {
    const endedAt = Date.now();
    const curve = this.#metrics.end(index, given.state === 'succeeded');
    this.#trials.ended(index, curve === undefined ? given : { ...given, curve }, endedAt);
    this.#notify();
  }

  #notify(): void {
    const onUpdate = this.#options.onUpdate;
    if (onUpdate === undefined) return;
    const trials = this.#trials.sorted();
    const best = bestTrial(trials, this.#spec.direction);
    onUpdate({
      spec: this.#spec,
      trials,
      ...(best === undefined ? {} : { best }),
      running: this.#trials.count('running') + this.#trials.count('launching'),
      succeeded: this.#trials.count('succeeded'),
      failed: this.#trials.count('failed'),
      pruned: this.#trials.count('pruned'),
      resumed: this.#resumed,
    });
  }
}
