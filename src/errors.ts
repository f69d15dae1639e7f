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
 * @module
 */
import { describeFound, type FoundInstead, type NoResultDetail } from './result/decode.js';

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
function named<T extends new (...args: never[]) => KonduktorError>(ctor: T, name: string): T {
  Object.defineProperty(ctor.prototype, 'name', { value: name, enumerable: false });
  Object.defineProperty(ctor, Symbol.hasInstance, {
    value: (value: unknown): boolean => isKonduktorError(value) && value.name === name,
  });
  return ctor;
}

/** The base of an error that is a code and a message (with an optional cause). */
function codedError(code: ErrorCode) {
  return class extends KonduktorError {
    constructor(message: string, options?: { cause?: unknown }) {
      super(code, message, options);
    }
  };
}

/** One problem found in a task, with where it is. */
export interface TaskIssue {
  /** Dotted path of the field, e.g. `resources.cpus`; empty for the document itself. */
  readonly path: string;
  /** What is wrong and how to fix it. */
  readonly message: string;
  /** The file the task came from, when it came from a file. */
  readonly file?: string;
  /** 1-based line of the offending node, when known. */
  readonly line?: number;
  /** 1-based column of the offending node, when known. */
  readonly col?: number;
}

/** Formats one issue as `file:line:col: path: message`. */
export function formatTaskIssue(issue: TaskIssue): string {
  const where =
    issue.line === undefined
      ? (issue.file ?? '')
      : `${issue.file ?? '<task>'}:${issue.line}:${issue.col ?? 1}`;
  const field = issue.path === '' ? '' : `${issue.path}: `;
  return `${where === '' ? '' : `${where}: `}${field}${issue.message}`;
}

/**
 * A task is invalid. {@link TaskValidationError.issues} lists every problem at once; nothing was
 * launched.
 */
export class TaskValidationError extends KonduktorError {
  /** Every problem found, in document order. */
  readonly issues: readonly TaskIssue[];

  constructor(issues: readonly TaskIssue[], options?: { cause?: unknown }) {
    const lines = issues.map((issue) => `  ${formatTaskIssue(issue)}`);
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super('TASK_INVALID', `invalid task (${count}):\n${lines.join('\n')}`, options);
    this.issues = issues;
  }
}
named(TaskValidationError, 'TaskValidationError');

/** A command-line argument or option value is invalid. */
export class UsageError extends codedError('USAGE') {}
named(UsageError, 'UsageError');

/**
 * konduktor's configuration is invalid: `$KONDUKTOR_HOME/config.yaml` (the message names the file,
 * line, column and field of every problem) or `KONDUKTOR_BACKEND`.
 */
export class ConfigError extends codedError('CONFIG_INVALID') {}
named(ConfigError, 'ConfigError');

/**
 * The action does not fit the state it meets: `start`/`stop` of a job that has already ended, a
 * sweep whose name is stored with another configuration. The message says what to do instead.
 */
export class StateConflictError extends codedError('STATE_CONFLICT') {}
named(StateConflictError, 'StateConflictError');

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

/** How a failed job ended: the facts behind a {@link JobFailedError}. */
export interface JobFailure {
  /** Why the job failed, in one sentence. */
  readonly reason: string;
  /** The rank that failed first, when one did. */
  readonly rank?: number;
  /** The phase the failing rank was in. */
  readonly phase?: 'setup' | 'run';
  /** The failing rank's exit code, when it exited. */
  readonly exitCode?: number;
  /** The signal that ended the failing rank, when one did (e.g. `SIGKILL`). */
  readonly signal?: string;
  /** The attempt (0-based `RESTART_ATTEMPT`) that failed last. */
  readonly attempt: number;
  /** The last lines of the failing rank's log. */
  readonly logTail: readonly string[];
}

/**
 * The job failed: a rank exited non-zero (after the restarts ran out), it was cancelled, or its
 * supervision was lost. The value the reporter wrote, if any, is {@link JobFailedError.value}.
 */
export class JobFailedError extends KonduktorError implements JobFailure {
  readonly jobName: string;
  readonly reason: string;
  declare readonly rank?: number;
  declare readonly phase?: 'setup' | 'run';
  declare readonly exitCode?: number;
  declare readonly signal?: string;
  readonly attempt: number;
  readonly logTail: readonly string[];
  /** The value rank 0 reported before the job failed, if it wrote a valid one. */
  declare readonly value?: unknown;

