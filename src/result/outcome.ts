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
 * The recorded outcome of a terminal job: plain JSON data, stored durably by the backend so that
 * any process can read it later.
 */
export type Outcome =
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
  | ({ readonly kind: 'failed'; readonly valueText?: string } & JobFailure);

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
      const { kind: _kind, valueText, ...failure } = outcome;
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
