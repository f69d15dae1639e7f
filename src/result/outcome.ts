/**
 * From the facts a backend reports about a finished job to the outcome the user sees, and from a
 * recorded outcome to the value or the typed error. Backends report facts; this module decides.
 * @module
 */
import {
  JobFailedError,
  type JobFailure,
  MalformedResultError,
  NoResultReportedError,
  ResultTooLargeError,
} from '../errors.js';
import {
  decodeResult,
  type FoundInstead,
  type NoResultDetail,
  RESULT_LIMIT_BYTES,
  type ReporterFile,
} from './decode.js';

/** How a terminal job ended, as a backend observed it. */
export type JobEnd =
  | { readonly status: 'succeeded'; readonly attempt: number }
  | ({ readonly status: 'failed' } & JobFailure);

/**
 * Rank 0's last metric line of the final attempt (`metrics.jsonl`, spec §9), kept with the
 * outcome so it outlives the job's logs and files. Kept only when it fits: at most
 * {@link FINAL_METRICS_LIMIT} characters of JSON.
 */
export interface FinalMetrics {
  readonly step: number;
  readonly values: Readonly<Record<string, number>>;
}

/**
 * The largest {@link FinalMetrics} kept with an outcome, in characters of its JSON. A metric line
 * is at most 4096 bytes and its JSON is never longer than its bytes, so every line fits with room
 * to spare; the bound keeps a Kubernetes record (a condition message of at most 30000 characters)
 * room for the result (4 KiB) and a log tail beside it, whatever a caller hands in.
 */
export const FINAL_METRICS_LIMIT = 8192;

/**
 * `finalMetrics` when they fit, or nothing.
 * @returns `{ finalMetrics }` to spread into an outcome, or `{}`.
 */
export function withFinalMetrics(metrics: FinalMetrics | undefined): {
  readonly finalMetrics?: FinalMetrics;
} {
  if (metrics === undefined) return {};
  const finalMetrics = { step: metrics.step, values: metrics.values };
  return JSON.stringify(finalMetrics).length <= FINAL_METRICS_LIMIT ? { finalMetrics } : {};
}

/** True for a well-formed {@link FinalMetrics} read back from a record (records are data). */
export function isFinalMetrics(value: unknown): value is FinalMetrics {
  if (typeof value !== 'object' || value === null) return false;
  const { step, values } = value as Record<string, unknown>;
  return (
    Number.isSafeInteger(step) &&
    typeof values === 'object' &&
    values !== null &&
    !Array.isArray(values) &&
    Object.values(values).every((v) => typeof v === 'number' && Number.isFinite(v))
  );
}

/**
 * The recorded outcome of a terminal job: plain JSON data, stored durably by the backend so that
 * any process can read it later. `finalMetrics` is rank 0's last metric line, when it had one.
 */
export type Outcome = (
  | { readonly kind: 'value'; readonly attempt: number; readonly text: string }
  | {
      readonly kind: 'no_result';
      readonly attempt: number;
      readonly detail: NoResultDetail;
      /** What stood at `result.json` instead of a file (`detail: 'not_a_file'`). */
      readonly found?: FoundInstead;
      /** The last lines of rank 0's log, when the backend could read them. */
      readonly logTail?: readonly string[];
    }
  | {
      readonly kind: 'malformed';
      readonly attempt: number;
      readonly parseError: string;
      readonly head: string;
    }
  | {
      readonly kind: 'too_large';
      readonly attempt: number;
      readonly size: number;
      readonly limit: number;
    }
  | ({ readonly kind: 'failed'; readonly valueText?: string } & JobFailure)
) & { readonly finalMetrics?: FinalMetrics };

/** The outcome kinds, for exhaustive switches. */
export type OutcomeKind = Outcome['kind'];

/**
 * Decides the outcome of a terminal job from how it ended and the reporter's file of the final
 * attempt.
 */
export function classifyOutcome(
  end: JobEnd,
  reporter: ReporterFile,
  limit: number = RESULT_LIMIT_BYTES,
): Outcome {
  const decoded = decodeResult(reporter, limit);
  if (end.status === 'failed') {
    const { status: _status, ...failure } = end;
    return decoded.kind === 'value'
      ? { kind: 'failed', ...failure, valueText: decoded.text }
      : { kind: 'failed', ...failure };
  }
  const { attempt } = end;
  switch (decoded.kind) {
    case 'value':
      return { kind: 'value', attempt, text: decoded.text };
    case 'none':
      return {
        kind: 'no_result',
        attempt,
        detail: decoded.detail,
        ...(decoded.found === undefined ? {} : { found: decoded.found }),
      };
    case 'malformed':
      return { kind: 'malformed', attempt, parseError: decoded.parseError, head: decoded.head };
    case 'too_large':
      return { kind: 'too_large', attempt, size: decoded.size, limit: decoded.limit };
  }
}

/** The typed error for an outcome that is not a value, or `undefined` for a value. */
export function outcomeError(
  jobName: string,
  outcome: Outcome,
): JobFailedError | NoResultReportedError | MalformedResultError | ResultTooLargeError | undefined {
  switch (outcome.kind) {
    case 'value':
      return undefined;
    case 'no_result':
      return new NoResultReportedError(jobName, outcome);
    case 'malformed':
      return new MalformedResultError(jobName, outcome.parseError, outcome.head);
    case 'too_large':
      return new ResultTooLargeError(jobName, outcome.size, outcome.limit);
    case 'failed': {
      const { kind: _kind, valueText, finalMetrics: _metrics, ...failure } = outcome;
      return valueText === undefined
        ? new JobFailedError(jobName, failure)
        : new JobFailedError(jobName, { ...failure, value: JSON.parse(valueText) as unknown });
    }
  }
}

/**
 * The value of an outcome, or throws its typed error.
 *
 * @throws {JobFailedError | NoResultReportedError | MalformedResultError | ResultTooLargeError}
 */
export function outcomeValue(jobName: string, outcome: Outcome): unknown {
  const error = outcomeError(jobName, outcome);
  if (error !== undefined) throw error;
  // outcomeError returned undefined: the outcome is a value.
  return JSON.parse((outcome as Extract<Outcome, { kind: 'value' }>).text) as unknown;
}