  constructor(jobName: string, failure: JobFailure & { value?: unknown }) {
    const tail = formatLogTail(failure.rank ?? 0, failure.logTail);
    super('JOB_FAILED', `job ${jobName} failed: ${failure.reason}${tail}`);
    this.jobName = jobName;
    this.reason = failure.reason;
    if (failure.rank !== undefined) this.rank = failure.rank;
    if (failure.phase !== undefined) this.phase = failure.phase;
    if (failure.exitCode !== undefined) this.exitCode = failure.exitCode;
    if (failure.signal !== undefined) this.signal = failure.signal;
    this.attempt = failure.attempt;
    this.logTail = failure.logTail;
    if ('value' in failure) this.value = failure.value;
  }
}
named(JobFailedError, 'JobFailedError');

/** The job succeeded but its result file is larger than the limit. */
export class ResultTooLargeError extends KonduktorError {
  readonly jobName: string;
  /** The size of the result file in bytes. */
  readonly size: number;
  /** The limit in bytes that applied. */
  readonly limit: number;

  constructor(jobName: string, size: number, limit: number) {
    super(
      'RESULT_TOO_LARGE',
      `job ${jobName} wrote a result of ${size} bytes, over the limit of ${limit} bytes; ` +
        'report a smaller document, for example a pointer to a file holding the large data',
    );
    this.jobName = jobName;
    this.size = size;
    this.limit = limit;
  }
}
named(ResultTooLargeError, 'ResultTooLargeError');

/** The job succeeded but its result file is not one JSON value (or not UTF-8). */
export class MalformedResultError extends KonduktorError {
  readonly jobName: string;
  /** Why the document could not be parsed. */
  readonly parseError: string;
  /** The first bytes of the file, as text with non-printable bytes escaped. */
  readonly head: string;

  constructor(jobName: string, parseError: string, head: string) {
    super(
      'RESULT_MALFORMED',
      `job ${jobName} wrote a result that is not JSON: ${parseError}; it begins ${JSON.stringify(head)}`,
    );
    this.jobName = jobName;
    this.parseError = parseError;
    this.head = head;
  }
}
named(MalformedResultError, 'MalformedResultError');

/** The job succeeded without writing `$KONDUKTOR_OUTPUT_DIR/result.json` on rank 0. */
export class NoResultReportedError extends KonduktorError {
  readonly jobName: string;
  /**
   * What the reporter's file looked like: missing, empty, whitespace, or `not_a_file` (something
   * else stood there: see {@link NoResultReportedError.found}).
   */
  readonly detail: NoResultDetail;
  /** What stood at `result.json` instead of a file, when `detail` is `not_a_file`. */
  declare readonly found?: FoundInstead;
  /** The last lines of rank 0's log (empty when the backend could not read them). */
  readonly logTail: readonly string[];

  constructor(
    jobName: string,
    facts: {
      readonly detail: NoResultDetail;
      readonly found?: FoundInstead;
      readonly logTail?: readonly string[];
    },
  ) {
    const { detail, found } = facts;
    const logTail = facts.logTail ?? [];
    const what =
      found !== undefined
        ? `no readable result: result.json is ${describeFound(found)}`
        : detail === 'missing' || detail === 'not_a_file'
          ? 'no result.json'
          : `a result.json that is ${detail === 'empty' ? 'empty' : 'only whitespace'}`;
    super(
      'NO_RESULT_REPORTED',
      `job ${jobName} succeeded with ${what}; rank 0 must write one JSON document to "$KONDUKTOR_OUTPUT_DIR/result.json"${formatLogTail(0, logTail)}`,
    );
    this.jobName = jobName;
    this.detail = detail;
    if (found !== undefined) this.found = found;
    this.logTail = logTail;
  }
}
named(NoResultReportedError, 'NoResultReportedError');

/** A wait ran out of time. The job keeps running and a later wait works. */
export class ResultTimeoutError extends KonduktorError {
  readonly jobName: string;
  /** The timeout that ran out, in milliseconds. */
  readonly timeoutMs: number;
  /** The job's status when the wait gave up. */
  readonly lastStatus: string;
  /**
   * Why the job was not running when the wait gave up, as the backend said it (e.g. `queued #2:
   * waiting for 2 GPUs`, `unschedulable: 0/1 nodes are available: 1 Insufficient cpu.`), when
   * it said anything.
   */
  readonly waitingReason?: string;

  /**
   * @param again - what the person was doing and the command that does it again: waiting for
   *   the result (`konduktor result JOB`, the default) or following the log (`konduktor logs -f
   *   JOB`, for `launch --timeout` while following).
   */
  constructor(
    jobName: string,
    timeoutMs: number,
    lastStatus: string,
    waitingReason?: string,
    again: { readonly verb: 'wait' | 'follow it'; readonly command: string } = {
      verb: 'wait',
      command: `konduktor result ${jobName}`,
    },
  ) {
    const why = waitingReason === undefined ? '' : `: ${waitingReason}`;
    super(
      'RESULT_TIMEOUT',
      `timed out after ${formatMs(timeoutMs)} waiting for job ${jobName} (status ${lastStatus}${why}); ` +
        (lastStatus === 'STOPPED'
          ? `the job is held: resume it with \`konduktor start ${jobName}\`, then ${again.verb} with \`${again.command}\``
          : `the job keeps running: ${again.verb} again with \`${again.command}\``),
    );
    this.jobName = jobName;
    this.timeoutMs = timeoutMs;
    this.lastStatus = lastStatus;
    if (waitingReason !== undefined) this.waitingReason = waitingReason;
  }
}
named(ResultTimeoutError, 'ResultTimeoutError');

