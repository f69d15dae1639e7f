/**
 * The Job handle: a name and a backend, with waits that take `{ timeout, signal }`.
 * @module
 */
import { ResultTimeoutError } from '../errors.js';
import {
  type Backend,
  type BackendLogOptions,
  type BackendMetricsOptions,
  type JobInfo,
  type JobStatus,
  refuseEnded,
  type TerminalJobInfo,
} from '../backends/backend.js';
import type { MetricPoint } from '../metrics/line.js';
import { type Outcome, outcomeValue } from '../result/outcome.js';
import { type Duration, parseDuration } from './duration.js';

/** Options of every wait. */
export interface WaitOptions {
  /**
   * How long to wait: milliseconds or a duration string (`'30s'`, `'10m'`). On expiry the wait
   * rejects with {@link ResultTimeoutError}; the job keeps running. Unset: wait as long as it takes.
   */
  readonly timeout?: Duration;
  /** Aborts the wait (never the job); the wait rejects with `signal.reason`. */
  readonly signal?: AbortSignal;
  /**
   * Called whenever the job's status, attempt or waiting reason changes while waiting. While the
   * job is not running, `info.reason` says why (a queue position and what it waits for, the
   * scheduler's message, Kueue admission): {@link waitingReasonOf} picks it.
   */
  readonly onUpdate?: (info: JobInfo) => void;
}

/**
 * Why a job that is not running waits, or `undefined` when it runs or has ended. The same text the
 * CLI's progress line and {@link ResultTimeoutError.waitingReason} show.
 */
export function waitingReasonOf(info: JobInfo): string | undefined {
  return info.status === 'PENDING' || info.status === 'STOPPED' ? info.reason : undefined;
}

/** Options of {@link Job.logs}. */
export type LogOptions = BackendLogOptions;

/** Options of {@link Job.metrics}. */
export interface MetricsOptions extends BackendMetricsOptions {
  /**
   * With `follow`: stop following after this long (milliseconds or `'30s'`); the iteration then
   * ends quietly and the job keeps running. Unset: until the job ends.
   */
  readonly timeout?: Duration;
}

/**
 * A handle on a launched job. `${job}` is the job name.
 *
 * @example
 * ```ts
 * const job = await launch(task);
 * const value = await job.result<{ val_loss: number }>({ timeout: '10m' });
 * ```
 */
export class Job {
  /** The job name, `<task name>-<hex>`. */
  readonly name: string;
  readonly #backend: Backend;

  constructor(name: string, backend: Backend) {
    this.name = name;
    this.#backend = backend;
  }

  /** The job name. */
  toString(): string {
    return this.name;
  }

  /** The backend that runs this job. */
  get backend(): Backend {
    return this.#backend;
  }

  /**
   * Waits until the job ends and returns `'succeeded'` or `'failed'` without reading the result.
   * A cancelled job counts as failed.
   * @throws {ResultTimeoutError} when the timeout runs out (the job keeps running).
   */
  async wait(options: WaitOptions = {}): Promise<'succeeded' | 'failed'> {
    const info = await this.#waitTerminal(options);
    return info.status === 'SUCCEEDED' ? 'succeeded' : 'failed';
  }

  /**
   * Waits until the job ends and returns the document rank 0 wrote to
   * `$KONDUKTOR_OUTPUT_DIR/result.json` in the final attempt, parsed.
   *
   * @throws {JobFailedError} the job failed (with the value it reported, if any, as `.value`).
   * @throws {NoResultReportedError} it succeeded without a result.
   * @throws {MalformedResultError} its result is not JSON.
   * @throws {ResultTooLargeError} its result is over the limit.
   * @throws {ResultTimeoutError} the timeout ran out; the job keeps running.
   */
  async result<T = unknown>(options: WaitOptions = {}): Promise<T> {
    const info = await this.#waitTerminal(options);
    return outcomeValue(this.name, info.outcome) as T;
  }

  /**
   * Like {@link Job.result} but returns the document's text exactly as the job wrote it (a
   * leading byte-order mark dropped).
   */
  async resultText(options: WaitOptions = {}): Promise<string> {
    const info = await this.#waitTerminal(options);
    outcomeValue(this.name, info.outcome);
    return info.outcome.kind === 'value' ? info.outcome.text : '';
  }

