/**
 * What the dashboard needs from a backend: pages of jobs, one job in detail, logs per rank and
 * attempt, the actions, and one shared watch of changes. The local backend answers from its store
 * (`local-source.ts`); any other backend through the {@link Backend} interface alone
 * (`backend-source.ts`).
 * @module
 */
import type { Backend, BackendKind, BackendQueueInfo, JobStatus } from '../backends/backend.js';
import type { JobDetail, JobPage, JobsChange } from './types.js';

/** The actions a page may take on a job. */
export const JOB_ACTIONS = ['cancel', 'stop', 'start', 'down'] as const;

/** One of {@link JOB_ACTIONS}; `down` cancels and removes the job. */
export type JobAction = (typeof JOB_ACTIONS)[number];

/** A page of the jobs list. */
export interface JobQuery {
  /** Only jobs in these states (every state when empty). */
  readonly statuses: readonly JobStatus[];
  /** Only names matching this glob (`*`, `?`, `[abc]`), when given. */
  readonly glob?: string;
  readonly offset: number;
  readonly limit: number;
}

/** Which log to read. */
export interface LogQuery {
  readonly rank: number;
  /** The attempt; the latest when absent. */
  readonly attempt?: number;
  /** Only the last N lines (before following). */
  readonly tail?: number;
  /** Keep following the latest attempt until the job ends. */
  readonly follow: boolean;
  readonly signal: AbortSignal;
}

/** A backend as the dashboard sees it. */
export interface DashboardSource {
  readonly kind: BackendKind;
  /** Where jobs live, for the page's header. */
  readonly description: string;
  /** Store reads (statements, or list requests) made so far, for the live-pages benchmark. */
  readonly reads: number;
  /** @throws {UsageError} for a bad filter. */
  page(query: JobQuery): Promise<JobPage>;
  /** @throws {JobNotFoundError} */
  detail(name: string): Promise<JobDetail>;
  /** @throws {JobNotFoundError} or {UsageError} for a rank or attempt the job does not have. */
  logs(name: string, query: LogQuery): AsyncIterable<string>;
  /**
   * The backend's own queue and capacity ({@link Backend.queue}); undefined where it keeps none
   * (a cluster queues the jobs).
   */
  queue(): Promise<BackendQueueInfo | undefined>;
  /** @throws {JobNotFoundError} or {UsageError} (e.g. stopping an ended job). */
  act(action: JobAction, name: string): Promise<void>;
  /**
   * Calls `listener` with what changed, for as long as it is subscribed. However many listeners
   * there are, the source watches once and reads each change once.
   */
  watch(listener: (change: JobsChange) => void): () => void;
  close(): Promise<void>;
}

/** Takes an action on a job through the backend. */
export async function actOn(backend: Backend, action: JobAction, name: string): Promise<void> {
  switch (action) {
    case 'cancel':
      return backend.cancel(name);
    case 'stop':
      return backend.stop(name);
    case 'start':
      return backend.start(name);
    case 'down':
      return backend.remove(name);
  }
}
