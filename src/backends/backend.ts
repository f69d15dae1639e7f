/**
 * The contract every backend implements. The Job handle, the library and the CLI talk only to
 * this interface; one conformance suite (`test/conformance/`) runs against every implementation.
 *
 * Backends report facts (which rank exited how, in which attempt, and the reporter's bytes); the
 * shared `result/` code turns them into outcomes. What every backend does alike lives above the
 * seam in `shared/`: the wait for a job's end (`shared/wait.ts`), drawing a free job name
 * (`shared/names.ts`), the preconditions of `stop`/`start` (`shared/preconditions.ts`), signal
 * names of exit statuses (`shared/exit-status.ts`).
 * @module
 */
import type { JobResources } from './resources.js';
import type { MetricPoint, MetricWarning } from '../metrics/line.js';
import type { Outcome } from '../result/outcome.js';
import type { TaskSpec } from '../task/types.js';

/** The backends konduktor ships. */
export type BackendKind = 'local' | 'kubernetes';

/** A job's lifecycle states. */
export const JobStatuses = {
  PENDING: 'PENDING',
  RUNNING: 'RUNNING',
  /** Held by `konduktor stop`; `konduktor start` puts it back in the queue. */
  STOPPED: 'STOPPED',
  SUCCEEDED: 'SUCCEEDED',
  FAILED: 'FAILED',
  CANCELLED: 'CANCELLED',
} as const;

/** One of {@link JobStatuses}. */
export type JobStatus = (typeof JobStatuses)[keyof typeof JobStatuses];

/** True for the states a job never leaves. */
export function isTerminal(status: JobStatus): boolean {
  return status === 'SUCCEEDED' || status === 'FAILED' || status === 'CANCELLED';
}

export { refuseEnded } from './shared/preconditions.js';

/** What a backend knows about one job. */
export interface JobInfo {
  readonly name: string;
  readonly backend: BackendKind;
  readonly status: JobStatus;
  readonly numNodes: number;
  /** What each node asked for (`formatResources` gives the summary, e.g. `2x(1CPU, 1GiB)`). */
  readonly resources: JobResources;
  readonly submittedAt: Date;
  /** When the job's processes (pods) first started; absent until they do. */
  readonly startedAt?: Date;
  /**
   * When the job's processes (pods) ended; for a `STOPPED` job that ran, when it was stopped
   * (where the backend records it: the local one does), cleared again when it is resumed.
   */
  readonly endedAt?: Date;
  /** The current (or final) restart attempt, 0-based. */
  readonly attempt: number;
  /** Why the job is in its state, when there is something to say (pending, failed). */
  readonly reason?: string;
  /** The recorded outcome, once the job is terminal. */
  readonly outcome?: Outcome;
}

/** A terminal job with its outcome. */
export type TerminalJobInfo = JobInfo & { readonly outcome: Outcome };

/** Options of {@link Backend.waitTerminal}. */
export interface BackendWaitOptions {
  /** Aborts the wait (never the job); the promise rejects with `signal.reason`. */
  readonly signal?: AbortSignal;
  /** Called with the job's info whenever its status or attempt changes. */
  readonly onUpdate?: (info: JobInfo) => void;
}

/** Options of {@link Backend.logs}. */
export interface BackendLogOptions {
  /** @default 0 */
  readonly rank?: number;
  /**
   * Keep following until the job ends: from {@link BackendLogOptions.attempt} on into the later
   * attempts (restarts, and a run resumed by `start`), each announced by a
   * `[konduktor] restart attempt N` line.
   * @default false
   */
  readonly follow?: boolean;
  /**
   * The attempt (0-based `RESTART_ATTEMPT`) whose log to read; with `follow`, the one to start at.
   * @default the latest attempt (`JobInfo.attempt`)
   */
  readonly attempt?: number;
  /** Only the last N lines (before following): exactly N, or all when there are fewer. */
  readonly tail?: number;
  readonly signal?: AbortSignal;
}

/** Options of {@link Backend.metrics}. */
export interface BackendMetricsOptions {
  /**
   * Keep reading as lines arrive until the job ends, from {@link BackendMetricsOptions.attempt}
   * on into later attempts.
   * @default false
   */
  readonly follow?: boolean;
  /**
   * The attempt (0-based `RESTART_ATTEMPT`) whose metrics to read; with `follow`, the first.
   * @default the latest attempt
   */
  readonly attempt?: number;
  readonly signal?: AbortSignal;
  /** Called for each malformed line, which is skipped; reading goes on. */
  readonly onWarning?: (warning: MetricWarning) => void;
}

/**
 * The queue of a backend that queues jobs itself (the local one): its capacity, what is in use,
 * and the queued jobs in order with why each waits. CPUs and memory (GiB) are numbers; GPUs are
 * `CUDA_VISIBLE_DEVICES` indices.
 */
