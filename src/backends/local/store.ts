/**
 * The local backend's store: one SQLite database in WAL mode, safe under many concurrent
 * konduktor processes (writes are short IMMEDIATE transactions; readers never block writers).
 * @module
 */
import Database from 'better-sqlite3';
import { BackendError } from '../../errors.js';
import type { Outcome } from '../../result/outcome.js';
import type { JobStatus } from '../backend.js';

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
}

/** Columns listed by `status`: everything but the spec, which holds env values. */
const SUMMARY_COLUMNS =
  'name, status, num_nodes, resources, submitted_at, started_at, ended_at, supervisor_pid, supervisor_start, attempt, reason, outcome';

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
];

/** The terminal fields written once, by whichever process first sees the job end. */
export interface TerminalUpdate {
  readonly status: Extract<JobStatus, 'SUCCEEDED' | 'FAILED' | 'CANCELLED'>;
  readonly endedAt: number;
  readonly attempt: number;
  readonly reason?: string;
  readonly outcome: Outcome;
}

/** Typed access to the local store. */
export class Store {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement;
  readonly #get: Database.Statement;
  readonly #started: Database.Statement;
  readonly #attempt: Database.Statement;
  readonly #terminal: Database.Statement;

  constructor(path: string) {
    try {
      this.#db = new Database(path, { timeout: 10_000 });
      this.#db.pragma('journal_mode = WAL');
      // WAL + NORMAL: a commit is durable against a process crash, which is what matters here.
      this.#db.pragma('synchronous = NORMAL');
      this.#migrate();
    } catch (cause) {
      throw new BackendError(`cannot open the konduktor store ${path}: ${String(cause)}`, {
        cause,
      });
    }
    this.#insert = this.#db.prepare(
      `INSERT INTO jobs (name, status, spec, num_nodes, resources, submitted_at)
       VALUES (@name, 'PENDING', @spec, @numNodes, @resources, @submittedAt)`,
    );
    this.#get = this.#db.prepare('SELECT * FROM jobs WHERE name = ?');
    this.#started = this.#db.prepare(
      `UPDATE jobs SET status = 'RUNNING', started_at = @startedAt, supervisor_pid = @pid,
         supervisor_start = @pidStart WHERE name = @name AND status = 'PENDING'`,
    );
    this.#attempt = this.#db.prepare(
      `UPDATE jobs SET attempt = @attempt WHERE name = @name AND status IN ('PENDING', 'RUNNING')`,
    );
    this.#terminal = this.#db.prepare(
      `UPDATE jobs SET status = @status, ended_at = @endedAt, attempt = @attempt, reason = @reason,
         outcome = @outcome WHERE name = @name AND status IN ('PENDING', 'RUNNING')`,
    );
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
  }): boolean {
    try {
      this.#insert.run(job);
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return false;
      throw err;
    }
  }

  get(name: string): JobRow | undefined {
    return this.#get.get(name) as JobRow | undefined;
  }

  markStarted(name: string, pid: number, pidStart: string, startedAt: number): void {
    this.#started.run({ name, pid, pidStart, startedAt });
  }

  setAttempt(name: string, attempt: number): void {
    this.#attempt.run({ name, attempt });
  }

  /** Records the end of a job unless another process already did; true when this call did. */
  markTerminal(name: string, update: TerminalUpdate): boolean {
    const result = this.#terminal.run({
      name,
      status: update.status,
      endedAt: update.endedAt,
      attempt: update.attempt,
      reason: update.reason ?? null,
      outcome: JSON.stringify(update.outcome),
    });
    return result.changes === 1;
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
    this.#db.prepare('DELETE FROM jobs WHERE name = ?').run(name);
  }

  /** Runs `PRAGMA integrity_check`; 'ok' when the database is sound. */
  integrityCheck(): string {
    return String(this.#db.pragma('integrity_check', { simple: true }));
  }

  close(): void {
    this.#db.close();
  }
}