  /**
   * How the job ended, as recorded, without waiting and without throwing for a failed job or a
   * missing result (as {@link Job.result} does): `undefined` while the job has not ended. The
   * outcome is plain data: `{ kind: 'value', text }`, `'failed'` (with reason, exit code, log
   * tail), `'no_result'`, `'malformed'` or `'too_large'` (see {@link Outcome}).
   * @throws {JobNotFoundError} when the job was removed.
   * @throws {BackendError} when the backend cannot be read.
   */
  async outcome(): Promise<Outcome | undefined> {
    return (await this.#backend.get(this.name)).outcome;
  }

  /** The job's current status. */
  async status(): Promise<JobStatus> {
    return (await this.#backend.get(this.name)).status;
  }

  /** Everything the backend knows about the job. */
  info(): Promise<JobInfo> {
    return this.#backend.get(this.name);
  }

  /**
   * The log lines of one rank, as an async iterable: the latest attempt's unless
   * `options.attempt` names an earlier one; with `follow`, from that attempt on until the job
   * ends (across restarts and a resumed run).
   * @throws {UsageError} when `options.attempt` is after the latest attempt.
   * @throws {LogsUnavailableError} when that log is gone (on Kubernetes: its pod was deleted).
   */
  logs(options: LogOptions = {}): AsyncIterable<string> {
    return this.#backend.logs(this.name, options);
  }

  /**
   * Rank 0's metric points, `{ step, values, time, attempt }`, from the lines the job appended to
   * `$KONDUKTOR_OUTPUT_DIR/metrics.jsonl`: the latest attempt's unless `options.attempt` names
   * one; with `follow`, each as it is written (within a second locally, two on Kubernetes), until
   * the job ends.
   * Malformed lines are skipped and handed to `options.onWarning`.
   *
   * @example
   * ```ts
   * for await (const { step, values } of job.metrics({ follow: true })) console.log(step, values);
   * ```
   * @throws {UsageError} when `options.attempt` is after the latest attempt.
   * @throws {LogsUnavailableError} on Kubernetes, when rank 0's pod of that attempt is gone (the
   *   metric lines travel in its log).
   */
  async *metrics(options: MetricsOptions = {}): AsyncGenerator<MetricPoint> {
    const { timeout, signal: callerSignal, ...rest } = options;
    const timeoutSignal =
      timeout === undefined ? undefined : AbortSignal.timeout(parseDuration(timeout));
    const signals = [callerSignal, timeoutSignal].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length === 0 ? undefined : AbortSignal.any(signals);
    try {
      yield* this.#backend.metrics(this.name, {
        ...rest,
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (err) {
      if (timeoutSignal?.aborted === true && callerSignal?.aborted !== true) return;
      throw err;
    }
  }

  /** Stops the job; it ends `CANCELLED` and its result is a {@link JobFailedError}. */
  cancel(): Promise<void> {
    return this.#backend.cancel(this.name);
  }

  /**
   * Holds the job (`STOPPED`): its processes end, and it leaves the queue until {@link Job.start}.
   * @throws {UsageError} when the job has already ended.
   */
  async stop(): Promise<void> {
    refuseEnded(this.name, (await this.#backend.get(this.name)).status, 'stop');
    await this.#backend.stop(this.name);
  }

  /**
   * Puts a stopped job back in the queue; it runs again from the start. Harmless on a queued or
   * running job.
   * @throws {StateConflictError} when the job has already ended.
   */
  async start(): Promise<void> {
    // Checked here, above every backend: no backend can start an ended job quietly.
    refuseEnded(this.name, (await this.#backend.get(this.name)).status, 'start');
    await this.#backend.start(this.name);
  }

  async #waitTerminal(options: WaitOptions): Promise<TerminalJobInfo> {
    const timeoutMs = options.timeout === undefined ? undefined : parseDuration(options.timeout);
    const timeoutSignal = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
    const signals = [options.signal, timeoutSignal].filter(
      (s): s is AbortSignal => s !== undefined,
    );
    const signal = signals.length === 0 ? undefined : AbortSignal.any(signals);
    let last: JobInfo | undefined;
    try {
      return await this.#backend.waitTerminal(this.name, {
        ...(signal === undefined ? {} : { signal }),
        onUpdate: (info) => {
          last = info;
          options.onUpdate?.(info);
        },
      });
    } catch (err) {
      if (timeoutSignal?.aborted === true && options.signal?.aborted !== true) {
        throw new ResultTimeoutError(
          this.name,
          timeoutMs ?? 0,
          last?.status ?? 'PENDING',
          last === undefined ? undefined : waitingReasonOf(last),
        );
      }
      throw err;
    }
  }
}
