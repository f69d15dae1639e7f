/**
 * Durable sweep state: `$KONDUKTOR_HOME/sweeps.db`, an SQLite database of its own (WAL), apart from
 * the jobs' store. One row per sweep and one per trial; every change is one short statement, so a
 * driver killed at any moment leaves a state the next run can resume from.
 * @module
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { BackendError } from '../errors.js';
import { prepareHome, resolveHome } from '../backends/local/home.js';
import { parseCurve, type TrialCurve } from './curves.js';
import type { Params } from './space.js';

/**
 * A trial's state. `launching`: being submitted; `cancelled`: stopped, runs again on resume;
 * `pruned`: stopped early by the sweep's pruner (not a failure).
 */
export type TrialState = 'launching' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'pruned';

/** A sweep's state. */
export type SweepState = 'running' | 'completed' | 'stopped' | 'interrupted';

/** One trial as stored. */
export interface TrialRecord {
  readonly index: number;
  readonly params: Params;
  readonly state: TrialState;
  /** The job that runs or ran the trial, once submitted. */
  readonly job?: string;
  /** The objective, for a succeeded trial; for a pruned one, its value where it was pruned. */
  readonly value?: number;
  /** The step of the metric line at which a pruned trial was stopped. */
  readonly prunedStep?: number;
  /** The objective's values by step from the trial's metric lines (see `curves.ts`). */
  readonly curve?: TrialCurve;
  /** The result document's text, when the job reported one. */
  readonly result?: string;
  /** Why the trial failed or was cancelled. */
  readonly reason?: string;
  /** The error code behind a failure (`JOB_FAILED`, `NO_RESULT_REPORTED`, `OBJECTIVE_MISSING`…). */
  readonly errorCode?: string;
  readonly startedAt?: number;
  readonly endedAt?: number;
}

/** One sweep as stored. */
export interface SweepRecord {
  readonly name: string;
  /** The validated sweep, as JSON. */
  readonly spec: string;
  /** What must not change for a re-run to resume this sweep. */
  readonly fingerprint: string;
  readonly state: SweepState;
  readonly reason?: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Where its files were last written. */
  readonly outputDir?: string;
}

interface TrialRow {
  idx: number;
  params: string;
  state: TrialState;
  job: string | null;
  value: number | null;
  result: string | null;
  reason: string | null;
  error_code: string | null;
  pruned_step?: number | null;
  curve?: string | null;
  started_at: number | null;
  ended_at: number | null;
}

