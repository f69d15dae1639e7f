/**
 * Reading and following rank 0's `metrics.jsonl` on the local backend: the file of the latest
 * attempt (or a chosen one), read incrementally as it grows, woken by a watch on the file and the
 * job's change events.
 * @module
 */
import {
  lastMetricLine,
  MetricLineCounter,
  type MetricPoint,
  type MetricWarning,
} from '../../metrics/line.js';
import type { FinalMetrics } from '../../result/outcome.js';
import { isTerminal } from '../backend.js';
import { jobPaths } from './protocol.js';
import { LogLineReader, tailOffset } from './log-file.js';
import { firstAttempt, type FollowLogOptions, waitForChange } from './logs.js';

/** What {@link followMetrics} needs from the backend. */
export interface FollowMetricsOptions extends Pick<
  FollowLogOptions,
  'name' | 'dir' | 'follow' | 'attempt' | 'signal' | 'state' | 'subscribe'
> {
  readonly onWarning?: (warning: MetricWarning) => void;
}

/**
 * Lines longer than this many characters are cut while read (they are over the 4 KiB limit
 * anyway, and refused): a job cannot make the reader hold a line of gigabytes.
 */
const KEEP_CHARACTERS = 8192;

/**
 * Yields rank 0's metric points of one attempt, or with `follow` from that attempt on until the
 * job ends (a restarted job's points carry their attempt). A line not yet ended by its newline
 * waits for it, except when the attempt is over. Malformed lines go to `onWarning`.
 * @throws {UsageError} when the chosen attempt is after the job's latest.
 */
export async function* followMetrics(options: FollowMetricsOptions): AsyncGenerator<MetricPoint> {
  let attempt = firstAttempt(options);
  const open = (n: number): { reader: LogLineReader; counter: MetricLineCounter } => ({
    reader: new LogLineReader(jobPaths.metrics(options.dir, n), 0, { keep: KEEP_CHARACTERS }),
    counter: new MetricLineCounter(n),
  });
  let file = open(attempt);
  // Lines already in the file when the reading began get no time: when they were written is not
  // known, and the time of this read would be a wrong one.
  let backlog = true;
  function* points(lines: Iterable<string>, counter: MetricLineCounter): Generator<MetricPoint> {
    for (const line of lines) {
      const taken = counter.take(line, backlog ? undefined : new Date());
      if (taken === undefined) continue;
      if ('warning' in taken) options.onWarning?.(taken.warning);
      else yield taken.point;
    }
  }
  if (!options.follow) {
    yield* points(file.reader.rest(), file.counter);
    return;
  }
  for (;;) {
    options.signal?.throwIfAborted();
    yield* points(file.reader.lines(), file.counter);
    backlog = false;
    const state = options.state();
    if (state.attempt > attempt || isTerminal(state.status)) {
      // That attempt's ranks are gone: a last line without its newline is complete now.
      yield* points(file.reader.rest(), file.counter);
      if (state.attempt === attempt) return;
      attempt = state.attempt;
      file = open(attempt);
      continue;
    }
    await waitForChange(file.reader.path, options);
  }
}

/** How many lines from its end a finished attempt's file is searched for its last metric line. */
const FINAL_SEARCH_LINES = 64;

/**
 * Rank 0's last well-formed metric line of an attempt, for the outcome: searched among the last
 * {@link FINAL_SEARCH_LINES} lines only (a file may be huge). Undefined when there is none there,
 * or the file is missing or not a regular file.
 */
export function readFinalMetrics(dir: string, attempt: number): FinalMetrics | undefined {
  const path = jobPaths.metrics(dir, attempt);
  const reader = new LogLineReader(path, tailOffset(path, FINAL_SEARCH_LINES), {
    keep: KEEP_CHARACTERS,
  });
  return lastMetricLine(reader.rest());
}
