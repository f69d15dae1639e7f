/**
 * The JSON shapes of the dashboard's API (`/api/…`), shared by the server and documented in
 * `docs/dashboard.md`. Times are ISO 8601 strings (UTC); the page formats them.
 * @module
 */
import type { BackendKind, JobStatus } from '../backends/backend.js';

/** An error as the API returns it: the error's class, stable code, message and every field. */
export interface ErrorView {
  /** The error class, e.g. `JobFailedError`. */
  readonly name: string;
  /** The stable code (`JOB_FAILED`, `JOB_NOT_FOUND`, …; see `docs/dashboard.md`). */
  readonly code: string;
  readonly message: string;
  /** The error's own fields (`exitCode`, `rank`, `logTail`, `suggestions`, …). */
  readonly [field: string]: unknown;
}

/** One job in a list or on its page. */
export interface JobView {
  readonly name: string;
  readonly backend: BackendKind;
  readonly status: JobStatus;
  readonly numNodes: number;
  /** A short resource summary, e.g. `2x(1CPU, 1GiB)`. */
  readonly resources: string;
  readonly submittedAt: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
  /** The current (or final) restart attempt, 0-based. */
  readonly attempt: number;
  /** Why the job is in its state (a pending job's place in the queue and what it waits for). */
  readonly reason?: string;
  /** The result document exactly as the job wrote it, for a job that returned a value. */
  readonly resultText?: string;
  /** The typed error of an ended job that returned no value. */
  readonly error?: ErrorView;
}

/** How many jobs are in each state (over the whole store, no filter). */
export type StatusCounts = Readonly<Record<JobStatus, number>>;

/** `GET /api/jobs`: one page of jobs, newest first. */
export interface JobPage {
  readonly jobs: readonly JobView[];
  /** How many jobs match the filter. */
  readonly total: number;
  readonly offset: number;
  readonly limit: number;
  readonly counts: StatusCounts;
}

/** One attempt of a job and its ranks' logs. */
export interface AttemptView {
  readonly attempt: number;
  /** The ranks that have a log in this attempt. */
  readonly ranks: readonly number[];
  /** When the attempt's directory was made (local backend), if known. */
  readonly startedAt?: string;
  /** The last write to any of its logs (local backend), if known. */
  readonly lastOutputAt?: string;
}

/** `GET /api/jobs/NAME`. */
export interface JobDetail {
  readonly job: JobView;
  /** The task as submitted, env values replaced by `"<hidden>"`; absent where the backend keeps none. */
  readonly task?: unknown;
  readonly attempts: readonly AttemptView[];
  /** Local backend: the queue priority, what the job asks for and the GPU indices it holds. */
  readonly placement?: {
    readonly priority: number;
    readonly demand?: unknown;
    readonly gpus?: readonly (readonly number[])[];
  };
}

/** The `jobs` event of `GET /api/events`: what changed since the last one. */
export interface JobsChange {
  readonly changed: readonly JobView[];
  /** Jobs that no longer exist (`down`). */
  readonly removed: readonly string[];
  readonly counts: StatusCounts;
  /** How many jobs the store holds. */
  readonly total: number;
}

/** A sweep in the list. */
export interface SweepSummary {
  readonly name: string;
  readonly state: string;
  readonly reason?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly objective: string;
  readonly direction: 'minimize' | 'maximize';
  /** Trials asked for. */
  readonly planned: number;
  /** Trials per state (`succeeded`, `failed`, `running`, …). */
  readonly trialStates: Readonly<Record<string, number>>;
  readonly best?: { readonly index: number; readonly value: number };
}

/** One trial of a sweep. */
export interface TrialView {
  readonly index: number;
  readonly state: string;
  readonly params: Readonly<Record<string, string | number | boolean>>;
  readonly job?: string;
  readonly value?: number;
  readonly reason?: string;
  readonly errorCode?: string;
  /** The step a pruned trial was stopped at. */
  readonly prunedStep?: number;
  /** The objective's `[step, value]` from the trial's metric lines, once the trial ended. */
  readonly curve?: readonly (readonly [number, number])[];
  readonly startedAt?: string;
  readonly endedAt?: string;
}

/** A parameter's search space, as the sweep file declared it. */
export interface ParameterView {
  readonly type: string;
  readonly low?: number;
  readonly high?: number;
  readonly log?: boolean;
  readonly values?: readonly (string | number | boolean)[];
}

/** `GET /api/sweeps/NAME`, and the `sweep` event. */
export interface SweepDetail extends SweepSummary {
  readonly parameters: Readonly<Record<string, ParameterView>>;
  readonly trials: readonly TrialView[];
  /** The best so far after each trial, in index order (undefined until one succeeded). */
  readonly bestSoFar: readonly (number | null)[];
}
