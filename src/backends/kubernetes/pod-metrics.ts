/**
 * Rank 0's metric lines on Kubernetes, read out of its container log, where the pod's wrapper
 * copied them behind a marker (`metric-markers.ts`). Each point's time is when the log received
 * the copy: the log's own timestamp, so a later read gives the same times.
 * @module
 */
import type * as k8s from '@kubernetes/client-node';
import {
  lastMetricLine,
  MetricLineCounter,
  type MetricPoint,
  type MetricWarning,
} from '../../metrics/line.js';
import type { FinalMetrics } from '../../result/outcome.js';
import { PodLogDemux, type PodLogEntry } from './metric-markers.js';
import { type JobEntryOptions, readAttemptLog } from './logs-attempt.js';
import { followJobEntries } from './logs-follow.js';
import { demuxTimestamped, readLog } from './logs-read.js';

/** Options of {@link jobMetrics}: those of the log reader (rank 0's), and where warnings go. */
export interface JobMetricsOptions extends Omit<JobEntryOptions, 'rank' | 'tail'> {
  readonly follow: boolean;
  readonly onWarning?: (warning: MetricWarning) => void;
}

/**
 * Rank 0's metric points of one attempt (the latest by default), or with `follow` from that
 * attempt on until the job ends, as the local backend gives them.
 * @throws {LogsUnavailableError} when rank 0's pod of that attempt ran and is gone (its log, and
 *   the metric lines in it, went with it).
 * @throws {UsageError} for an attempt the job has not reached.
 */
export async function* jobMetrics(options: JobMetricsOptions): AsyncGenerator<MetricPoint> {
  const logOptions: JobEntryOptions = { ...options, rank: 0 };
  if (!options.follow) {
    const read = await readAttemptLog(logOptions, async (pod, attempt) => [
      { attempt, entries: demuxTimestamped(await readLog(logOptions, pod, true)) },
    ]);
    for (const { attempt, entries } of read) {
      const counter = new MetricLineCounter(attempt);
      for (const entry of entries) yield* point(counter, entry, options);
    }
    return;
  }
  let counter: MetricLineCounter | undefined;
  for await (const entry of followJobEntries(logOptions, true)) {
    if (entry.kind === 'open') counter = new MetricLineCounter(entry.attempt);
    else if (counter !== undefined) yield* point(counter, entry, options);
  }
}

function* point(
  counter: MetricLineCounter,
  entry: PodLogEntry,
  options: JobMetricsOptions,
): Generator<MetricPoint> {
  if (entry.kind !== 'metric') return;
  if (entry.text === undefined) {
    options.onWarning?.(counter.over());
    return;
  }
  const taken = counter.take(entry.text, entry.time);
  if (taken === undefined) return;
  if ('warning' in taken) options.onWarning?.(taken.warning);
  else yield taken.point;
}

/** The most log lines read back from a pod's end looking for its last metric line. */
const FINAL_SEARCH_MAX_LINES = 16_384;

/**
 * Rank 0's last well-formed metric line in a pod's log, for the outcome: the log's end is read,
 * further back (by fours, up to {@link FINAL_SEARCH_MAX_LINES} lines) while it holds none.
 * Undefined when there is none there, or the log cannot be read (the pod is gone).
 */
export async function readFinalMetrics(
  core: k8s.CoreV1Api,
  namespace: string,
  pod: string,
  container: string,
): Promise<FinalMetrics | undefined> {
  try {
    for (let asked = 256; asked <= FINAL_SEARCH_MAX_LINES; asked *= 4) {
      const text = await core.readNamespacedPodLog({
        name: pod,
        namespace,
        container,
        tailLines: asked,
      });
      const lines = text.split('\n');
      const demux = new PodLogDemux();
      const metrics: string[] = [];
      for (const line of lines) {
        for (const entry of demux.take(line)) {
          if (entry.kind === 'metric' && entry.text !== undefined) metrics.push(entry.text);
        }
      }
      const last = lastMetricLine(metrics);
      if (last !== undefined || lines.length < asked) return last;
    }
  } catch {
    // The pod went meanwhile: no metrics to keep.
  }
  return undefined;
}
