/**
 * Rank 0's metric lines on Kubernetes, read out of its container log, where the pod's wrapper
 * copied them behind a marker (`metric-markers.ts`). Each point's time is when the log received
 * the copy: the log's own timestamp, so a later read gives the same times.
 * @module
 */
import { MetricLineCounter, type MetricPoint, type MetricWarning } from '../../metrics/line.js';
import type { PodLogEntry } from './metric-markers.js';
import {
  demuxTimestamped,
  followJobEntries,
  type JobEntryOptions,
  readAttemptLog,
  readLog,
} from './logs.js';

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
