/**
 * The base of konduktor's errors: the stable codes, {@link KonduktorError} (recognised across
 * copies of the package by a global brand), and how anything thrown is classed
 * ({@link asKonduktorError}: konduktor's own, the environment's, or a bug).
 * @module
 */
/**
 * The stable error codes. They are part of the public contract and are never renamed.
 */
export const ErrorCodes = {
  /** A task file or Task object is invalid; nothing was launched. */
  TASK_INVALID: 'TASK_INVALID',
  /** A command-line or option value is invalid. */
  USAGE: 'USAGE',
  /** konduktor's configuration (`config.yaml`, `KONDUKTOR_BACKEND`) is invalid. */
  CONFIG_INVALID: 'CONFIG_INVALID',
  /**
   * The action does not fit the state it meets: `start` or `stop` of a job that has ended, a
   * sweep name stored with another configuration.
   */
  STATE_CONFLICT: 'STATE_CONFLICT',
  /** A bug in konduktor: an error nothing anticipated (a `TypeError`, say). Please report it. */
  INTERNAL: 'INTERNAL',
  /** The job failed: a rank exited non-zero, restarts ran out, it was cancelled or lost. */
  JOB_FAILED: 'JOB_FAILED',
  /** The job succeeded but its result file is over the size limit. */
  RESULT_TOO_LARGE: 'RESULT_TOO_LARGE',
  /** The job succeeded but its result file is not one JSON value. */
  RESULT_MALFORMED: 'RESULT_MALFORMED',
  /** The job succeeded without writing a result (missing, empty or whitespace-only file). */
  NO_RESULT_REPORTED: 'NO_RESULT_REPORTED',
  /** A wait ran out of time; the job keeps running. */
  RESULT_TIMEOUT: 'RESULT_TIMEOUT',
  /** No job of that name exists on the backend. */
  JOB_NOT_FOUND: 'JOB_NOT_FOUND',
  /** The backend (store, cluster) could not be used. */
  BACKEND_UNAVAILABLE: 'BACKEND_UNAVAILABLE',
  /** `report()` refused a value (too large, not JSON, no output directory). */
  REPORT_REFUSED: 'REPORT_REFUSED',
  /** A wait was interrupted (Ctrl+C in the CLI); the job keeps its state. */
  INTERRUPTED: 'INTERRUPTED',
  /** The log asked for no longer exists (on Kubernetes: its pod was deleted). */
  LOGS_UNAVAILABLE: 'LOGS_UNAVAILABLE',
} as const;

/** One of {@link ErrorCodes}. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

const BRAND = Symbol.for('konduktor.error');

/**
 * The base class of every konduktor error.
 *
 * `instanceof` works across duplicate copies of the package thanks to a global symbol brand; use
 * {@link isKonduktorError} when the error may come from another copy.
 */
export class KonduktorError extends Error {
  /** The stable, documented code of this error. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    Object.defineProperty(this, BRAND, { value: true, enumerable: false });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return isKonduktorError(value);
  }
}
// Set per class, not taken from `constructor.name`, which bundlers and minifiers rename.
Object.defineProperty(KonduktorError.prototype, 'name', {
  value: 'KonduktorError',
  enumerable: false,
});

/** True when `value` is a {@link KonduktorError} from any copy of the package. */
export function isKonduktorError(value: unknown): value is KonduktorError {
  return typeof value === 'object' && value !== null && BRAND in value;
}

/**
 * Names a subclass and makes `instanceof` recognise instances from any copy of the package (by
 * the brand and the name), as for the base class.
 */
export function named<T extends new (...args: never[]) => KonduktorError>(
  ctor: T,
  name: string,
): T {
  Object.defineProperty(ctor.prototype, 'name', { value: name, enumerable: false });
  Object.defineProperty(ctor, Symbol.hasInstance, {
    value: (value: unknown): boolean => isKonduktorError(value) && value.name === name,
  });
  return ctor;
}

/** The base of an error that is a code and a message (with an optional cause). */
// eslint-disable-next-line @typescript-eslint/explicit-module-boundary-types -- a class expression's type is best inferred
export function codedError(code: ErrorCode) {
  return class extends KonduktorError {
    constructor(message: string, options?: { cause?: unknown }) {
      super(code, message, options);
    }
  };
}

/**
 * A bug in konduktor: an error nothing anticipated, such as a `TypeError`, wrapped with its
 * original as `cause`. Never raised on purpose; report it with the message and stack.
 */
export class InternalError extends KonduktorError {
  constructor(cause: unknown) {
    const what =
      cause instanceof Error
        ? `${cause.name}: ${cause.message}`
        : `thrown ${JSON.stringify(cause)}`;
    super(
      'INTERNAL',
      `konduktor hit an unexpected error, which is a bug in konduktor: ${what}; ` +
        'please report it with this message and the stack trace (KONDUKTOR_DEBUG=1 prints it)',
      { cause },
    );
  }
}
named(InternalError, 'InternalError');

/**
 * The error as konduktor reports it: a {@link KonduktorError} as it is; an error from the
 * environment (one with a `code`, such as Node's `EACCES` or SQLite's `SQLITE_BUSY`) as a
 * {@link BackendError}; anything else, a bug, as an {@link InternalError}.
 */
export function asKonduktorError(error: unknown): KonduktorError {
  if (isKonduktorError(error)) return error;
  if (isEnvironmentError(error)) {
    return new BackendError((error as Error).message, { cause: error });
  }
  return new InternalError(error);
}

/** True for errors the environment raises (they carry an errno-style `code`), not bugs. */
export function isEnvironmentError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' || typeof code === 'number';
}

/** The backend could not be used: the store is unreadable, the cluster unreachable, etc. */
export class BackendError extends codedError('BACKEND_UNAVAILABLE') {}
named(BackendError, 'BackendError');
