/**
 * The local backend's store: one SQLite database in WAL mode, safe under many concurrent
 * konduktor processes (writes are short IMMEDIATE transactions; readers never block writers).
 *
 * A job's state changes only through the store's named transitions, each one guarded statement
 * that does nothing when the job is no longer in the state it leaves: {@link Store.insert}
 * (queued), {@link Store.admit}, {@link Store.requeue}, {@link Store.markStarted},
 * {@link Store.hold}, {@link Store.release}, and the ends: {@link Store.recordEnd} (what the
 * supervisor recorded), {@link Store.fail}, {@link Store.cancel}. The schema is `store-schema.ts`.
 * @module
 */
import Database from 'better-sqlite3';
import type { Outcome } from '../../result/outcome.js';
import type { AdmissionPlan, Demand, Holder, Waiter } from './admission.js';
import { BackendError } from '../../errors.js';
import { type FileIdentity, fileIdentity, isSameFile } from './home.js';
import { AgentRecord } from './store-agent.js';
import {
  ACTIVE_COLUMNS,
  type ActiveRow,
  HOLDS_RESOURCES,
  IN_QUEUE,
  type JobRow,
  MIGRATIONS,
  NATIVE_BINDING,
  parseDemand,
  QUEUE_ORDER,
  storeError,
  SUMMARY_COLUMNS,
  type TerminalUpdate,
} from './store-schema.js';

export {
  type ActiveRow,
  type JobRow,
  storeError,
  SUMMARY_COLUMNS,
  type TerminalUpdate,
} from './store-schema.js';

/** Typed access to the local store. */
export class Store {
  readonly #db: Database.Database;
  readonly #path: string;
  /**
   * Statements prepared on first use: preparing costs more than running a small one, and a short
   * command (a plain `status`) should not prepare what it never runs.
   */
  readonly #statements = new Map<string, Database.Statement>();
  #agent: AgentRecord | undefined;

  /** The store file this connection opened (see {@link Store.isPresent}). */
  readonly identity: FileIdentity | undefined;

  /**
   * Opens (and, without `existing`, creates) the store at `path`.
   * @param options.existing open only this very file (as {@link fileIdentity} saw it): nothing is
   *   created, and a store removed or replaced meanwhile is refused before any statement runs
   *   (a statement would create its -wal and -shm files beside it).
   * @throws {BackendError} when `existing` is given and `path` no longer names that file, or when
   *   SQLite cannot open or migrate the store.
   */
  constructor(path: string, options: { readonly existing?: FileIdentity } = {}) {
    this.#path = path;
    const existing = options.existing;
    try {
      this.#db = new Database(path, {
        timeout: 10_000,
        fileMustExist: existing !== undefined,
        ...(NATIVE_BINDING === undefined ? {} : { nativeBinding: NATIVE_BINDING }),
      });
    } catch (cause) {
      if (existing !== undefined && !isSameFile(path, existing)) throw storeGone(path);
      throw storeError(path, cause);
    }
    // Taken after the open: the identity of the file this connection holds, barring a swap in
    // the microseconds between (which the check below then refuses).
    this.identity = fileIdentity(path);
    if (existing !== undefined && !isSameFile(path, existing)) {
      this.#db.close();
      throw storeGone(path);
    }
    try {
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

  /**
   * Records the end of a job, as its supervisor recorded it, unless another process already
   * recorded an end; true when this call did.
   */
  recordEnd(name: string, update: TerminalUpdate): boolean {
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

  /**
   * Records that a job failed without an outcome from its supervisor (it never started, or its
   * supervisor was lost), `endedAt` now, unless an end was recorded already; true when this call
   * did.
   */
  fail(name: string, reason: string, attempt: number): boolean {
    return this.recordEnd(name, {
      status: 'FAILED',
      endedAt: Date.now(),
      attempt,
      reason,
      outcome: failedOutcome(reason, attempt),
    });
  }

  /**
   * Records that a job was cancelled, `endedAt` now, unless an end was recorded already; true
   * when this call did.
   */
  cancel(name: string, attempt: number): boolean {
    const reason = 'the job was cancelled';
    return this.recordEnd(name, {
      status: 'CANCELLED',
      endedAt: Date.now(),
      attempt,
      reason,
      outcome: failedOutcome(reason, attempt),
    });
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

  /** The admission agent's record (see `store-agent.ts`). */
  get agent(): AgentRecord {
    this.#agent ??= new AgentRecord(this.#db);
    return this.#agent;
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

  /**
   * True while the store's path still names the file this connection opened: false once the
   * store (or its home) was removed, or replaced by another home's.
   */
  isPresent(): boolean {
    return this.identity !== undefined && isSameFile(this.#path, this.identity);
  }

  close(): void {
    this.#db.close();
  }
}

/** The store file asked for is gone or was replaced: there is nothing left to serve. */
function storeGone(path: string): BackendError {
  return new BackendError(`the konduktor store ${path} was removed or replaced`);
}

/** The outcome of a job that ended without a result: failed, with no log tail. */
function failedOutcome(reason: string, attempt: number): Outcome {
  return { kind: 'failed', reason, attempt, logTail: [] };
}
