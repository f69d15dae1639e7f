/**
 * The CLI's exit codes: one per outcome, documented in the README.
 * @module
 */
import { asKonduktorError, type ErrorCode, isKonduktorError } from '../errors.js';

/** Exit codes by meaning. */
export const ExitCodes = {
  SUCCESS: 0,
  JOB_FAILED: 1,
  USAGE: 2,
  NO_RESULT: 3,
  MALFORMED_RESULT: 4,
  RESULT_TOO_LARGE: 5,
  BACKEND: 6,
  /** A bug in konduktor (sysexits' EX_SOFTWARE). */
  INTERNAL: 70,
  TIMEOUT: 124,
  INTERRUPTED: 130,
} as const;

/** One of {@link ExitCodes}. */
export type ExitCode = (typeof ExitCodes)[keyof typeof ExitCodes];

const BY_ERROR_CODE: Readonly<Record<ErrorCode, ExitCode>> = {
  TASK_INVALID: ExitCodes.USAGE,
  USAGE: ExitCodes.USAGE,
  CONFIG_INVALID: ExitCodes.USAGE,
  STATE_CONFLICT: ExitCodes.USAGE,
  INTERNAL: ExitCodes.INTERNAL,
  JOB_NOT_FOUND: ExitCodes.USAGE,
  JOB_FAILED: ExitCodes.JOB_FAILED,
  NO_RESULT_REPORTED: ExitCodes.NO_RESULT,
  RESULT_MALFORMED: ExitCodes.MALFORMED_RESULT,
  RESULT_TOO_LARGE: ExitCodes.RESULT_TOO_LARGE,
  RESULT_TIMEOUT: ExitCodes.TIMEOUT,
  BACKEND_UNAVAILABLE: ExitCodes.BACKEND,
  REPORT_REFUSED: ExitCodes.USAGE,
  INTERRUPTED: ExitCodes.INTERRUPTED,
  LOGS_UNAVAILABLE: ExitCodes.USAGE,
};

/**
 * The exit code for an error: its konduktor code's; 130 for an abort; 6 for an error of the
 * environment (one with an errno-style `code`); 70 for anything else, which is a bug.
 */
export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof Error && error.name === 'AbortError' && !isKonduktorError(error)) {
    return ExitCodes.INTERRUPTED;
  }
  return BY_ERROR_CODE[asKonduktorError(error).code];
}