export interface BackendQueueInfo {
  readonly capacity: {
    readonly cpus: number;
    readonly memory: number;
    readonly gpus: readonly number[];
  };
  readonly used: {
    readonly cpus: number;
    readonly memory: number;
    readonly gpus: readonly number[];
  };
  readonly running: number;
  /** Queued jobs in order, with why each waits. */
  readonly waiting: readonly {
    readonly name: string;
    readonly position: number;
    readonly reason: string;
  }[];
}

/**
 * A place where jobs run. Implementations own their connections and release them in
 * {@link Backend.close}; no method leaves a handle that keeps the process alive after it settles.
 */
export interface Backend {
  readonly kind: BackendKind;
  /** Where jobs live, for messages: `the local backend (/home/u/.konduktor)`. */
  readonly description: string;
  /** Starts a job for a validated task and returns its name. Validates backend-specific needs. */
  submit(spec: TaskSpec): Promise<string>;
  /**
   * What {@link Backend.submit} would create, as plain data (`launch --dryrun` prints it; on
   * Kubernetes, the manifests). Validates like submit; creates nothing.
   */
  dryRun(spec: TaskSpec): Promise<unknown>;
  /**
   * What a task's `workdir` and `file_mounts` become on this backend, for the plan (`340 KiB gzip
   * tar of 12 files (1.2 MiB), sha256 …, in the job's Secret`); absent or undefined where nothing
   * is shipped (the local backend runs in place). Uploads nothing.
   */
  describeCode?(spec: TaskSpec): Promise<string | undefined>;
  /**
   * Why no node of the backend can ever hold one of the task's nodes, when the backend would
   * accept the job anyway and keep it pending (on Kubernetes a node may join later), for a
   * warning beside the plan; undefined when one can, or when it cannot be told. The local
   * backend refuses such a task in {@link Backend.submit} instead.
   */
  placementWarning?(spec: TaskSpec): Promise<string | undefined>;
  /**
   * The job's current info. @throws {JobNotFoundError}
   *
   * Reads reconcile: a read that finds the job ended and its end not yet recorded records it
   * (locally: the supervisor's final record into the store, then the queue admits what now fits;
   * on Kubernetes: the `KonduktorResult` condition on the JobSet). So any konduktor process that
   * reads a job, now or later, records and then sees the same outcome.
   * {@link Backend.waitTerminal}, {@link Backend.list} and the log followers read the same way.
   */
  get(name: string): Promise<JobInfo>;
  /**
   * Resolves once the job is terminal, with its outcome recorded. Subscribes before reading the
   * current state, so a job that already ended resolves at once.
   * @throws {JobNotFoundError}
   */
  waitTerminal(name: string, options?: BackendWaitOptions): Promise<TerminalJobInfo>;
  /** Jobs, newest first. Reads reconcile, as {@link Backend.get} does. */
  list(options?: { readonly limit?: number }): Promise<JobInfo[]>;
  /**
   * The log lines of one rank, of the latest attempt unless `options.attempt` names one.
   * @throws {JobNotFoundError} when iteration starts and the job does not exist.
   * @throws {UsageError} when `options.attempt` is after the job's latest attempt.
   * @throws {LogsUnavailableError} when that log is gone (on Kubernetes: its pod was deleted).
   */
  logs(name: string, options?: BackendLogOptions): AsyncIterable<string>;
  /**
   * Rank 0's metric points (lines of `$KONDUKTOR_OUTPUT_DIR/metrics.jsonl`), of the latest attempt
   * unless `options.attempt` names one; with `follow`, as they are written until the job ends.
   * @throws {JobNotFoundError} when iteration starts and the job does not exist.
   * @throws {UsageError} when `options.attempt` is after the job's latest attempt.
   * @throws {LogsUnavailableError} on Kubernetes, when rank 0's pod of that attempt is gone.
   */
  metrics(name: string, options?: BackendMetricsOptions): AsyncIterable<MetricPoint>;
  /** Stops the job; it ends `CANCELLED`. Harmless on a terminal job. */
  cancel(name: string): Promise<void>;
  /**
   * Holds the job: a running job's processes are stopped, a queued job stays out of the queue;
   * the job is `STOPPED` until {@link Backend.start}. Harmless on a stopped job.
   * @throws {StateConflictError} when the job has already ended.
   */
  stop(name: string): Promise<void>;
  /**
   * Puts a stopped job back in the queue; it runs again from the start with the next
   * `RESTART_ATTEMPT`. Harmless on a queued or running job.
   * @throws {StateConflictError} when the job has already ended.
   */
  start(name: string): Promise<void>;
  /**
   * The backend's own queue, where it keeps one (the local backend); absent where the cluster
   * queues jobs (Kubernetes, Kueue). Reading it admits what fits first.
   */
  queue?(): BackendQueueInfo;
  /** Cancels the job if needed and deletes it and everything it left. */
  remove(name: string): Promise<void>;
  /**
   * Releases connections and watchers. Waits on a closed backend fail; the client that made it
   * (see `createKonduktor`) makes a fresh one for its next call.
   */
  close(): Promise<void>;
  /** True once {@link Backend.close} was called. */
  readonly closed: boolean;
}
