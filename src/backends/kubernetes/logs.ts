/**
 * Pod logs through the API: the last lines of a failing rank (for `JobFailedError.logTail`), and
 * `konduktor logs` (`--rank`, `--attempt`, `--tail`, `-f`).
 *
 * A container's log lives as long as its pod. Pods are deleted by `cancel` and `stop` (suspension),
 * by a restart (JobSet recreates every pod of the next attempt and deletes the previous one's), and
 * by hand; a log asked for after that is a {@link LogsUnavailableError}, never an empty success.
 * Following goes on across attempts: when the followed pod's container ends and the job moves on
 * to another attempt, the next attempt's pod is followed after a restart marker, as on the local
 * backend.
 * @module
 */
import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import * as k8s from '@kubernetes/client-node';
import { BackendError, LogsUnavailableError, UsageError } from '../../errors.js';
import { statusOf } from './client.js';
import { readRecord } from './condition.js';
import { observedStart } from './job-info.js';
import { ANNOTATIONS } from './manifests.js';
import { jobSetAttempt, podOf, settledState } from './outcome.js';
import type { JobSetObject, PodObject } from './types.js';

const LOG_TAIL_LINES = 20;
/** Pod changes wake a follower; this is the fallback when no event comes. */
const FOLLOW_RECHECK_MS = 2000;

/** The last lines of a container's log, or none when it cannot be read. */
export async function readPodLogTail(
  core: k8s.CoreV1Api,
  namespace: string,
  pod: string,
  container: string,
  lines = LOG_TAIL_LINES,
): Promise<string[]> {
  try {
    const text = await core.readNamespacedPodLog({
      name: pod,
      namespace,
      container,
      tailLines: lines,
    });
    return splitLines(text);
  } catch {
    return [];
  }
}

function splitLines(text: string): string[] {
  const all = text.split('\n');
  if (all.at(-1) === '') all.pop();
  return all;
}

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

/** Options of {@link jobLogs}. */
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

function logsGone(options: JobLogOptions, attempt: number, latest: number): LogsUnavailableError {
  const what =
    attempt < latest
      ? `the pods of attempt ${attempt} were deleted when the job moved on to attempt ${latest}`
      : 'its pod was deleted (by `konduktor cancel` or `stop`, or by hand)';
  return new LogsUnavailableError(
    options.jobName,
    options.rank,
    attempt,
    `${what}, and Kubernetes keeps a container's log only while its pod exists. The job's result is kept: konduktor result ${options.jobName}`,
  );
}

/** The attempt asked for, checked against the job's latest. @throws {UsageError} */
function attemptOf(options: JobLogOptions, state: JobLogState): number {
  if (options.attempt === undefined) return state.attempt;
  if (options.attempt > state.attempt) {
    throw new UsageError(
      `job ${options.jobName} has no attempt ${options.attempt} yet: its latest is attempt ${state.attempt}`,
    );
  }
  return options.attempt;
}

/** True when the attempt's pods ran and will never be back: their log is gone for good. */
function isGone(state: JobLogState, attempt: number): boolean {
  return attempt < state.attempt || ((state.ended || state.stopped) && state.ran);
}

/**
 * The log lines of one rank of one attempt (the latest by default). Without `follow`, what the log
 * holds now (nothing before the pod starts). With `follow`, waits for the pod, streams it until its
 * container ends, and goes on with the job's later attempts, if it restarts, until the job ends.
 * @throws {LogsUnavailableError} when the pod of that rank and attempt ran and is gone.
 * @throws {UsageError} for an attempt the job has not reached.
 */
export async function* jobLogs(options: JobLogOptions): AsyncGenerator<string> {
  if (options.follow) {
    yield* followJobLogs(options);
    return;
  }
  const state = await options.observe();
  const attempt = attemptOf(options, state);
  const pod = podOf(state.pods, attempt, options.rank)?.metadata?.name;
  if (pod === undefined) {
    if (isGone(state, attempt)) throw logsGone(options, attempt, state.attempt);
    return; // not started yet, or never ran
  }
  if (options.tail === 0) return;
  let text: string;
  try {
    text = await options.core.readNamespacedPodLog({
      name: pod,
      namespace: options.namespace,
      container: options.container,
      ...(options.tail === undefined ? {} : { tailLines: options.tail }),
    });
  } catch (err) {
    const status = statusOf(err);
    if (status === 404) throw logsGone(options, attempt, state.attempt);
    if (status === 400) return; // the container has not started yet
    throw new BackendError(`could not read the log of pod ${pod}: ${String(err)}`, { cause: err });
  }
  yield* splitLines(text);
}

