/**
 * Metric lines travel out of a pod in its container log: rank 0's wrapper (the container script)
 * copies each new line of `metrics.jsonl` into the log behind a marker, and konduktor's log reader
 * takes them out again, so `konduktor logs` never shows them and the pod needs no API credentials.
 *
 * A marker line may land after a part of a line the job had not ended yet (a job's buffered
 * stdout is flushed at any byte): the reader finds a marker anywhere in a line, keeps the text
 * before it, and joins it to the job's next line, so the job's own output reads as it wrote it.
 *
 * A job that prints a marker itself reports a metric, exactly as if it had appended the line to
 * `metrics.jsonl`, which it may do anyway: it gains nothing. Only rank 0's log is read for metrics;
 * on other ranks such lines are only hidden from `konduktor logs`.
 * @module
 */

/** What every marker begins with: a record separator (never in ordinary text), then a name. */
const MARKER_START = '\x1ekonduktor:metric';

/** Marks a copied line: the marker, then the line as the job wrote it. */
export const METRIC_MARKER = `${MARKER_START}:`;

/** Marks a line over the 4096-byte limit, whose text the wrapper drops. */
export const METRIC_OVER_MARKER = `${MARKER_START}-over:`;

/** One piece of a container log, split into the job's output and the copied metric lines. */
export type PodLogEntry =
  | { readonly kind: 'log'; readonly text: string }
  | {
      readonly kind: 'metric';
      /** The line as the job wrote it; undefined for a line over the limit. */
      readonly text: string | undefined;
      /** When the log received it (from the log's timestamps), when asked for. */
      readonly time: Date | undefined;
    };

/**
 * Splits the lines of one container's log (one stream, read in order) into the job's lines and
 * the metric lines. Feed it every line, then call {@link PodLogDemux.end}.
 */
export class PodLogDemux {
  /** The start of a job line a marker line cut off, waiting for the rest. */
  #pending: string | undefined;

  /** The entries one log line holds. */
  take(line: string, time?: Date): PodLogEntry[] {
    const at = markerAt(line);
    if (at === undefined) {
      const text = this.#pending === undefined ? line : this.#pending + line;
      this.#pending = undefined;
      return [{ kind: 'log', text }];
    }
    if (at.index > 0) this.#pending = (this.#pending ?? '') + line.slice(0, at.index);
    const text = at.over ? undefined : line.slice(at.index + METRIC_MARKER.length);
    return [{ kind: 'metric', text, time }];
  }

  /** The cut-off start of a line the job never ended, when the log ends. */
  end(): PodLogEntry[] {
    const pending = this.#pending;
    this.#pending = undefined;
    return pending === undefined ? [] : [{ kind: 'log', text: pending }];
  }
}

function markerAt(line: string): { index: number; over: boolean } | undefined {
  for (let index = line.indexOf(MARKER_START); index >= 0;) {
    if (line.startsWith(METRIC_MARKER, index)) return { index, over: false };
    if (line.startsWith(METRIC_OVER_MARKER, index)) return { index, over: true };
    index = line.indexOf(MARKER_START, index + 1);
  }
  return undefined;
}

/** True when a log line holds a metric marker (and so is not one of the job's lines). */
export function hasMetricMarker(line: string): boolean {
  return markerAt(line) !== undefined;
}

/** The job's own lines of a piece of container log, marker lines taken out. */
export function jobLines(lines: Iterable<string>): string[] {
  const demux = new PodLogDemux();
  const kept: string[] = [];
  for (const line of lines) {
    for (const entry of demux.take(line)) if (entry.kind === 'log') kept.push(entry.text);
  }
  for (const entry of demux.end()) if (entry.kind === 'log') kept.push(entry.text);
  return kept;
}

/**
 * A line of a log read with `timestamps`: the API's RFC 3339 time, a space, the text. A line
 * without a readable time is taken whole.
 */
export function splitTimestamp(line: string): { time: Date | undefined; text: string } {
  const space = line.indexOf(' ');
  const at = space > 0 ? Date.parse(line.slice(0, space)) : NaN;
  return Number.isNaN(at)
    ? { time: undefined, text: line }
    : { time: new Date(at), text: line.slice(space + 1) };
}
