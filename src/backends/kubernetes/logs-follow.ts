/**
 * Following a rank's log as it grows, through the API's log stream: one pod's stream until its
 * container ends, and on across the job's later attempts (a restart recreates every pod) until the
 * job ends, each pod's stream announced by an `open` entry naming its attempt.
 * @module
 */
import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import * as k8s from '@kubernetes/client-node';
import { statusOf } from './client.js';
import { attemptOf, isGone, type JobEntryOptions, logsGone } from './logs-attempt.js';
import { readJobTail } from './logs-read.js';
import { PodLogDemux, type PodLogEntry, splitTimestamp } from './metric-markers.js';
import { podOf } from './outcome.js';

/** Pod changes wake a follower; this is the fallback when no event comes. */
const FOLLOW_RECHECK_MS = 2000;

/** What {@link followJobEntries} hands out: a pod's stream opening, then its entries. */
export type FollowedEntry =
  | {
      readonly kind: 'open';
      readonly attempt: number;
      /** True when this pod is of another attempt than the one asked for or last shown. */
      readonly newAttempt: boolean;
    }
  | PodLogEntry;

/**
 * Follows from the attempt asked for (the latest by default) on into the later ones, until the job
 * ends, handing out each pod's entries after an `open` entry naming its attempt. An attempt whose
 * pod is gone (deleted with its restart) is passed over. With `timestamps`, metric entries carry
 * the time the log received them. When `options.signal` aborts, throws its reason.
 * @throws {LogsUnavailableError} when the pod of the attempt asked for ran, is gone, and the job
 *   has ended without a later pod to follow.
 * @throws {UsageError} for an attempt the job has not reached.
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
      tailLines = (await readJobTail(options, pod, tailLines)).rawLines;
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
