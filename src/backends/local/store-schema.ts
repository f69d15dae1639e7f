/**
 * The local store's schema: the `jobs` and `agent` tables as rows, the migrations that make them,
 * the SQL fragments that say what "in the queue" and "holding resources" mean, and SQLite's
 * errors as konduktor's.
 * @module
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { BackendError } from '../../errors.js';
import type { Outcome } from '../../result/outcome.js';
import type { JobStatus } from '../backend.js';
import type { Demand } from './admission.js';

/** One row of the `jobs` table. */
export interface JobRow {
  readonly name: string;
  readonly status: JobStatus;
  readonly spec: string;
  readonly num_nodes: number;
  readonly resources: string;
  readonly submitted_at: number;
  readonly started_at: number | null;
  readonly ended_at: number | null;
  readonly supervisor_pid: number | null;
  readonly supervisor_start: string | null;
  readonly attempt: number;
  readonly reason: string | null;
  readonly outcome: string | null;
  readonly priority: number;
  /** {@link Demand} as JSON. */
  readonly demand: string | null;
  /** GPU indices per rank as JSON, once admitted. */
  readonly allocation: string | null;
  readonly queued_at: number | null;
  readonly admitted_at: number | null;
  /** The RESTART_ATTEMPT of the first attempt of the current run (after `start`). */
  readonly first_attempt: number;
}

/** A non-terminal job, as admission sees it. */
export interface ActiveRow {
  readonly name: string;
  readonly status: JobStatus;
  readonly demand: string | null;
  readonly allocation: string | null;
  readonly supervisor_pid: number | null;
  readonly admitted_at: number | null;
  readonly queued_at: number | null;
  readonly submitted_at: number;
}

/** Columns listed by `status`: everything but the spec, which holds env values. */
export const SUMMARY_COLUMNS =
  'name, status, num_nodes, resources, submitted_at, started_at, ended_at, supervisor_pid, supervisor_start, attempt, reason, outcome, priority, demand, allocation, queued_at, admitted_at, first_attempt';

/**
 * better-sqlite3's compiled addon, where a normal install puts it. Naming it skips the `bindings`
 * package's search of a dozen places (a few ms of every command); elsewhere the search runs.
 */
export const NATIVE_BINDING = ((): string | undefined => {
  try {
    const main = createRequire(import.meta.url).resolve('better-sqlite3');
    const addon = join(dirname(main), '..', 'build', 'Release', 'better_sqlite3.node');
    return existsSync(addon) ? addon : undefined;
  } catch {
    return undefined;
  }
})();

export /** The columns admission reads of an active job ({@link ActiveRow}). */
const ACTIVE_COLUMNS =
  'name, status, demand, allocation, supervisor_pid, admitted_at, queued_at, submitted_at';

/** A job waiting in the queue: enqueued, not admitted yet, not held. */
export const IN_QUEUE = "(status = 'PENDING' AND allocation IS NULL AND queued_at IS NOT NULL)";
/** A job holding resources: running, or admitted and starting. */
export const HOLDS_RESOURCES =
  "(status = 'RUNNING' OR (status = 'PENDING' AND allocation IS NOT NULL))";

/** The queue order: higher priority first, then first queued. */
export const QUEUE_ORDER = 'priority DESC, queued_at, name';

/** The schema, one step per version (`PRAGMA user_version` counts the steps applied). */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE jobs (
     name TEXT PRIMARY KEY,
     status TEXT NOT NULL,
     spec TEXT NOT NULL,
     num_nodes INTEGER NOT NULL,
     resources TEXT NOT NULL,
     submitted_at INTEGER NOT NULL,
     started_at INTEGER,
     ended_at INTEGER,
     supervisor_pid INTEGER,
     supervisor_start TEXT,
     attempt INTEGER NOT NULL DEFAULT 0,
     reason TEXT,
     outcome TEXT
   );
   CREATE INDEX jobs_by_submission ON jobs (submitted_at DESC);
   CREATE INDEX jobs_active ON jobs (status) WHERE status IN ('PENDING', 'RUNNING');`,
  // Admission: what each job asks for and holds, its place in the queue, stop/start.
  `ALTER TABLE jobs ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE jobs ADD COLUMN demand TEXT;
   ALTER TABLE jobs ADD COLUMN allocation TEXT;
   ALTER TABLE jobs ADD COLUMN queued_at INTEGER;
   ALTER TABLE jobs ADD COLUMN admitted_at INTEGER;
   ALTER TABLE jobs ADD COLUMN first_attempt INTEGER NOT NULL DEFAULT 0;
   DROP INDEX jobs_active;
   CREATE INDEX jobs_active ON jobs (status) WHERE status IN ('PENDING', 'RUNNING', 'STOPPED');
   CREATE TABLE agent (id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER NOT NULL, start TEXT NOT NULL);`,
  // Admission reads the queue in order and stops at the first job that does not fit.
  `CREATE INDEX jobs_queue ON jobs (${QUEUE_ORDER}) WHERE status = 'PENDING' AND allocation IS NULL;`,
];

/** The terminal fields written once, by whichever process first sees the job end. */
export interface TerminalUpdate {
  readonly status: Extract<JobStatus, 'SUCCEEDED' | 'FAILED' | 'CANCELLED'>;
  /** When the job's processes started (ms since the epoch), as its supervisor recorded it. */
  readonly startedAt?: number;
  /** When the job ended (ms since the epoch). */
  readonly endedAt: number;
  readonly attempt: number;
  readonly reason?: string;
  readonly outcome: Outcome;
}

/**
 * SQLite's errors as konduktor's: a full disk or an I/O error says which directory and what to do,
 * instead of surfacing as a raw `SqliteError`.
 */
export function storeError(path: string, cause: unknown): BackendError {
  const code = (cause as { code?: unknown }).code;
  if (code === 'SQLITE_FULL' || (typeof code === 'string' && code.startsWith('SQLITE_IOERR'))) {
    return new BackendError(
      `the disk holding the konduktor store ${path} is full or failing (${code}); ` +
        'free some space (or set KONDUKTOR_HOME to another disk) and try again',
      { cause },
    );
  }
  if (cause instanceof BackendError) return cause;
  return new BackendError(`the konduktor store ${path} failed: ${String(cause)}`, { cause });
}

/** A stored demand; rows from before admission existed ask for the defaults. */
export function parseDemand(text: string | null): Demand {
  if (text === null) return { nodes: 1, cpus: 1, memory: 1, gpus: 0 };
  return JSON.parse(text) as Demand;
}