/**
 * Follows from the attempt asked for (the latest by default) on into the later ones, until the job
 * ends. An attempt whose pod is gone (deleted with its restart) is passed over; the marker names
 * each attempt shown after the first one followed.
 */
async function* followJobLogs(options: JobLogOptions): AsyncGenerator<string> {
  const { signal } = options;
  let wake: () => void = () => undefined;
  const unsubscribe = options.subscribe(() => {
    wake();
  });
  /** Pods whose stream ran to its end: never streamed twice. */
  const streamed = new Set<string>();
  let target: number | undefined;
  let shownAttempt: number | undefined;
  let shownLines = false;
  try {
    for (;;) {
      signal?.throwIfAborted();
      const state = await options.observe();
      target ??= attemptOf(options, state);
      shownAttempt ??= target;
      const pod = podOf(state.pods, target, options.rank);
      const key = pod?.metadata?.uid ?? pod?.metadata?.name;
      if (pod?.metadata?.name !== undefined && key !== undefined && !streamed.has(key)) {
        const marker =
          target === shownAttempt ? undefined : `[konduktor] restart attempt ${target}`;
        const tail = shownLines ? undefined : options.tail;
        const result = yield* streamPod(options, pod.metadata.name, tail, marker);
        // A 404 for a pod the API still lists is not its end: a pod just bound to a node is
        // unknown to that node's kubelet for a moment (it answers 404), under load for seconds.
        // Taken as gone, the attempt's whole log was passed over. Tried again once the pod
        // changes; a deleted pod leaves the list, and after the job's end nothing comes back.
        if (result === 'streamed' || (result === 'gone' && state.ended)) {
          streamed.add(key);
          shownAttempt = target;
          shownLines = true;
          continue; // look again at once: the job may have moved on meanwhile
        }
      } else if (target < state.attempt) {
        target += 1; // this attempt's pod was followed to its end, or is gone with its restart
        continue;
      } else if (state.ended) {
        if (!shownLines && pod === undefined && isGone(state, target))
          throw logsGone(options, target, state.attempt);
        return;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, FOLLOW_RECHECK_MS);
        function done(): void {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          wake = () => undefined;
          resolve();
        }
        wake = done;
        signal?.addEventListener('abort', done, { once: true });
      });
    }
  } finally {
    unsubscribe();
  }
}

/**
 * Streams one pod's log until its container ends (`marker` first, once the stream opens). With
 * `tail` 0 only new lines: the API drops `tailLines=0`, so lines are read with timestamps from the
 * second the stream opens and those before it are skipped.
 */
async function* streamPod(
  options: JobLogOptions,
  pod: string,
  tail: number | undefined,
  marker: string | undefined,
): AsyncGenerator<string, 'streamed' | 'not-started' | 'gone'> {
  const { signal } = options;
  const stream = new PassThrough();
  const opened = Date.now();
  const onlyNew = tail === 0;
  let controller: AbortController;
  try {
    controller = await new k8s.Log(options.kc).log(
      options.namespace,
      pod,
      options.container,
      stream,
      {
        follow: true,
        ...(tail === undefined || onlyNew ? {} : { tailLines: tail }),
        ...(onlyNew
          ? { timestamps: true, sinceTime: `${new Date(opened).toISOString().slice(0, 19)}Z` }
          : {}),
      },
    );
  } catch (err) {
    // 400: the container is still waiting to start; 404: the pod went meanwhile, or its node's
    // kubelet does not know it yet (see the caller).
    return statusOf(err) === 404 ? 'gone' : 'not-started';
  }
  const onAbort = (): void => {
    controller.abort();
    stream.end();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (marker !== undefined) yield marker;
    for await (const line of createInterface({ input: stream })) {
      if (!onlyNew) {
        yield line;
        continue;
      }
      // `2026-01-01T00:00:00.123456789Z text`: the API's RFC 3339 time, then a space.
      const space = line.indexOf(' ');
      const at = Date.parse(line.slice(0, space));
      if (!(at < opened)) yield line.slice(space + 1);
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    controller.abort();
  }
  signal?.throwIfAborted();
  return 'streamed';
}
