/**
 * The local backend's store: one SQLite database in WAL mode, safe under many concurrent
 * konduktor processes (writes are short IMMEDIATE transactions; readers never block writers).
 * @module
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { BackendError } from '../../errors.js';
import type { Outcome } from '../../result/outcome.js';
import type { JobStatus } from '../backend.js';
import type { AdmissionPlan, Demand, Holder, Waiter } from './admission.js';

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
const NATIVE_BINDING = ((): string | undefined => {
  try {
    const main = createRequire(import.meta.url).resolve('better-sqlite3');
    const addon = join(dirname(main), '..', 'build', 'Release', 'better_sqlite3.node');
    return existsSync(addon) ? addon : undefined;
  } catch {
    return undefined;
  }
})();

const ACTIVE_COLUMNS =
  'name, status, demand, allocation, supervisor_pid, admitted_at, queued_at, submitted_at';

/** A job waiting in the queue: enqueued, not admitted yet, not held. */
const IN_QUEUE = "(status = 'PENDING' AND allocation IS NULL AND queued_at IS NOT NULL)";
/** A job holding resources: running, or admitted and starting. */
const HOLDS_RESOURCES = "(status = 'RUNNING' OR (status = 'PENDING' AND allocation IS NOT NULL))";

/** The queue order: higher priority first, then first queued. */
const QUEUE_ORDER = 'priority DESC, queued_at, name';

