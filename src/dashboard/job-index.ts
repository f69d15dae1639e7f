/**
 * The dashboard's read-only view of the local store: one page of jobs with a status and name
 * filter through the store's indexes (newest first), the active jobs and the new ones since a
 * moment (for change detection), and `PRAGMA data_version`, which moves whenever another
 * connection commits — one cheap read tells whether anything changed at all.
 *
 * It holds its own connection (readers never block writers in WAL mode; it only reads, but is not
 * opened read-only: such a connection cannot open a WAL database whose other connections all
 * closed) and counts the statements it runs, so the cost of live pages can be measured.
 * @module
 */
import Database from 'better-sqlite3';
import type { JobStatus } from '../backends/backend.js';
import { SUMMARY_COLUMNS, type JobRow, storeError } from '../backends/local/store.js';
import { emptyCounts } from './views.js';

/** A page of the jobs list. */
export interface PageQuery {
  /** Only jobs in these states (all when absent or empty). */
  readonly statuses?: readonly JobStatus[];
  /** Only names matching this glob (SQLite GLOB: `*`, `?`, `[abc]`; case-sensitive). */
  readonly glob?: string;
  readonly offset: number;
  readonly limit: number;
}

/** The statuses that can still change without a konduktor command removing the job. */
const LIVE = "status IN ('PENDING', 'RUNNING', 'STOPPED')";

/** Read-only queries on a local store. */
export class JobIndex {
  readonly #db: Database.Database;
  readonly #path: string;
  readonly #statements = new Map<string, Database.Statement>();
  /** Statements run so far (each one is a store read). */
  reads = 0;

  /** @throws {BackendError} when the store cannot be opened. */
  constructor(path: string) {
    this.#path = path;
    try {
      this.#db = new Database(path, { fileMustExist: true, timeout: 10_000 });
    } catch (cause) {
      throw storeError(path, cause);
    }
  }

  #run<T>(sql: string, use: (statement: Database.Statement) => T): T {
    this.reads += 1;
    let statement = this.#statements.get(sql);
    try {
      if (statement === undefined) {
        statement = this.#db.prepare(sql);
        this.#statements.set(sql, statement);
      }
      return use(statement);
    } catch (cause) {
      throw storeError(this.#path, cause);
    }
  }

  /** A counter that moves whenever another connection committed a change. */
  dataVersion(): number {
    this.reads += 1;
    return this.#db.pragma('data_version', { simple: true }) as number;
  }

  #where(query: Pick<PageQuery, 'statuses' | 'glob'>): {
    sql: string;
    params: (string | number)[];
  } {
    const clauses: string[] = [];
    const params: (string | number)[] = [];
    if (query.statuses !== undefined && query.statuses.length > 0) {
      clauses.push(`status IN (${query.statuses.map(() => '?').join(', ')})`);
      params.push(...query.statuses);
    }
    if (query.glob !== undefined && query.glob !== '') {
      clauses.push('name GLOB ?');
      params.push(query.glob);
    }
    return { sql: clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`, params };
  }

  /** One page of jobs, newest first, without their specs. */
  page(query: PageQuery): JobRow[] {
    const where = this.#where(query);
    return this.#run(
      `SELECT ${SUMMARY_COLUMNS}, '' AS spec FROM jobs ${where.sql}
       ORDER BY submitted_at DESC, name LIMIT ? OFFSET ?`,
      (s) => s.all(...where.params, query.limit, query.offset) as JobRow[],
    );
  }

  /** How many jobs match the filter. */
  count(query: Pick<PageQuery, 'statuses' | 'glob'> = {}): number {
    const where = this.#where(query);
    return this.#run(
      `SELECT count(*) AS n FROM jobs ${where.sql}`,
      (s) => (s.get(...where.params) as { n: number }).n,
    );
  }

  /** How many jobs are in each state. */
  counts(): Record<JobStatus, number> {
    const counts = emptyCounts();
    const rows = this.#run(
      'SELECT status, count(*) AS n FROM jobs GROUP BY status',
      (s) => s.all() as { status: JobStatus; n: number }[],
    );
    for (const row of rows) counts[row.status] = row.n;
    return counts;
  }

  /** The jobs that may still change state by themselves (queued, running, held). */
  live(): JobRow[] {
    return this.#run(
      `SELECT ${SUMMARY_COLUMNS}, '' AS spec FROM jobs WHERE ${LIVE}`,
      (s) => s.all() as JobRow[],
    );
  }

  /** Jobs submitted at or after `since` (epoch ms), newest first. */
  since(since: number): JobRow[] {
    return this.#run(
      `SELECT ${SUMMARY_COLUMNS}, '' AS spec FROM jobs WHERE submitted_at >= ? ORDER BY submitted_at DESC`,
      (s) => s.all(since) as JobRow[],
    );
  }

  /** One job's row, without its spec. */
  get(name: string): JobRow | undefined {
    return this.#run(
      `SELECT ${SUMMARY_COLUMNS}, '' AS spec FROM jobs WHERE name = ?`,
      (s) => s.get(name) as JobRow | undefined,
    );
  }

  /** One job's task as stored (JSON, env values included: callers redact it). */
  spec(name: string): string | undefined {
    return this.#run(
      'SELECT spec FROM jobs WHERE name = ?',
      (s) => (s.pluck().get(name) as string | undefined) ?? undefined,
    );
  }

  /** Every job name. */
  names(): string[] {
    return this.#run('SELECT name FROM jobs', (s) => s.pluck().all() as string[]);
  }

  close(): void {
    this.#db.close();
  }
}
