/**
 * A row of the local store as the {@link JobInfo} every backend returns. Small on purpose: the
 * fast `konduktor status` path lists stored jobs with it without loading the backend.
 * @module
 */
import { isTerminal, type JobInfo, type JobStatus } from '../backend.js';
import { parseResources } from '../resources.js';
import type { Outcome } from '../../result/outcome.js';
import type { JobRow } from './store.js';

/** The job a stored row describes, as recorded (no refresh). */
export function jobInfoOf(row: JobRow): JobInfo {
  return {
    name: row.name,
    backend: 'local',
    status: row.status,
    numNodes: row.num_nodes,
    resources: parseResources(row.resources),
    submittedAt: new Date(row.submitted_at),
    ...(row.started_at === null ? {} : { startedAt: new Date(row.started_at) }),
    ...(row.ended_at === null ? {} : { endedAt: new Date(row.ended_at) }),
    attempt: row.attempt,
    ...(row.reason === null ? {} : { reason: row.reason }),
    ...(row.outcome === null ? {} : { outcome: JSON.parse(row.outcome) as Outcome }),
  };
}

/**
 * True when a stored status cannot change without a konduktor command (ended, or held by `stop`):
 * the row is the truth, and nothing needs to look at the job's processes or files.
 */
export function isSettled(status: JobStatus): boolean {
  return isTerminal(status) || status === 'STOPPED';
}
