/**
 * The sweep driver: {@link sweep} runs the trials of a sweep as ordinary konduktor jobs, a few at
 * a time, records every step in `$KONDUKTOR_HOME/sweeps.db`, and resumes a stored sweep of the
 * same name where it stopped.
 *
 * @example
 * ```ts
 * import { sweep } from 'konduktor';
 *
 * const result = await sweep('examples/sweep-branin.yaml', { signal: AbortSignal.timeout(600_000) });
 * console.log(result.best?.params, result.best?.value);
 * ```
 * @module
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { BackendChoice } from '../backends/resolve.js';
import { resolveBackend } from '../backends/resolve.js';
import {
  JobFailedError,
  ResultTimeoutError,
  StateConflictError,
  SweepTimeoutError,
} from '../errors.js';
import { type Duration, parseDuration } from '../job/duration.js';
import type { Job } from '../job/job.js';
import { getJob, launch } from '../launch.js';
import { applyOverrides } from '../task/overrides.js';
import type { TaskSpec } from '../task/types.js';
import { writeSweepFiles, type SweepFiles } from './files.js';
import { loadSweepFile, resolveSweep, type SweepDefinition } from './load.js';
import { Rng } from './rng.js';
import { createSampler, type Observation } from './sampler.js';
import type { SweepSpec } from './schema.js';
import { formatParamValue, type Params, sampleRandom } from './space.js';
import { SweepStore, type SweepState, type TrialEnd, type TrialRecord } from './store.js';
import { endOfError, endOfResult } from './trial-end.js';
import { metricKeyOf, Pruner, type PruneDecision } from './pruner.js';
import { configDifferences, describeDifferences } from './config-diff.js';

/** Options of {@link sweep}. */
export interface SweepOptions {
  /** Where trials run. @default $KONDUKTOR_BACKEND, else `'local'` */
  readonly backend?: BackendChoice;
  /** The konduktor home: the local backend's and the sweep store's. @default $KONDUKTOR_HOME or ~/.konduktor */
  readonly home?: string;
  /** Stops launching, cancels the running trials, and rejects with `signal.reason`. */
  readonly signal?: AbortSignal;
  /**
   * Gives up after this long (ms or `'2h'`): like an abort, then rejects with
   * {@link SweepTimeoutError} (code `RESULT_TIMEOUT`). A later run resumes.
   */
  readonly timeout?: Duration;
  /**
   * How the timeout error tells to resume, e.g. `` `konduktor sweep run sweep.yaml` ``.
   * @default the same `konduktor sweep run FILE` when `definition` is a path, else a new call
   */
  readonly resumeCommand?: string;
  /**
   * Where `trials.csv`, `trials.json` and `report.html` are written; `false` writes nothing.
   * @default the sweep's `output_dir`, else `./sweeps/<name>`
   */
  readonly outputDir?: string | false;
  /** What relative paths of a sweep object are resolved against. @default process.cwd() */
  readonly baseDir?: string;
  /** Called after every change of a trial, with the whole sweep. */
  readonly onUpdate?: (progress: SweepProgress) => void;
}

/** The state of a sweep at one moment. */
export interface SweepProgress {
  readonly spec: SweepSpec;
  /** Every trial so far, by index. */
  readonly trials: readonly TrialRecord[];
  /** The best succeeded trial so far. */
  readonly best?: TrialRecord;
  readonly running: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Trials stopped early by the pruner. */
  readonly pruned: number;
  /** True when this run picked up a stored sweep. */
  readonly resumed: boolean;
}

/** What a finished (or stopped) sweep produced. */
export interface SweepResult {
  readonly name: string;
  /** `completed`: every trial ran; `stopped`: more than `max_failures` trials failed. */
  readonly state: 'completed' | 'stopped';
  /** Why the sweep stopped early. */
  readonly reason?: string;
  /** The best succeeded trial; undefined when none succeeded. */
  readonly best?: TrialRecord;
  readonly trials: readonly TrialRecord[];
  readonly spec: SweepSpec;
  /** The files written, unless `outputDir: false`. */
  readonly files?: SweepFiles;
  /** True when this run resumed a stored sweep. */
  readonly resumed: boolean;
}

