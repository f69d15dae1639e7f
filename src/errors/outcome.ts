/**
 * The errors a job's outcome raises when its result is asked for: it failed, its result is too
 * large, malformed or missing, or the wait (of a job or a sweep) ran out of time.
 * @module
 */
import type { FoundInstead, NoResultDetail } from '../result/decode.js';
import { outcomeMessage } from '../result/render.js';
import { KonduktorError, named } from './base.js';

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
    super('JOB_FAILED', outcomeMessage(jobName, { kind: 'failed', ...failure }));
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
    super('RESULT_TOO_LARGE', outcomeMessage(jobName, { kind: 'too_large', size, limit }));
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
    super('RESULT_MALFORMED', outcomeMessage(jobName, { kind: 'malformed', parseError, head }));
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
    super(
      'NO_RESULT_REPORTED',
      outcomeMessage(jobName, { kind: 'no_result', detail, found, logTail }),
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

function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