const MIGRATIONS: readonly string[] = [
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

/** Typed access to the local store. */
export class Store {
  readonly #db: Database.Database;
  readonly #path: string;
  /**
   * Statements prepared on first use: preparing costs more than running a small one, and a short
   * command (a plain `status`) should not prepare what it never runs.
   */
  readonly #statements = new Map<string, Database.Statement>();

  constructor(path: string) {
    this.#path = path;
    try {
      this.#db = new Database(path, {
        timeout: 10_000,
        ...(NATIVE_BINDING === undefined ? {} : { nativeBinding: NATIVE_BINDING }),
      });
      this.#db.pragma('journal_mode = WAL');
      // WAL + NORMAL: a commit is durable against a process crash, which is what matters here.
      this.#db.pragma('synchronous = NORMAL');
      this.#migrate();
    } catch (cause) {
      throw storeError(path, cause);
    }
  }

  #migrate(): void {
    const version = this.#db.pragma('user_version', { simple: true }) as number;
    if (version >= MIGRATIONS.length) return;
    this.#db
      .transaction(() => {
        // Re-read inside the write lock: another process may have migrated meanwhile.
        const current = this.#db.pragma('user_version', { simple: true }) as number;
        for (let i = current; i < MIGRATIONS.length; i += 1) this.#db.exec(MIGRATIONS[i] ?? '');
        this.#db.pragma(`user_version = ${MIGRATIONS.length}`);
      })
      .immediate();
  }

  /** Inserts a new PENDING job; false when the name is taken. */
  insert(job: {
    name: string;
    spec: string;
    numNodes: number;
    resources: string;
    submittedAt: number;
    priority?: number;
    demand?: Demand;
    /** Enter the queue at once (the job's directory is ready). */
    queued?: boolean;
  }): boolean {
    try {
      this.#statement(
        `INSERT INTO jobs (name, status, spec, num_nodes, resources, submitted_at, priority, demand, queued_at)
         VALUES (@name, 'PENDING', @spec, @numNodes, @resources, @submittedAt, @priority, @demand, @queuedAt)`,
      ).run({
        ...job,
        priority: job.priority ?? 0,
        demand: job.demand === undefined ? null : JSON.stringify(job.demand),
        queuedAt: job.queued === true ? job.submittedAt : null,
      });
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return false;
      throw storeError(this.#path, err);
    }
  }

  /** A job's row, without its spec (`spec` is ''); see {@link Store.startRecord}. */
  get(name: string): JobRow | undefined {
    // The spec holds env values and may be large: it is read only where a job starts.
    return this.#statement(`SELECT ${SUMMARY_COLUMNS}, '' AS spec FROM jobs WHERE name = ?`).get(
      name,
    ) as JobRow | undefined;
  }

  /** What starting a job needs: its spec as stored (JSON) and its first attempt. */
  startRecord(name: string): Pick<JobRow, 'spec' | 'first_attempt'> | undefined {
    return this.#statement('SELECT spec, first_attempt FROM jobs WHERE name = ?').get(name) as
      Pick<JobRow, 'spec' | 'first_attempt'> | undefined;
  }

  markStarted(name: string, pid: number, pidStart: string, startedAt: number): void {
    try {
      this.#statement(
        `UPDATE jobs SET status = 'RUNNING', started_at = coalesce(started_at, @startedAt),
           supervisor_pid = @pid, supervisor_start = @pidStart
         WHERE name = @name AND status = 'PENDING' AND allocation IS NOT NULL`,
      ).run({ name, pid, pidStart, startedAt });
    } catch (cause) {
      throw storeError(this.#path, cause);
    }
  }

  setAttempt(name: string, attempt: number): void {
    try {
      this.#statement(
        `UPDATE jobs SET attempt = @attempt WHERE name = @name AND status IN ('PENDING', 'RUNNING')`,
      ).run({ name, attempt });
    } catch (cause) {
      throw storeError(this.#path, cause);
    }
  }

  /** Records the end of a job unless another process already did; true when this call did. */
  markTerminal(name: string, update: TerminalUpdate): boolean {
    try {
      const result = this.#statement(
        `UPDATE jobs SET status = @status, started_at = coalesce(@startedAt, started_at),
           ended_at = @endedAt, attempt = @attempt, reason = @reason, outcome = @outcome
         WHERE name = @name AND status IN ('PENDING', 'RUNNING', 'STOPPED')`,
      ).run({
        name,
        status: update.status,
        startedAt: update.startedAt ?? null,
        endedAt: update.endedAt,
        attempt: update.attempt,
        reason: update.reason ?? null,
        outcome: JSON.stringify(update.outcome),
      });
      return result.changes === 1;
    } catch (cause) {
      throw storeError(this.#path, cause);
    }
  }

  /** Jobs that are queued or hold resources (and jobs still being prepared, with queued_at null). */
  active(): ActiveRow[] {
    return this.#statement(
      `SELECT ${ACTIVE_COLUMNS} FROM jobs WHERE status IN ('PENDING', 'RUNNING') ORDER BY ${QUEUE_ORDER}`,
    ).all() as ActiveRow[];
  }

  /** How many jobs wait in the queue (not admitted yet). */
  queuedCount(): number {
    return (
      this.#statement(`SELECT count(*) AS n FROM jobs WHERE ${IN_QUEUE}`).get() as { n: number }
    ).n;
  }

  /** How many jobs are queued or hold resources. */
  activeCount(): number {
    return (
      this.#statement(
        `SELECT count(*) AS n FROM jobs WHERE status IN ('PENDING', 'RUNNING')`,
      ).get() as {
        n: number;
      }
    ).n;
  }

  /**
   * The active jobs admission must look after: running ones (their supervisor may have died),
   * admitted ones not yet started, and ones still being prepared. Jobs that just wait in the queue
   * are left out, so a long queue costs nothing here.
   */
  unsettled(): ActiveRow[] {
    return this.#statement(
      `SELECT ${ACTIVE_COLUMNS} FROM jobs WHERE status IN ('PENDING', 'RUNNING')
         AND (status = 'RUNNING' OR allocation IS NOT NULL OR queued_at IS NULL)`,
    ).all() as ActiveRow[];
  }

  #statement(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * Decides and records, in one write transaction, which queued jobs start now: concurrent
   * processes see each other's admissions and never over-admit.
   */
  admit(decide: (holders: Holder[], queue: Iterable<Waiter>) => AdmissionPlan): AdmissionPlan {
    try {
      return this.#db
        .transaction(() => {
          const holders = (
            this.#statement(
              `SELECT demand, allocation FROM jobs WHERE ${HOLDS_RESOURCES}`,
            ).all() as { demand: string | null; allocation: string | null }[]
          ).map((row) => ({
            demand: parseDemand(row.demand),
            gpus: row.allocation === null ? [] : (JSON.parse(row.allocation) as number[][]),
          }));
          // Read lazily: the planner stops at the first job that does not fit.
          const rows = this.#statement(
            `SELECT name, demand FROM jobs WHERE ${IN_QUEUE} ORDER BY ${QUEUE_ORDER}`,
          ).iterate() as IterableIterator<{ name: string; demand: string | null }>;
          const queue = (function* (): Generator<Waiter> {
            for (const row of rows) yield { name: row.name, demand: parseDemand(row.demand) };
          })();
          let plan: AdmissionPlan;
          try {
            plan = decide(holders, queue);
          } finally {
            // Ends the statement's iteration if the planner stopped early.
            rows.return?.();
          }
          const mark = this.#statement(
            `UPDATE jobs SET allocation = ?, admitted_at = ? WHERE name = ? AND status = 'PENDING' AND allocation IS NULL`,
          );
          const now = Date.now();
          for (const admitted of plan.admit)
            mark.run(JSON.stringify(admitted.gpus), now, admitted.name);
          return plan;
        })
        .immediate();
    } catch (cause) {
      throw storeError(this.#path, cause);
    }
  }

  /** Puts an admitted job that was never started back in the queue. */
  requeue(name: string): void {
    try {
      this.#db
        .prepare(
          `UPDATE jobs SET allocation = NULL, admitted_at = NULL
           WHERE name = ? AND status = 'PENDING' AND supervisor_pid IS NULL`,
        )
        .run(name);
    } catch (cause) {
      throw storeError(this.#path, cause);
    }
  }

  /**
   * Holds a queued or running job (`konduktor stop`); true when it was held by this call. A
   * running job records `stoppedAt` (ms since the epoch, never before its start) as its end, so
   * that its duration is the time it ran, not a count that grows while it is held; a queued one
   * has none.
   */
  hold(name: string, stoppedAt: number = Date.now()): boolean {
    try {
      return (
        this.#db
          .prepare(
            `UPDATE jobs SET status = 'STOPPED', allocation = NULL, admitted_at = NULL,
               ended_at = CASE WHEN status = 'RUNNING' AND started_at IS NOT NULL
                 THEN max(?, started_at) ELSE NULL END
             WHERE name = ? AND status IN ('PENDING', 'RUNNING')`,
          )
          .run(stoppedAt, name).changes === 1
      );
    } catch (cause) {
      throw storeError(this.#path, cause);
    }
  }

  /** Puts a held job back at the end of the queue, its next run starting at `firstAttempt`. */
  release(name: string, firstAttempt: number): boolean {
    try {
      return (
        this.#db
          .prepare(
            `UPDATE jobs SET status = 'PENDING', queued_at = ?, supervisor_pid = NULL, supervisor_start = NULL, ended_at = NULL,
               first_attempt = ?, attempt = ?, allocation = NULL, admitted_at = NULL
             WHERE name = ? AND status = 'STOPPED'`,
          )
          .run(Date.now(), firstAttempt, firstAttempt, name).changes === 1
      );
    } catch (cause) {
      throw storeError(this.#path, cause);
    }
  }

  /** The process id recorded by the running admission agent, if any. */
  agent(): { pid: number; start: string } | undefined {
    return this.#db.prepare('SELECT pid, start FROM agent WHERE id = 1').get() as
      { pid: number; start: string } | undefined;
  }

  /** Records this process as the agent unless `isAlive` says the recorded one still runs. */
  claimAgent(
    pid: number,
    start: string,
    isAlive: (pid: number, start: string) => boolean,
  ): boolean {
    return this.#db
      .transaction(() => {
        const current = this.agent();
        if (current !== undefined && current.pid !== pid && isAlive(current.pid, current.start))
          return false;
        this.#db
          .prepare(
            'INSERT INTO agent (id, pid, start) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, start = excluded.start',
          )
          .run(pid, start);
        return true;
      })
      .immediate();
  }

  /** Removes this process's agent record. */
  releaseAgent(pid: number): void {
    this.#db.prepare('DELETE FROM agent WHERE id = 1 AND pid = ?').run(pid);
  }

  /** Jobs newest first, without their specs. */
  list(limit: number): JobRow[] {
    return this.#db
      .prepare(
        `SELECT ${SUMMARY_COLUMNS}, '' AS spec FROM jobs ORDER BY submitted_at DESC, name LIMIT ?`,
      )
      .all(limit) as JobRow[];
  }

  count(): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM jobs').get() as { n: number }).n;
  }

  /** All job names (for globs and suggestions). */
  names(): string[] {
    return this.#db.prepare('SELECT name FROM jobs').pluck().all() as string[];
  }

  delete(name: string): void {
    try {
      this.#db.prepare('DELETE FROM jobs WHERE name = ?').run(name);
    } catch (cause) {
      throw storeError(this.#path, cause);
    }
  }

  /** Runs `PRAGMA integrity_check`; 'ok' when the database is sound. */
  integrityCheck(): string {
    return String(this.#db.pragma('integrity_check', { simple: true }));
  }

  close(): void {
    this.#db.close();
  }
}

/** A stored demand; rows from before admission existed ask for the defaults. */
function parseDemand(text: string | null): Demand {
  if (text === null) return { nodes: 1, cpus: 1, memory: 1, gpus: 0 };
  return JSON.parse(text) as Demand;
}
