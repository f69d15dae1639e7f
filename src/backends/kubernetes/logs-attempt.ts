/**
 * Which pod's log a reader wants, and whether it can still be had: the job's state as a log
 * reader sees it, the attempt asked for checked against the latest, and the
 * {@link LogsUnavailableError} for a pod that ran and is gone.
 *
 * A container's log lives as long as its pod. Pods are deleted by `cancel` and `stop` (suspension),
 * by a restart (JobSet recreates every pod of the next attempt and deletes the previous one's), and
 * by hand; a log asked for after that is a {@link LogsUnavailableError}, never an empty success.
 * @module
 */
import type * as k8s from '@kubernetes/client-node';
import { BackendError, LogsUnavailableError, UsageError } from '../../errors.js';
import { statusOf } from './client.js';
import { readRecord } from './condition.js';
import { observedStart } from './job-info.js';
import { ANNOTATIONS } from './manifests.js';
import { jobSetAttempt, podOf, settledState } from './outcome.js';
import type { JobSetObject, PodObject } from './types.js';

/** What a log reader needs to know about a job, read afresh whenever it looks. */
export interface JobLogState {
  /** The job's latest attempt. */
  readonly attempt: number;
  readonly pods: readonly PodObject[];
  /** Nothing more will run: the job has ended (or its end is decided). */
  readonly ended: boolean;
  /** Held by `konduktor stop`: its pods are gone until `konduktor start`. */
  readonly stopped: boolean;
  /** A pod of the job ever started (false for a job cancelled or stopped while it waited). */
  readonly ran: boolean;
}

/** A JobSet and its pods as a {@link JobLogState}. */
export function logStateOf(js: JobSetObject, pods: readonly PodObject[]): JobLogState {
  const record = readRecord(js);
  const annotations = js.metadata.annotations ?? {};
  const ended =
    record !== undefined ||
    js.status?.terminalState !== undefined ||
    annotations[ANNOTATIONS.cancelled] === 'true' ||
    settledState(js, pods) !== undefined;
  const ran =
    // A record without times predates them: it may have run.
    (record !== undefined && (record.startedAt !== undefined || record.endedAt === undefined)) ||
    annotations[ANNOTATIONS.startedAt] !== undefined ||
    observedStart(js, pods) !== undefined;
  return {
    attempt: jobSetAttempt(js),
    pods,
    ended,
    stopped: js.spec?.suspend === true && annotations[ANNOTATIONS.stopped] === 'true',
    ran,
  };
}

/** Options of `jobLogs` (`logs.ts`). */
export interface JobLogOptions {
  readonly kc: k8s.KubeConfig;
  readonly core: k8s.CoreV1Api;
  readonly namespace: string;
  readonly container: string;
  readonly jobName: string;
  readonly rank: number;
  /** The attempt whose log to read. @default the latest */
  readonly attempt?: number;
  readonly follow: boolean;
  /** Only the last N lines (of the first pod read, when following). */
  readonly tail?: number;
  readonly signal?: AbortSignal;
  /** The job's state now. */
  readonly observe: () => Promise<JobLogState>;
  /** Wakes the caller when the job changes (pods appear or end, the job restarts or ends). */
  readonly subscribe: (listener: () => void) => () => void;
}

/** The options `followJobEntries` (`logs-follow.ts`) and {@link readAttemptLog} need. */
export type JobEntryOptions = Omit<JobLogOptions, 'follow'>;

/** The error for the log of a pod of `attempt` that ran and is gone, saying why it went. */
export function logsGone(
  options: JobEntryOptions,
  attempt: number,
  state: JobLogState,
): LogsUnavailableError {
  const job = options.jobName;
  const kept = "and Kubernetes keeps a container's log only while its pod exists";
  let why: string;
  if (attempt < state.attempt) {
    why = `the pods of attempt ${attempt} were deleted when the job moved on to attempt ${state.attempt}, ${kept}`;
  } else if (state.stopped) {
    // A held job has no result yet: point at what brings it (and a new log) back.
    why = `its pods were deleted when \`konduktor stop\` held it, ${kept}. \`konduktor start ${job}\` runs it again as a new attempt, whose log \`konduktor logs ${job}\` shows`;
  } else {
    why = `its pod was deleted (when the job was cancelled, or by hand), ${kept}. The job's outcome is kept: \`konduktor result ${job}\``;
  }
  return new LogsUnavailableError(job, options.rank, attempt, why);
}

/** The attempt asked for, checked against the job's latest. @throws {UsageError} */
export function attemptOf(options: JobEntryOptions, state: JobLogState): number {
  if (options.attempt === undefined) return state.attempt;
  if (options.attempt > state.attempt) {
    throw new UsageError(
      `job ${options.jobName} has no attempt ${options.attempt} yet: its latest is attempt ${state.attempt}`,
    );
  }
  return options.attempt;
}

/** True when the attempt's pods ran and will never be back: their log is gone for good. */
export function isGone(state: JobLogState, attempt: number): boolean {
  return attempt < state.attempt || ((state.ended || state.stopped) && state.ran);
}

/**
 * Reads the log of the rank and attempt asked for, as it is now, through `read` (given the pod's
 * name); nothing when its pod has not started or never ran.
 * @throws {LogsUnavailableError} when that pod ran and is gone.
 * @throws {UsageError} for an attempt the job has not reached.
 * @throws {BackendError} when the API fails otherwise.
 */
export async function readAttemptLog<T>(
  options: JobEntryOptions,
  read: (pod: string, attempt: number) => Promise<T[]>,
): Promise<T[]> {
  const state = await options.observe();
  const attempt = attemptOf(options, state);
  const pod = podOf(state.pods, attempt, options.rank)?.metadata?.name;
  if (pod === undefined) {
    if (isGone(state, attempt)) throw logsGone(options, attempt, state);
    return []; // not started yet, or never ran
  }
  try {
    return await read(pod, attempt);
  } catch (err) {
    const status = statusOf(err);
    if (status === 404) throw logsGone(options, attempt, state);
    if (status === 400) return []; // the container has not started yet
    throw new BackendError(`could not read the log of pod ${pod}: ${String(err)}`, { cause: err });
  }
}