interface SweepRow {
  name: string;
  spec: string;
  fingerprint: string;
  state: SweepState;
  reason: string | null;
  created_at: number;
  updated_at: number;
  output_dir: string | null;
  driver_pid: number | null;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS sweeps (
    name TEXT PRIMARY KEY,
    spec TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    output_dir TEXT,
    driver_pid INTEGER
  );
  CREATE TABLE IF NOT EXISTS trials (
    sweep TEXT NOT NULL REFERENCES sweeps(name) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    params TEXT NOT NULL,
    state TEXT NOT NULL,
    job TEXT,
    value REAL,
    result TEXT,
    reason TEXT,
    error_code TEXT,
    started_at INTEGER,
    ended_at INTEGER,
    PRIMARY KEY (sweep, idx)
  );`;

function trialOf(row: TrialRow): TrialRecord {
  const curve = row.curve === null || row.curve === undefined ? undefined : parseCurve(row.curve);
  return {
    index: row.idx,
    params: JSON.parse(row.params) as Params,
    state: row.state,
    ...(row.job === null ? {} : { job: row.job }),
    ...(row.value === null ? {} : { value: row.value }),
    ...(row.result === null ? {} : { result: row.result }),
    ...(row.reason === null ? {} : { reason: row.reason }),
    ...(row.error_code === null ? {} : { errorCode: row.error_code }),
    ...(row.pruned_step === null || row.pruned_step === undefined
      ? {}
      : { prunedStep: row.pruned_step }),
    ...(curve === undefined ? {} : { curve }),
    ...(row.started_at === null ? {} : { startedAt: row.started_at }),
    ...(row.ended_at === null ? {} : { endedAt: row.ended_at }),
  };
}

/** Whether process `pid` of this machine still exists (EPERM: it does, as another user's). */
function processExists(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sweepOf(row: SweepRow): SweepRecord {
  // A driver killed outright (SIGKILL, a closed terminal, a crash) records no end: the state it
  // left says running. Its process being gone is what tells.
  const orphaned =
    row.state === 'running' && row.driver_pid !== null && !processExists(row.driver_pid);
  const reason = orphaned
    ? `its driver (pid ${row.driver_pid ?? '?'}) ended without recording an end; run the sweep file again to resume it`
    : row.reason;
  return {
    name: row.name,
    spec: row.spec,
    fingerprint: row.fingerprint,
    state: orphaned ? 'interrupted' : row.state,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(reason === null ? {} : { reason }),
    ...(row.output_dir === null ? {} : { outputDir: row.output_dir }),
  };
}

/** How a trial ended, as recorded. */
export interface TrialEnd {
  readonly state: 'succeeded' | 'failed' | 'cancelled' | 'pruned';
  readonly value?: number;
  readonly prunedStep?: number;
  readonly curve?: TrialCurve;
  readonly result?: string;
  readonly reason?: string;
  readonly errorCode?: string;
}

// Stores made before drivers (or pruning) were recorded lack the column; their rows stay as
// recorded.
function addColumn(
  db: Database.Database,
  table: 'sweeps' | 'trials',
  column: string,
  type: 'INTEGER' | 'TEXT' = 'INTEGER',
): void {
  const columns = db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[];
  if (columns.some((c) => c.name === column)) return;
  try {
    db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
  } catch (err) {
    // Another process opening the store at the same moment added it first.
    if (!/duplicate column/i.test(String(err))) throw err;
  }
}

/** The sweeps database of one konduktor home. */
export class SweepStore {
  readonly #db: Database.Database;

  /**
   * Opens (creating if needed) `sweeps.db` in the konduktor home.
   * @throws {BackendError} when the database cannot be opened.
   */
  constructor(home?: string) {
    const root = prepareHome(resolveHome(home)).root;
    try {
      this.#db = new Database(join(root, 'sweeps.db'), { timeout: 5000 });
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma('synchronous = NORMAL');
      this.#db.pragma('foreign_keys = ON');
      this.#db.exec(SCHEMA);
      addColumn(this.#db, 'sweeps', 'driver_pid');
      addColumn(this.#db, 'trials', 'pruned_step');
      addColumn(this.#db, 'trials', 'curve', 'TEXT');
    } catch (cause) {
      throw new BackendError(`cannot open the sweep store in ${root}: ${String(cause)}`, { cause });
    }
  }

  /** The sweep of that name, if stored. */
  getSweep(name: string): SweepRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM sweeps WHERE name = ?').get(name) as
      SweepRow | undefined;
    return row === undefined ? undefined : sweepOf(row);
  }

  /** Every stored sweep, newest first. */
  listSweeps(): SweepRecord[] {
    const rows = this.#db
      .prepare('SELECT * FROM sweeps ORDER BY created_at DESC')
      .all() as SweepRow[];
    return rows.map(sweepOf);
  }

  /** Stores a new sweep; false when one of that name exists already. */
  createSweep(name: string, spec: string, fingerprint: string, now = Date.now()): boolean {
    const info = this.#db
      .prepare(
        `INSERT OR IGNORE INTO sweeps (name, spec, fingerprint, state, created_at, updated_at, driver_pid)
         VALUES (?, ?, ?, 'running', ?, ?, ?)`,
      )
      .run(name, spec, fingerprint, now, now, process.pid);
    return info.changes === 1;
  }

  /**
   * Records the sweep's state, and its latest spec (trials, parallelism may change on resume).
   * `running` is recorded with this process as the driver, so that a reader can tell a sweep whose
   * driver died (shown `interrupted`) from one still running.
   */
  setSweepState(
    name: string,
    state: SweepState,
    extra: { reason?: string; spec?: string; outputDir?: string } = {},
  ): void {
    this.#db
      .prepare(
        `UPDATE sweeps SET state = ?, reason = ?, updated_at = ?, driver_pid = ?,
           spec = COALESCE(?, spec), output_dir = COALESCE(?, output_dir) WHERE name = ?`,
      )
      .run(
        state,
        extra.reason ?? null,
        Date.now(),
        state === 'running' ? process.pid : null,
        extra.spec ?? null,
        extra.outputDir ?? null,
        name,
      );
  }

  /** Deletes a sweep and its trials (not their jobs). */
  deleteSweep(name: string): boolean {
    return this.#db.prepare('DELETE FROM sweeps WHERE name = ?').run(name).changes === 1;
  }

  /** The sweep's trials by index. */
  trials(name: string): TrialRecord[] {
    const rows = this.#db
      .prepare('SELECT * FROM trials WHERE sweep = ? ORDER BY idx')
      .all(name) as TrialRow[];
    return rows.map(trialOf);
  }

  /** Records that a trial is about to be submitted, with its parameters. */
  markLaunching(name: string, index: number, params: Params, now = Date.now()): void {
    this.#db
      .prepare(
        `INSERT INTO trials (sweep, idx, params, state, started_at) VALUES (?, ?, ?, 'launching', ?)
         ON CONFLICT (sweep, idx) DO UPDATE SET params = excluded.params, state = 'launching',
           job = NULL, value = NULL, result = NULL, reason = NULL, error_code = NULL, curve = NULL,
           started_at = excluded.started_at, ended_at = NULL`,
      )
      .run(name, index, JSON.stringify(params), now);
  }

  /** Records the trial's job once submitted. */
  markRunning(name: string, index: number, job: string): void {
    this.#db
      .prepare(`UPDATE trials SET state = 'running', job = ? WHERE sweep = ? AND idx = ?`)
      .run(job, name, index);
  }

  /** Records how a trial ended. */
  markEnded(name: string, index: number, end: TrialEnd, now = Date.now()): void {
    this.#db
      .prepare(
        `UPDATE trials SET state = ?, value = ?, result = ?, reason = ?, error_code = ?,
         pruned_step = ?, curve = ?, ended_at = ? WHERE sweep = ? AND idx = ?`,
      )
      .run(
        end.state,
        end.value ?? null,
        end.result ?? null,
        end.reason ?? null,
        end.errorCode ?? null,
        end.prunedStep ?? null,
        end.curve === undefined ? null : JSON.stringify(end.curve),
        now,
        name,
        index,
      );
  }

  /** Closes the database. */
  close(): void {
    this.#db.close();
  }
}