/** The best succeeded trial (ties go to the earlier trial). */
export function bestTrial(
  trials: readonly TrialRecord[],
  direction: 'minimize' | 'maximize',
): TrialRecord | undefined {
  let best: TrialRecord | undefined;
  for (const t of trials) {
    if (t.state !== 'succeeded' || t.value === undefined) continue;
    if (best?.value === undefined) best = t;
    else if (direction === 'minimize' ? t.value < best.value : t.value > best.value) best = t;
  }
  return best;
}

/** What must stay the same for a re-run to resume a stored sweep. */
export function sweepFingerprint(spec: SweepSpec): string {
  const text = JSON.stringify(fingerprinted(spec));
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** The parts of a sweep that decide its trials: a stored sweep resumes only when they are equal. */
function fingerprinted(
  spec: SweepSpec,
): Pick<SweepSpec, 'task' | 'parameters' | 'objective' | 'direction' | 'sampler' | 'seed'> {
  const { task, parameters, objective, direction, sampler, seed } = spec;
  return { task, parameters, objective, direction, sampler, seed };
}

/** The task name of trial `index`: `<sweep>-<index>`; its jobs are `<sweep>-<index>-<hex>`. */
export function trialTaskName(sweepName: string, index: number): string {
  return `${sweepName}-${index}`;
}

/** The base task with the trial's parameters as environment variables. */
export function trialTask(spec: SweepSpec, index: number, params: Params): TaskSpec {
  const env = Object.entries(spec.parameters).map(([name, param]) => {
    const value = params[name];
    return `${param.env}=${value === undefined ? '' : formatParamValue(value)}`;
  });
  env.push(
    `KONDUKTOR_SWEEP=${spec.name}`,
    `KONDUKTOR_TRIAL=${index}`,
    `KONDUKTOR_PARAMS=${JSON.stringify(params)}`,
  );
  return applyOverrides(spec.task, { name: trialTaskName(spec.name, index), env }, {});
}

function toObservations(
  trials: Iterable<TrialRecord>,
  direction: 'minimize' | 'maximize',
): Observation[] {
  const out: Observation[] = [];
  for (const t of trials) {
    if (t.state === 'succeeded' && t.value !== undefined) {
      out.push({
        index: t.index,
        params: t.params,
        loss: direction === 'minimize' ? t.value : -t.value,
      });
    }
  }
  return out.sort((a, b) => a.index - b.index);
}

/** How a trial's wait ended, turned into what is recorded. */
/**
 * Runs a sweep to its end, or resumes the stored sweep of the same name: finished trials are kept,
 * trials whose jobs still run are re-attached, and interrupted ones run again with the same
 * parameters.
 *
 * @param definition - a sweep file path, a sweep object, or a validated spec.
 * @returns the best trial and every trial. A sweep where more than `max_failures` trials failed
 *   resolves with `state: 'stopped'`.
 * @throws {TaskValidationError} when the sweep is invalid; nothing is launched.
 * @throws {StateConflictError} when a stored sweep of that name has a different configuration.
 * @throws `signal.reason` when aborted (running trials are cancelled first).
 * @throws {SweepTimeoutError} when `timeout` ran out (running trials are cancelled first; the
 *   error lists them).
 */
export async function sweep(
  definition: string | SweepDefinition | SweepSpec,
  options: SweepOptions = {},
): Promise<SweepResult> {
  const spec =
    typeof definition === 'string'
      ? loadSweepFile(definition)
      : isSweepSpec(definition)
        ? definition
        : resolveSweep(
            definition,
            options.baseDir === undefined ? {} : { baseDir: options.baseDir },
          );
  // Fail before launching anything when the trials' task cannot be built.
  trialTask(spec, 0, sampleRandom(spec.parameters, Rng.forTrial(spec.seed, 0)));
  const timeoutMs = options.timeout === undefined ? undefined : parseDuration(options.timeout);
  const store = new SweepStore(options.home);
  try {
    // How the timeout message tells to resume: the same file, or the same call.
    const resume =
      options.resumeCommand ??
      (typeof definition === 'string'
        ? `\`konduktor sweep run ${shellWord(definition)}\``
        : 'calling sweep() again with the same definition');
    return await new Driver(spec, store, options, timeoutMs, resume).run();
  } finally {
    store.close();
  }
}

/** A path as a shell word: quoted only when it needs to be. */
export function shellWord(path: string): string {
  return /^[\w./@%+=:,-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}

function isSweepSpec(value: SweepDefinition | SweepSpec): value is SweepSpec {
  return (
    typeof value.sampler === 'object' &&
    'maxFailures' in value &&
    typeof value.trials === 'number' &&
    Object.values(value.parameters).every((p) => typeof p.env === 'string') &&
    typeof value.task === 'object' &&
    'numNodes' in value.task
  );
}

class Driver {
  readonly #spec: SweepSpec;
  readonly #store: SweepStore;
  readonly #options: SweepOptions;
  readonly #timeoutMs: number | undefined;
  readonly #resume: string;
  /** The running trials this run cancelled when it was stopped. */
  readonly #cancelled: { index: number; job: string }[] = [];
  readonly #trials = new Map<number, TrialRecord>();
  readonly #active = new Map<number, Promise<void>>();
  readonly #jobs = new Map<number, Job>();
  readonly #stop = new AbortController();
  readonly #launchOptions: { backend?: BackendChoice; home?: string };
  readonly #pruner: Pruner | undefined;
  /** The objective's key in metric lines. */
  readonly #metricKey: string;
  /** Trials the pruner stopped, set before their job is cancelled. */
  readonly #pruned = new Map<number, PruneDecision>();
  #resumed = false;

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
    this.#metricKey = metricKeyOf(spec.objective);
    this.#pruner =
      spec.pruner === undefined
        ? undefined
        : new Pruner(spec.pruner, spec.direction, this.#metricKey);
    this.#launchOptions = {
      ...(options.backend === undefined ? {} : { backend: options.backend }),
      ...(options.home === undefined ? {} : { home: options.home }),
    };
  }

  async run(): Promise<SweepResult> {
    const spec = this.#spec;
    const fingerprint = sweepFingerprint(spec);
    if (!this.#store.createSweep(spec.name, JSON.stringify(spec), fingerprint)) {
      const stored = this.#store.getSweep(spec.name);
      if (stored !== undefined && stored.fingerprint !== fingerprint) {
        const changed = configDifferences(
          fingerprinted(JSON.parse(stored.spec) as SweepSpec),
          fingerprinted(spec),
        );
        throw new StateConflictError(
          `a sweep named ${spec.name} is stored with a different configuration ` +
            `(changed: ${changed.length === 0 ? 'its recorded form' : describeDifferences(changed)}); ` +
            `give this one another name, or delete the stored one with: konduktor sweep rm ${spec.name}`,
        );
      }
      this.#resumed = true;
    }
    this.#store.setSweepState(spec.name, 'running', { spec: JSON.stringify(spec) });
    for (const t of this.#store.trials(spec.name)) this.#trials.set(t.index, t);

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
    const trials = [...this.#trials.values()].sort((a, b) => a.index - b.index);
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
    const unfinished = [...this.#trials.values()].filter(
      (t) => t.state === 'launching' || t.state === 'running',
    );
    if (unfinished.length === 0) return;
    const backend = await resolveBackend(
      this.#launchOptions.backend,
      this.#launchOptions.home === undefined ? {} : { home: this.#launchOptions.home },
    );
    const needsSearch = unfinished.some((t) => t.job === undefined);
    const jobs = needsSearch ? await backend.list() : [];
    for (const t of unfinished) {
      let name = t.job;
      if (name === undefined) {
        // Killed between submitting and recording the job: find it by its name and age.
        const prefix = `${trialTaskName(this.#spec.name, t.index)}-`;
        const since = (t.startedAt ?? 0) - 1000;
        name = jobs.find(
          (j) =>
            j.name.startsWith(prefix) &&
            /^[0-9a-f]{4}$/.test(j.name.slice(prefix.length)) &&
            j.submittedAt.getTime() >= since,
        )?.name;
      }
      if (name === undefined) {
        this.#record(t.index, {
          state: 'cancelled',
          reason: 'the sweep stopped before the trial was submitted',
        });
        continue;
      }
      try {
        const job = await getJob(name, this.#launchOptions);
        this.#store.markRunning(this.#spec.name, t.index, name);
        this.#trials.set(t.index, { ...t, state: 'running', job: name });
        this.#follow(t.index, job);
      } catch {
        this.#record(t.index, { state: 'cancelled', reason: `its job ${name} is gone` });
      }
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
      const failed = this.#count('failed');
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
        const failedNow = this.#count('failed');
        if (stopped === undefined && failedNow > spec.maxFailures) {
          stopped = `${failedNow} trials failed, more than max_failures (${spec.maxFailures})`;
        }
        break;
      }
    }
    return stopped;
  }

  #count(state: TrialRecord['state']): number {
    let n = 0;
    for (const t of this.#trials.values()) if (t.state === state) n += 1;
    return n;
  }

  /** The next trial to launch: an interrupted one first, else a new index, else none. */
  #nextIndex(): number | undefined {
    for (const t of [...this.#trials.values()].sort((a, b) => a.index - b.index)) {
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
    this.#store.markLaunching(spec.name, index, params, startedAt);
    this.#trials.set(index, { index, params, state: 'launching', startedAt });
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
    this.#store.markRunning(this.#spec.name, index, job.name);
    const current = this.#trials.get(index);
    if (current !== undefined)
      this.#trials.set(index, { ...current, state: 'running', job: job.name });
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
    const watching = this.#watchMetrics(
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
      const pruned = this.#pruned.get(index);
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
      watch.abort();
      await watching;
    }
    this.#record(index, endOfResult(text, this.#spec.objective));
  }

  /**
   * Feeds the trial's metric lines to the pruner while its job runs; cancels the job when the
   * pruner says so (recording why first, so the wait that ends with the cancel knows).
   */
  async #watchMetrics(index: number, job: Job, signal: AbortSignal): Promise<void> {
    const pruner = this.#pruner;
    if (pruner === undefined) return;
    try {
      for await (const point of job.metrics({ follow: true, signal })) {
        const value = point.values[this.#metricKey];
        if (value === undefined) continue;
        const decision = pruner.report(index, point.step, value);
        if (decision === undefined) continue;
        this.#pruned.set(index, decision);
        await job.cancel();
        return;
      }
    } catch {
      // Aborted because the trial ended, or its metrics cannot be read (a Kubernetes pod deleted
      // by hand): the trial runs to its end unpruned.
    }
  }

  async #cancel(index: number, job: Job): Promise<void> {
    this.#cancelled.push({ index, job: job.name });
    await job.cancel().catch(() => undefined);
    this.#record(index, {
      state: 'cancelled',
      reason: 'the sweep was stopped; the trial runs again when the sweep is resumed',
    });
  }

  #record(index: number, end: TrialEnd): void {
    const endedAt = Date.now();
    if (end.state === 'succeeded') this.#pruner?.succeeded(index);
    this.#store.markEnded(this.#spec.name, index, end, endedAt);
    const current = this.#trials.get(index);
    const { state, value, result, reason, errorCode, prunedStep } = end;
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
      ...(current?.startedAt === undefined ? {} : { startedAt: current.startedAt }),
      endedAt,
    });
    this.#notify();
  }

  #notify(): void {
    const onUpdate = this.#options.onUpdate;
    if (onUpdate === undefined) return;
    const trials = [...this.#trials.values()].sort((a, b) => a.index - b.index);
    const best = bestTrial(trials, this.#spec.direction);
    onUpdate({
      spec: this.#spec,
      trials,
      ...(best === undefined ? {} : { best }),
      running: this.#count('running') + this.#count('launching'),
      succeeded: this.#count('succeeded'),
      failed: this.#count('failed'),
      pruned: this.#count('pruned'),
      resumed: this.#resumed,
    });
  }
}
