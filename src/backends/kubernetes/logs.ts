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
import {
  hasMetricMarker,
  jobLines,
  PodLogDemux,
  type PodLogEntry,
  splitTimestamp,
} from './metric-markers.js';
import { jobSetAttempt, podOf, settledState } from './outcome.js';
import type { JobSetObject, PodObject } from './types.js';

const LOG_TAIL_LINES = 20;
/** Pod changes wake a follower; this is the fallback when no event comes. */
const FOLLOW_RECHECK_MS = 2000;

/** The last lines of a container's log (metric lines taken out), or none when it cannot be read. */
export async function readPodLogTail(
  core: k8s.CoreV1Api,
  namespace: string,
  pod: string,
  container: string,
  lines = LOG_TAIL_LINES,
): Promise<string[]> {
  try {
    return (await readJobTail(core, namespace, pod, container, lines)).lines;
  } catch {
    return [];
  }
}

/**
 * The job's last `lines` lines of a container's log: the log's tail without the metric lines the
 * wrapper put in, read again further back (doubling) while those crowd the job's lines out.
 * `rawLines` is how many lines of the log they span (for a follow that starts there).
 */
async function readJobTail(
  core: k8s.CoreV1Api,
  namespace: string,
  pod: string,
  container: string,
  lines: number,
): Promise<{ lines: string[]; rawLines: number | undefined }> {
  for (let asked = Math.max(lines, 1); ; asked *= 2) {
    const raw = splitLines(
      await core.readNamespacedPodLog({ name: pod, namespace, container, tailLines: asked }),
    );
    const kept = jobLines(raw);
    if (kept.length >= lines || raw.length < asked) {
      // How far back the last `lines` job lines begin, in lines of the log (a line with a
      // marker is not one of the job's).
      let rawLines = 0;
      for (let seen = 0; rawLines < raw.length && seen < lines; rawLines += 1) {
        if (!hasMetricMarker(raw[raw.length - 1 - rawLines] ?? '')) seen += 1;
      }
      return {
        lines: kept.slice(Math.max(0, kept.length - lines)),
        rawLines: raw.length < asked ? undefined : rawLines,
      };
    }
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

function logsGone(
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
function attemptOf(options: JobEntryOptions, state: JobLogState): number {
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

/** What {@link followJobEntries} hands out: a pod's stream opening, then its entries. */
export type FollowedEntry =
  | {
      readonly kind: 'open';
      readonly attempt: number;
      /** True when this pod is of another attempt than the one asked for or last shown. */
      readonly newAttempt: boolean;
    }
  | PodLogEntry;

/** The options {@link followJobEntries} and {@link readAttemptLog} need. */
export type JobEntryOptions = Omit<JobLogOptions, 'follow'>;

/**
 * The log lines of one rank of one attempt (the latest by default), the wrapper's metric lines
 * taken out. Without `follow`, what the log holds now (nothing before the pod starts). With
 * `follow`, waits for the pod, streams it until its container ends, and goes on with the job's
 * later attempts, if it restarts, until the job ends.
 * @throws {LogsUnavailableError} when the pod of that rank and attempt ran and is gone.
 * @throws {UsageError} for an attempt the job has not reached.
 */
export async function* jobLogs(options: JobLogOptions): AsyncGenerator<string> {
  if (options.follow) {
    for await (const entry of followJobEntries(options, false)) {
      if (entry.kind === 'log') yield entry.text;
      else if (entry.kind === 'open' && entry.newAttempt)
        yield `[konduktor] restart attempt ${entry.attempt}`;
    }
    return;
  }
  if (options.tail === 0) {
    await readAttemptLog(options, async () => Promise.resolve([]));
    return;
  }
  const { tail } = options;
  yield* await readAttemptLog(options, async (pod) =>
    tail === undefined
      ? jobLines(splitLines(await readLog(options, pod, false)))
      : (await readJobTail(options.core, options.namespace, pod, options.container, tail)).lines,
  );
}

/** A whole container log as text, with the API's timestamps when asked. */
export async function readLog(
  options: JobEntryOptions,
  pod: string,
  timestamps: boolean,
): Promise<string> {
  return options.core.readNamespacedPodLog({
    name: pod,
    namespace: options.namespace,
    container: options.container,
    ...(timestamps ? { timestamps: true } : {}),
  });
}

/**
 * Reads the log of the rank and attempt asked for, as it is now, through `read` (given the pod's
 * name); nothing when its pod has not started or never ran.
 * @throws {LogsUnavailableError} when that pod ran and is gone.
 * @throws {UsageError} for an attempt the job has not reached.
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

/** A container log read with timestamps, split into the job's lines and the metric lines. */
export function demuxTimestamped(text: string): PodLogEntry[] {
  const demux = new PodLogDemux();
  const entries: PodLogEntry[] = [];
  for (const line of splitLines(text)) {
    const { time, text: rest } = splitTimestamp(line);
    entries.push(...demux.take(rest, time));
  }
  entries.push(...demux.end());
  return entries;
}

/**
 * Follows from the attempt asked for (the latest by default) on into the later ones, until the job
 * ends, handing out each pod's entries after an `open` entry naming its attempt. An attempt whose
 * pod is gone (deleted with its restart) is passed over. With `timestamps`, metric entries carry
 * the time the log received them.
 */
export async function* followJobEntries(
  options: JobEntryOptions,
  timestamps: boolean,
): AsyncGenerator<FollowedEntry> {
  const { signal } = options;
  let wake: () => void = () => undefined;
  const unsubscribe = options.subscribe(() => {
    wake();
  });
  /** Pods whose stream ran to its end: never streamed twice. */
  const streamed = new Set<string>();
  let target: number | undefined;
  /** The attempt asked for, then the attempt of the last pod streamed: a change is announced. */
  let shownAttempt: number | undefined;
  let first = true;
  try {
    for (;;) {
      signal?.throwIfAborted();
      const state = await options.observe();
      target ??= attemptOf(options, state);
      shownAttempt ??= target;
      const pod = podOf(state.pods, target, options.rank);
      const key = pod?.metadata?.uid ?? pod?.metadata?.name;
      if (pod?.metadata?.name !== undefined && key !== undefined && !streamed.has(key)) {
        const tail = first ? options.tail : undefined;
        const result = yield* streamPod(options, pod.metadata.name, {
          tail,
          timestamps,
          open: { kind: 'open', attempt: target, newAttempt: target !== shownAttempt },
        });
        // A 404 for a pod the API still lists is not its end: a pod just bound to a node is
        // unknown to that node's kubelet for a moment (it answers 404), under load for seconds.
        // Taken as gone, the attempt's whole log was passed over. Tried again once the pod
        // changes; a deleted pod leaves the list, and after the job's end nothing comes back.
        if (result === 'streamed' || (result === 'gone' && state.ended)) {
          streamed.add(key);
          shownAttempt = target;
          first = false;
          continue; // look again at once: the job may have moved on meanwhile
        }
      } else if (target < state.attempt) {
        target += 1; // this attempt's pod was followed to its end, or is gone with its restart
        continue;
      } else if (state.ended) {
        if (first && pod === undefined && isGone(state, target))
          throw logsGone(options, target, state);
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
 * Streams one pod's log until its container ends (`open` first, once the stream opens), split
 * into the job's lines and the metric lines. With `tail` 0 only new lines: the API drops
 * `tailLines=0`, so lines are read with timestamps from the second the stream opens and those
 * before it are skipped. A `tail` of N counts the job's lines, not the metric lines among them.
 */
async function* streamPod(
  options: JobEntryOptions,
  pod: string,
  how: {
    readonly tail: number | undefined;
    readonly timestamps: boolean;
    readonly open: FollowedEntry;
  },
): AsyncGenerator<FollowedEntry, 'streamed' | 'not-started' | 'gone'> {
  const { signal } = options;
  const stream = new PassThrough();
  const opened = Date.now();
  const onlyNew = how.tail === 0;
  const stamped = onlyNew || how.timestamps;
  let controller: AbortController;
  try {
    let tailLines: number | undefined = onlyNew ? undefined : how.tail;
    if (tailLines !== undefined) {
      tailLines = (
        await readJobTail(options.core, options.namespace, pod, options.container, tailLines)
      ).rawLines;
    }
    controller = await new k8s.Log(options.kc).log(
      options.namespace,
      pod,
      options.container,
      stream,
      {
        follow: true,
        ...(tailLines === undefined ? {} : { tailLines }),
        ...(stamped ? { timestamps: true } : {}),
        ...(onlyNew ? { sinceTime: `${new Date(opened).toISOString().slice(0, 19)}Z` } : {}),
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
  const demux = new PodLogDemux();
  try {
    yield how.open;
    for await (const line of createInterface({ input: stream })) {
      if (!stamped) {
        yield* demux.take(line);
        continue;
      }
      // `2026-01-01T00:00:00.123456789Z text`: the API's RFC 3339 time, then a space.
      const { time, text } = splitTimestamp(line);
      if (onlyNew && time !== undefined && time.getTime() < opened) continue;
      yield* demux.take(text, time);
    }
    yield* demux.end();
  } finally {
    signal?.removeEventListener('abort', onAbort);
    controller.abort();
  }
  signal?.throwIfAborted();
  return 'streamed';
}
