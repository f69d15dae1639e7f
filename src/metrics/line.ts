/**
 * The metric-line contract (spec §9): a job appends one JSON object per line to
 * `$KONDUKTOR_OUTPUT_DIR/metrics.jsonl`, with an integer `step` and finite numbers,
 * `{"step": 3, "val_loss": 0.51}`. Shared by every backend's reader and by `reportMetrics()`.
 * @module
 */

/** The largest metric line, in bytes of UTF-8 without its newline. */
export const METRIC_LINE_LIMIT_BYTES = 4096;

/** The file a job appends its metric lines to, in its output directory. */
export const METRICS_FILE = 'metrics.jsonl';

/** One metric line as read back. */
export interface MetricPoint {
  /** The line's `step`: an integer (epochs, batches: the job decides). */
  readonly step: number;
  /** Every other key of the line with its number. */
  readonly values: Readonly<Record<string, number>>;
  /**
   * When the line was seen arriving, never the time of a later read: on Kubernetes when the pod's
   * wrapper copied it into the container log (the log's own timestamp, within ~0.2 s of the
   * write, kept with the log); locally when a follower read it as it was written. Absent for a
   * local line that was already in the file when the reading began (the local backend keeps no
   * time per line). The writer's clock is neither trusted nor required.
   */
  readonly time?: Date;
  /** The attempt (0-based `RESTART_ATTEMPT`) whose file held the line. */
  readonly attempt: number;
}

/** A metric line that was skipped, and why. */
export interface MetricWarning {
  /** The 1-based line number in the attempt's file. */
  readonly line: number;
  readonly attempt: number;
  /** What was wrong, e.g. `"step" is not an integer`. */
  readonly reason: string;
}

/** What {@link parseMetricLine} makes of one line. */
export type ParsedMetricLine =
  | { readonly ok: true; readonly step: number; readonly values: Record<string, number> }
  | { readonly ok: false; readonly reason: string };

/**
 * Checks one line of `metrics.jsonl` (without its newline) as data, never evaluating it.
 * Blank lines are refused like any other malformed line; the caller decides whether to warn.
 */
export function parseMetricLine(line: string): ParsedMetricLine {
  const size = Buffer.byteLength(line, 'utf8');
  if (size > METRIC_LINE_LIMIT_BYTES) {
    return { ok: false, reason: `the line is ${size} bytes, over ${METRIC_LINE_LIMIT_BYTES}` };
  }
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch {
    return { ok: false, reason: `not JSON: ${preview(line)}` };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, reason: `not a JSON object: ${preview(line)}` };
  }
  const record = data as Record<string, unknown>;
  const step = record['step'];
  if (typeof step !== 'number' || !Number.isSafeInteger(step)) {
    return {
      ok: false,
      reason:
        step === undefined
          ? 'no "step" key'
          : `"step" is not an integer: ${preview(JSON.stringify(step))}`,
    };
  }
  const values: Record<string, number> = {};
  for (const [key, value] of Object.entries(record)) {
    if (key === 'step') continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      // JSON.parse turns 1e999 into Infinity, which JSON.stringify writes as null: quote what
      // the line says instead.
      const written =
        typeof value === 'number'
          ? (overflowingNumber(line) ?? String(value))
          : JSON.stringify(value);
      return {
        ok: false,
        reason: `${JSON.stringify(key)} is not a finite number: ${preview(written)}`,
      };
    }
    // defineProperty: a "__proto__" key stays a plain key.
    Object.defineProperty(values, key, { value, enumerable: true, writable: true });
  }
  return { ok: true, step, values };
}

/**
 * The first number token of a JSON text (outside its strings) too large for a double, as written
 * (`1e999`, `-2E+400`): the text a line's non-finite value was parsed from.
 */
function overflowingNumber(text: string): string | undefined {
  const token = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  for (let i = 0; i < text.length;) {
    const c = text[i];
    if (c === '"') {
      // Skip the string, escapes included.
      i += 1;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i += 1;
    } else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      token.lastIndex = i;
      const found = token.exec(text)?.[0] ?? c;
      if (!Number.isFinite(Number(found))) return found;
      i += found.length;
    } else {
      i += 1;
    }
  }
  return undefined;
}

/**
 * The last well-formed metric line among `lines` (malformed ones passed over), as `{ step, values }`.
 */
export function lastMetricLine(
  lines: Iterable<string>,
): { readonly step: number; readonly values: Record<string, number> } | undefined {
  let last: { step: number; values: Record<string, number> } | undefined;
  for (const line of lines) {
    const parsed = parseMetricLine(line);
    if (parsed.ok) last = { step: parsed.step, values: parsed.values };
  }
  return last;
}

function preview(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/**
 * Turns lines of one attempt's file into points and warnings, counting line numbers. Blank lines
 * are skipped without a warning (an `echo` of nothing is not worth one).
 */
export class MetricLineCounter {
  #line = 0;
  readonly #attempt: number;

  constructor(attempt: number) {
    this.#attempt = attempt;
  }

  /**
   * The warning for a line over the limit whose text was not kept (the Kubernetes wrapper drops
   * such a line and marks it).
   */
  over(): MetricWarning {
    this.#line += 1;
    return {
      line: this.#line,
      attempt: this.#attempt,
      reason: `the line is over ${METRIC_LINE_LIMIT_BYTES} bytes`,
    };
  }

  /**
   * The point of a line, or the warning it earned, or undefined for a blank line.
   * @param time - when the line was seen arriving (see {@link MetricPoint.time}); none when unknown.
   */
  take(
    text: string,
    time?: Date,
  ): { readonly point: MetricPoint } | { readonly warning: MetricWarning } | undefined {
    this.#line += 1;
    if (text.trim() === '') return undefined;
    const parsed = parseMetricLine(text);
    if (!parsed.ok) {
      return { warning: { line: this.#line, attempt: this.#attempt, reason: parsed.reason } };
    }
    return {
      point: {
        step: parsed.step,
        values: parsed.values,
        ...(time === undefined ? {} : { time }),
        attempt: this.#attempt,
      },
    };
  }
}
