/**
 * konduktor's error classes. Every error the library raises is a {@link KonduktorError} with a
 * stable string {@link KonduktorError.code}; programs branch on the code (or `instanceof`), never on
 * the message, which is written for people.
 *
 * @example
 * ```ts
 * try {
 *   await job.result({ timeout: '10m' });
 * } catch (err) {
 *   if (isKonduktorError(err) && err.code === 'NO_RESULT_REPORTED') retryWithLogging();
 *   else throw err;
 * }
 * ```
 *
 * The classes live by concern in `errors/`: `base.ts` (codes, the base class, classing anything
 * thrown), `request.ts` (what was asked), `outcome.ts` (a job's outcome and waits).
 * @module
 */
export {
  asKonduktorError,
  BackendError,
  type ErrorCode,
  ErrorCodes,
  InternalError,
  isEnvironmentError,
  isKonduktorError,
  KonduktorError,
} from './errors/base.js';
export {
  ConfigError,
  formatTaskIssue,
  InterruptedError,
  JobNotFoundError,
  LogsUnavailableError,
  ReportError,
  StateConflictError,
  type TaskIssue,
  TaskValidationError,
  UsageError,
} from './errors/request.js';
export {
  type JobFailure,
  JobFailedError,
  MalformedResultError,
  NoResultReportedError,
  ResultTimeoutError,
  ResultTooLargeError,
  SweepTimeoutError,
} from './errors/outcome.js';
