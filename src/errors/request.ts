/**
 * Errors about what was asked: an invalid task, argument or configuration, an action that does
 * not fit the job's state, a job or log that does not exist, an interrupted wait, a refused
 * report.
 * @module
 */
import { formatDuration } from '../job/format-duration.js';
import { codedError, KonduktorError, named } from './base.js';

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
 * No job of that name exists: never did, was removed, or — {@link JobNotFoundError.expiredAfterSeconds}
 * set — existed and was deleted by the cluster after its time to live (`kubernetes.ttl`).
 */
export class JobNotFoundError extends KonduktorError {
  readonly jobName: string;
  /** Existing job names close to the one asked for. */
  readonly suggestions: readonly string[];
  /**
   * Set when the job expired: it was launched from this konduktor home and the cluster deleted it
   * this many seconds after it ended, its result with it.
   */
  declare readonly expiredAfterSeconds?: number;
  /**
   * Set when the job may have expired, and this is the time to live configured here (seconds):
   * the name is one konduktor makes, on a backend whose finished jobs are deleted after it, but
   * this konduktor home did not launch it (another machine may have), so whether it existed is
   * unknown.
   */
  declare readonly mayHaveExpiredAfterSeconds?: number;

  /**
   * @param jobName the name asked for
   * @param where the backend's description, e.g. `the kubernetes backend (context c, namespace n)`
   * @param suggestions existing job names close to it
   * @param why what is known of the job: {@link JobNotFoundError.expiredAfterSeconds},
   *   {@link JobNotFoundError.mayHaveExpiredAfterSeconds}, or `removedHere` when this konduktor
   *   home removed it (`konduktor down`).
   */
  constructor(
    jobName: string,
    where: string,
    suggestions: readonly string[] = [],
    why: {
      readonly expiredAfterSeconds?: number | undefined;
      readonly mayHaveExpiredAfterSeconds?: number | undefined;
      readonly removedHere?: boolean;
    } = {},
  ) {
    const { expiredAfterSeconds, mayHaveExpiredAfterSeconds } = why;
    const hint =
      suggestions.length > 0
        ? `; did you mean ${suggestions.join(', ')}?`
        : '; list jobs with `konduktor status`';
    const maybe =
      mayHaveExpiredAfterSeconds === undefined
        ? ''
        : `. If it was launched from another machine, it may have expired: finished jobs are ` +
          `deleted with their result after their time to live (kubernetes.ttl in config.yaml; ` +
          `${formatDuration(mayHaveExpiredAfterSeconds * 1000)} here, the launcher's setting applies)`;
    super(
      'JOB_NOT_FOUND',
      expiredAfterSeconds !== undefined
        ? `job ${JSON.stringify(jobName)} has expired on ${where}: finished jobs are deleted ` +
            `${formatDuration(expiredAfterSeconds * 1000)} after they end (kubernetes.ttl in config.yaml), and its result with it`
        : why.removedHere === true
          ? `job ${JSON.stringify(jobName)} was removed from ${where} by \`konduktor down\` from this konduktor home, its result with it; list jobs with \`konduktor status\``
          : `no job named ${JSON.stringify(jobName)} on ${where}${hint}${maybe}`,
    );
    this.jobName = jobName;
    this.suggestions = suggestions;
    if (expiredAfterSeconds !== undefined)
      Object.defineProperty(this, 'expiredAfterSeconds', {
        value: expiredAfterSeconds,
        enumerable: true,
      });
    if (mayHaveExpiredAfterSeconds !== undefined)
      Object.defineProperty(this, 'mayHaveExpiredAfterSeconds', {
        value: mayHaveExpiredAfterSeconds,
        enumerable: true,
      });
  }
}
named(JobNotFoundError, 'JobNotFoundError');

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
