/**
 * `reportMetrics(step, values)`: the optional sugar for Node workloads. It does what
 * `echo '{"step": 3, "val_loss": 0.51}' >> "$KONDUKTOR_OUTPUT_DIR/metrics.jsonl"` does, after
 * checking the values.
 * @module
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReportError } from '../errors.js';
import { METRIC_LINE_LIMIT_BYTES, METRICS_FILE } from './line.js';

/** Options of {@link reportMetrics}. */
export interface ReportMetricsOptions {
  /**
   * The output directory.
   * @default process.env.KONDUKTOR_OUTPUT_DIR
   */
  readonly outputDir?: string;
}

/**
 * Appends one metric line `{"step": step, ...values}` to `$KONDUKTOR_OUTPUT_DIR/metrics.jsonl`
 * in a single write. Only rank 0's lines count; calling it on other ranks is harmless.
 *
 * @example
 * ```ts
 * import { reportMetrics } from 'konduktor';
 * for (let epoch = 0; epoch < 10; epoch += 1) reportMetrics(epoch, { val_loss: train(epoch) });
 * ```
 * @param step - an integer (an epoch, a batch count).
 * @param values - metric names and finite numbers; `step` is not a metric name.
 * @returns the number of bytes written, newline included.
 * @throws {ReportError} when `KONDUKTOR_OUTPUT_DIR` is unset, `step` is not an integer, a value is
 *   not a finite number, or the line would be over 4096 bytes. Nothing is written then.
 */
export function reportMetrics(
  step: number,
  values: Readonly<Record<string, number>>,
  options: ReportMetricsOptions = {},
): number {
  const outputDir = options.outputDir ?? process.env['KONDUKTOR_OUTPUT_DIR'];
  if (outputDir === undefined || outputDir === '') {
    throw new ReportError(
      'KONDUKTOR_OUTPUT_DIR is not set: reportMetrics() works inside a job launched by ' +
        'konduktor; to try it elsewhere, set KONDUKTOR_OUTPUT_DIR to a writable directory',
    );
  }
  if (!Number.isSafeInteger(step)) {
    throw new ReportError(`step must be an integer, got ${String(step)}`);
  }
  // Callers from plain JavaScript can pass anything.
  const given: unknown = values;
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new ReportError('values must be an object of metric names and numbers');
  }
  const line: Record<string, number> = { step };
  for (const [key, value] of Object.entries(values)) {
    if (key === 'step') {
      throw new ReportError('"step" is not a metric name: pass the step as the first argument');
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new ReportError(
        `${JSON.stringify(key)} must be a finite number, got ${typeof value === 'number' ? String(value) : typeof value}`,
      );
    }
    Object.defineProperty(line, key, { value, enumerable: true, writable: true });
  }
  const text = JSON.stringify(line);
  const size = Buffer.byteLength(text, 'utf8');
  if (size > METRIC_LINE_LIMIT_BYTES) {
    throw new ReportError(
      `the metric line would be ${size} bytes, over the limit of ${METRIC_LINE_LIMIT_BYTES}; ` +
        'nothing was written. Report fewer metrics per step',
    );
  }
  const path = join(outputDir, METRICS_FILE);
  try {
    // One append of the whole line: readers never see half of it followed by another writer's.
    appendFileSync(path, `${text}\n`, { encoding: 'utf8' });
  } catch (cause) {
    throw new ReportError(`could not append to ${path}`, { cause });
  }
  return size + 1;
}
