/**
 * From konduktor's records to the API's JSON: jobs (with their result or typed error), errors
 * with all their fields, and tasks with their env values hidden.
 * @module
 */
import { formatResources } from '../backends/resources.js';
import type { JobInfo, JobStatus } from '../backends/backend.js';
import { JobStatuses } from '../backends/backend.js';
import { isKonduktorError } from '../errors.js';
import { outcomeError } from '../result/outcome.js';
import type { ErrorView, JobView, StatusCounts } from './types.js';

/** What a hidden env value reads as. */
export const HIDDEN = '<hidden>';

/**
 * An error as plain JSON: class name, code, message and the error's own fields (never its stack
 * or cause).
 */
export function errorView(error: unknown): ErrorView {
  if (error instanceof Error) {
    const fields: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(error)) {
      if (key !== 'cause' && key !== 'stack') fields[key] = value;
    }
    return {
      ...fields,
      name: error.name,
      code: isKonduktorError(error) ? error.code : 'INTERNAL',
      message: error.message,
    };
  }
  return { name: 'Error', code: 'INTERNAL', message: String(error) };
}

/** A job as the API shows it: its result document, or the typed error of its outcome. */
export function jobView(info: JobInfo): JobView {
  const { outcome } = info;
  const error = outcome === undefined ? undefined : outcomeError(info.name, outcome);
  return {
    name: info.name,
    backend: info.backend,
    status: info.status,
    numNodes: info.numNodes,
    resources: formatResources(info.numNodes, info.resources),
    submittedAt: info.submittedAt.toISOString(),
    ...(info.startedAt === undefined ? {} : { startedAt: info.startedAt.toISOString() }),
    ...(info.endedAt === undefined ? {} : { endedAt: info.endedAt.toISOString() }),
    attempt: info.attempt,
    ...(info.reason === undefined ? {} : { reason: info.reason }),
    ...(outcome?.kind === 'value' ? { resultText: outcome.text } : {}),
    ...(error === undefined ? {} : { error: errorView(error) }),
  };
}

/** A stored task with every env value replaced by {@link HIDDEN} (as `status` never prints them). */
export function redactTask(spec: unknown): unknown {
  if (typeof spec !== 'object' || spec === null) return spec;
  const task = spec as Record<string, unknown>;
  const envs = task['envs'];
  if (typeof envs !== 'object' || envs === null) return task;
  return {
    ...task,
    envs: Object.fromEntries(Object.keys(envs).map((key) => [key, HIDDEN])),
  };
}

/** Zero jobs in every state. */
export function emptyCounts(): Record<JobStatus, number> {
  return Object.fromEntries(Object.values(JobStatuses).map((s) => [s, 0])) as Record<
    JobStatus,
    number
  >;
}

/** Counts jobs per state. */
export function countStatuses(statuses: Iterable<JobStatus>): StatusCounts {
  const counts = emptyCounts();
  for (const status of statuses) counts[status] += 1;
  return counts;
}

/**
 * What the jobs list shows of a job; two views with the same key look the same, so only a
 * different key is sent to the pages.
 */
export function viewKey(view: JobView): string {
  return [
    view.status,
    view.attempt,
    view.reason ?? '',
    view.startedAt ?? '',
    view.endedAt ?? '',
    view.error?.code ?? '',
    view.resultText === undefined ? '' : 'v',
  ].join('|');
}

/**
 * A name filter as a glob: a pattern with no `*`, `?` or `[` matches names that contain it, so
 * typing part of a name finds it.
 */
export function nameGlob(filter: string): string {
  return /[*?[]/.test(filter) ? filter : `*${filter}*`;
}
