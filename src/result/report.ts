/**
 * `report(value)`: the optional sugar for Node workloads. It does exactly what
 * `echo '{…}' > "$KONDUKTOR_OUTPUT_DIR/result.json"` does, after checking the value.
 * @module
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReportError } from '../errors.js';
import { RESULT_LIMIT_BYTES } from './decode.js';

/** Options of {@link report}. */
export interface ReportOptions {
  /**
   * The output directory.
   * @default process.env.KONDUKTOR_OUTPUT_DIR
   */
  readonly outputDir?: string;
  /**
   * The size limit in bytes.
   * @default process.env.KONDUKTOR_RESULT_LIMIT, else 4096
   */
  readonly limit?: number;
}

/**
 * Writes `value` as this job's result: one JSON document in `$KONDUKTOR_OUTPUT_DIR/result.json`,
 * written in place (on Kubernetes the file is a bind mount, so it is never renamed over).
 *
 * Only rank 0's result counts; calling it on other ranks is harmless.
 *
 * @example
 * ```ts
 * import { report } from 'konduktor';
 * report({ val_loss: 0.42, epochs: 10 });
 * ```
 * @returns the number of bytes written.
 * @throws {ReportError} when `KONDUKTOR_OUTPUT_DIR` is unset, when the value is not JSON data
 *   (undefined, a function, a bigint, a cycle, NaN or Infinity), or when the document would be
 *   over the limit. Nothing is written then.
 */
export function report(value: unknown, options: ReportOptions = {}): number {
  const outputDir = options.outputDir ?? process.env['KONDUKTOR_OUTPUT_DIR'];
  if (outputDir === undefined || outputDir === '') {
    throw new ReportError(
      'KONDUKTOR_OUTPUT_DIR is not set: report() works inside a job launched by konduktor; ' +
        'to try it elsewhere, set KONDUKTOR_OUTPUT_DIR to a writable directory',
    );
  }
  const limit = options.limit ?? limitFromEnvironment();
  const document = `${serialize(value)}\n`;
  const size = Buffer.byteLength(document, 'utf8');
  if (size > limit) {
    throw new ReportError(
      `the result would be ${size} bytes, over the limit of ${limit} bytes; nothing was written. ` +
        'Report a smaller document, for example a path to a file holding the large data',
    );
  }
  try {
    writeFileSync(join(outputDir, 'result.json'), document, { encoding: 'utf8' });
  } catch (cause) {
    throw new ReportError(`could not write ${join(outputDir, 'result.json')}`, { cause });
  }
  return size;
}

function limitFromEnvironment(): number {
  const raw = process.env['KONDUKTOR_RESULT_LIMIT'];
  const parsed = raw === undefined ? NaN : Number(raw);
  return Number.isInteger(parsed) && parsed > 0 ? parsed : RESULT_LIMIT_BYTES;
}

const stringify = JSON.stringify as (
  value: unknown,
  replacer: (key: string, item: unknown) => unknown,
) => string | undefined;

function serialize(value: unknown): string {
  let text: string | undefined;
  try {
    // JSON.stringify returns undefined for undefined, functions and symbols, whatever its type says.
    text = stringify(value, (_key, item: unknown) => {
      if (typeof item === 'number' && !Number.isFinite(item)) {
        throw new ReportError(`${String(item)} is not a JSON number; report null or a string`);
      }
      return item;
    });
  } catch (cause) {
    if (cause instanceof ReportError) throw cause;
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new ReportError(`the value cannot be written as JSON: ${why}`, { cause });
  }
  if (text === undefined) {
    throw new ReportError(
      `${typeof value} is not a JSON value; report an object, array, number, string, boolean or null`,
    );
  }
  return text;
}