/**
 * A sweep ran out of its time (`sweep(…, { timeout })`, `konduktor sweep FILE --timeout D`). Its
 * running trials were cancelled; finished trials are kept, and running the same sweep again
 * resumes it (the cancelled trials run again with the same parameters).
 */
export class SweepTimeoutError extends KonduktorError {
  readonly sweepName: string;
  /** The timeout that ran out, in milliseconds. */
  readonly timeoutMs: number;
  /** The trials that were running and were cancelled, with their jobs. */
  readonly cancelledTrials: readonly { readonly index: number; readonly job: string }[];

  /**
   * @param resume - how to resume, for the message (e.g. `konduktor sweep run sweep.yaml`).
   */
  constructor(
    sweepName: string,
    timeoutMs: number,
    cancelledTrials: readonly { readonly index: number; readonly job: string }[],
    resume: string,
  ) {
    const trials = cancelledTrials.map((t) => `${t.index} (job ${t.job})`).join(', ');
    const cancelled =
      cancelledTrials.length === 0
        ? 'no trial was running'
        : `cancelled its running trial${cancelledTrials.length === 1 ? '' : 's'} ${trials}`;
    super(
      'RESULT_TIMEOUT',
      `sweep ${sweepName} timed out after ${formatMs(timeoutMs)}: ${cancelled}; ` +
        `finished trials are kept, and ${resume} resumes the sweep`,
    );
    this.sweepName = sweepName;
    this.timeoutMs = timeoutMs;
    this.cancelledTrials = cancelledTrials;
  }
}
named(SweepTimeoutError, 'SweepTimeoutError');

/** No job of that name exists. */
export class JobNotFoundError extends KonduktorError {
  readonly jobName: string;
  /** Existing job names close to the one asked for. */
  readonly suggestions: readonly string[];

  constructor(jobName: string, where: string, suggestions: readonly string[] = []) {
    const hint =
      suggestions.length > 0
        ? `; did you mean ${suggestions.join(', ')}?`
        : '; list jobs with `konduktor status`';
    super('JOB_NOT_FOUND', `no job named ${JSON.stringify(jobName)} on ${where}${hint}`);
    this.jobName = jobName;
    this.suggestions = suggestions;
  }
}
named(JobNotFoundError, 'JobNotFoundError');

/** The backend could not be used: the store is unreadable, the cluster unreachable, etc. */
export class BackendError extends codedError('BACKEND_UNAVAILABLE') {}
named(BackendError, 'BackendError');

/**
 * A wait was interrupted by the person or program that started it (Ctrl+C in the CLI). Use it as
 * the reason of an `AbortSignal` to have waits reject with a documented code; the job is not
 * touched.
 */
export class InterruptedError extends KonduktorError {
  constructor(message = 'interrupted') {
    super('INTERRUPTED', message);
  }
}
named(InterruptedError, 'InterruptedError');

/** `report()` refused to write a value. */
export class ReportError extends codedError('REPORT_REFUSED') {}
named(ReportError, 'ReportError');

/** A log tail as it ends an error message (nothing when there are no lines). */
function formatLogTail(rank: number, lines: readonly string[]): string {
  return lines.length === 0
    ? ''
    : `\nlast log lines of rank ${rank}:\n${lines.map((l) => `  | ${l}`).join('\n')}`;
}

/**
 * The log asked for is gone: on Kubernetes a container's log lives only as long as its pod, and
 * pods are deleted by `cancel`, `stop`, a restart of the job (the earlier attempt's pods), or by
 * hand. The job's result is kept; its log is not.
 */
export class LogsUnavailableError extends KonduktorError {
  readonly jobName: string;
  /** The rank whose log was asked for. */
  readonly rank: number;
  /** The attempt whose log was asked for. */
  readonly attempt: number;

  constructor(jobName: string, rank: number, attempt: number, why: string) {
    super(
      'LOGS_UNAVAILABLE',
      `no log of rank ${rank} of job ${jobName} (attempt ${attempt}): ${why}`,
    );
    this.jobName = jobName;
    this.rank = rank;
    this.attempt = attempt;
  }
}
named(LogsUnavailableError, 'LogsUnavailableError');

function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
