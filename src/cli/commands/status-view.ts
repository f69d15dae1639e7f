/**
 * How `konduktor status` shows jobs: the table, or JSON. Shared by the full command and the fast
 * path of a plain `status` (src/cli/status-fast.ts), which must not load a backend.
 * @module
 */
import type { JobInfo } from '../../backends/backend.js';
import { formatResources } from '../../backends/resources.js';
import { formatDuration } from '../../job/duration.js';
import { outcomeCell } from '../../result/render.js';
import { type ExitCode, ExitCodes } from '../exit-codes.js';
import { info, out, paintStatus } from '../output.js';
import { fitCell, renderTable } from '../table.js';

/** Prints `jobs` (newest first) as a table or JSON; returns the exit code. */
export function renderJobs(
  jobs: readonly JobInfo[],
  options: {
    readonly json?: true;
    readonly limit: number | undefined;
    /** Where the jobs are, for the "no jobs" hint. */
    readonly description: string;
  },
): ExitCode {
  const { limit } = options;
  if (options.json === true) {
    out(JSON.stringify(jobs.map(jobJson)));
    return ExitCodes.SUCCESS;
  }
  if (jobs.length === 0) {
    info(`no jobs on ${options.description}; launch one with: konduktor launch TASK.yaml`);
    return ExitCodes.SUCCESS;
  }
  const now = Date.now();
  const rows = jobs.map((job) => [
    job.name,
    paintStatus(job.status),
    formatResources(job.numNodes, job.resources),
    `${formatDuration(now - job.submittedAt.getTime())} ago`,
    clock(job.startedAt, now),
    clock(job.endedAt, now),
    duration(job, now),
    shortOutcome(job),
  ]);
  out(
    renderTable(
      ['NAME', 'STATUS', 'RESOURCES', 'SUBMITTED', 'START', 'END', 'DURATION', 'RESULT'],
      rows,
    ),
  );
  if (limit !== undefined && jobs.length === limit) {
    info(`showing the newest ${limit} jobs; use --limit N or --all for more`);
  }
  return ExitCodes.SUCCESS;
}

/**
 * How long the job ran: start to end, and for one still running, to now. A held job's time does
 * not grow: start to when it was stopped, or "-" where its backend did not record that.
 */
function duration(job: JobInfo, now: number): string {
  if (job.startedAt === undefined) return '-';
  if (job.endedAt === undefined && job.status === 'STOPPED') return '-';
  return formatDuration(Math.max(0, (job.endedAt?.getTime() ?? now) - job.startedAt.getTime()));
}

/**
 * Local wall-clock time, with the local date when it is not recent. Built from the date's fields:
 * `toTimeString()` formats a time-zone name on the way (a few ms on its first call), and the date
 * must be local like the time (`toISOString()` is UTC).
 */
function clock(date: Date | undefined, now: number): string {
  if (date === undefined) return '-';
  const two = (n: number): string => String(n).padStart(2, '0');
  const time = `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
  if (now - date.getTime() < 20 * 3_600_000) return time;
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${time}`;
}

const RESULT_WIDTH = 40;

/** A one-cell summary of the outcome: one line, at most {@link RESULT_WIDTH} characters. */
export function shortOutcome(job: JobInfo): string {
  return fitCell(outcomeText(job), RESULT_WIDTH);
}

function outcomeText(job: JobInfo): string {
  if (job.outcome !== undefined) return outcomeCell(job.outcome);
  return job.status === 'PENDING' && job.reason !== undefined ? job.reason : '-';
}

function jobJson(job: JobInfo): Record<string, unknown> {
  return {
    name: job.name,
    backend: job.backend,
    status: job.status,
    numNodes: job.numNodes,
    // The summary text, as status --json always printed it.
    resources: formatResources(job.numNodes, job.resources),
    submittedAt: job.submittedAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    endedAt: job.endedAt?.toISOString() ?? null,
    attempt: job.attempt,
    reason: job.reason ?? null,
    outcome: job.outcome ?? null,
  };
}
