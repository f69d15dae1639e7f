/**
 * A local job's lifecycle outside the queue: creating it, reading its supervisor's records into
 * the store (its end, a lost supervisor), and ending its processes when it is cancelled or
 * stopped. Which queued job starts when is the queue's concern ({@link LocalQueue}); whenever this
 * module records that a job ended, it asks the queue to admit (the job's resources are free).
 * @module
 */
import { existsSync, mkdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BackendError, JobNotFoundError } from '../../errors.js';
import type { TaskSpec } from '../../task/types.js';
import { isTerminal, type JobInfo } from '../backend.js';
import { candidateJobNames, noFreeName } from '../shared/names.js';
import { mustHold, mustResume } from '../shared/preconditions.js';
import { formatResources, jobResourcesOf } from '../resources.js';
import { DEFAULT_CPUS, DEFAULT_MEMORY_GIB } from './capacity.js';
import type { Demand } from './admission.js';
import type { LocalContext } from './context.js';
import { isSettled, jobInfoOf } from './job-info.js';
import { readAttempt, readFinal, readOutcome, readSupervisor } from './job-dir.js';
import { type FinalRecord, jobMarker, jobPaths } from './protocol.js';
import { prepareJobDir } from './launcher.js';
import { removeUntrustedTree } from './untrusted-file.js';
import { isSameProcessAlive, processStartTime, stopJobProcesses } from './processes.js';
import type { JobRow } from './store.js';
import { suggestNames } from '../../diagnostics/suggest.js';

/** Creating, reconciling and ending local jobs. See the module documentation. */
export class JobLifecycle {
  readonly #ctx: LocalContext;
  readonly #admit: () => void;

  /** @param admit serves the queue; called after a job's end is recorded. */
  constructor(ctx: LocalContext, admit: () => void) {
    this.#ctx = ctx;
    this.#admit = admit;
  }

  /**
   * Makes the job's directory, then records the job, already queued, in one statement: a launcher
   * killed at any point leaves either no job at all (and at most an unreferenced directory) or a
   * whole queued job that any konduktor process will start.
   * @returns the job's name.
   * @throws {BackendError} when the directory cannot be made (a full disk says so) or no free
   *   name is found.
   */
  create(spec: TaskSpec, demand: Demand): string {
    const row = {
      spec: JSON.stringify(spec),
      numNodes: spec.numNodes,
      resources: resourceSummary(spec),
      priority: spec.resources.priority ?? 0,
      demand,
    };
    for (const name of candidateJobNames(spec.name)) {
      const dir = this.#ctx.jobDir(name);
      try {
        // The directory reserves the name among concurrent launchers (mkdir is atomic).
        mkdirSync(dir, { mode: 0o700 });
      } catch (cause) {
        if ((cause as { code?: string }).code === 'EEXIST') continue;
        throw new BackendError(`could not create the job directory ${dir}: ${String(cause)}`, {
          cause,
        });
      }
      try {
        prepareJobDir(dir, spec);
      } catch (cause) {
        rmSync(dir, { recursive: true, force: true });
        const code = (cause as { code?: unknown }).code;
        if (code === 'ENOSPC' || code === 'EDQUOT') {
          throw new BackendError(
            `the disk is full: the konduktor home ${this.#ctx.layout.root} has no room left (${code} ` +
              'while preparing the job); free some space (or set KONDUKTOR_HOME to another disk) and try again',
            { cause },
          );
        }
        throw new BackendError(`could not prepare job ${name}: ${String(cause)}`, { cause });
      }
      if (this.#ctx.db.insert({ name, ...row, submittedAt: Date.now(), queued: true })) {
        return name;
      }
      rmSync(dir, { recursive: true, force: true });
    }
    throw noFreeName(spec.name);
  }

  /** Records that a job failed before any of its processes ran. */
  failUnstarted(name: string, reason: string): void {
    this.#ctx.db.fail(name, reason, 0);
  }

  /**
   * The job's row.
   * @throws {JobNotFoundError} when the store has no such job (with similar names).
   */
  row(name: string): JobRow {
    const row = this.#ctx.db.get(name);
    if (row === undefined) {
      throw new JobNotFoundError(
        name,
        this.#ctx.description,
        suggestNames(name, this.#ctx.db.names()),
      );
    }
    return row;
  }

  /**
   * Reads a job, recording its end first if it ended and nobody recorded it yet. A job that ends
   * frees resources, so the queue is served again (unless `admit` is false: admission's own
   * refreshes).
   * @throws {JobNotFoundError} when the store has no such job.
   */
  refresh(name: string, admit = true): JobInfo {
    const row = this.row(name);
    if (isSettled(row.status)) return jobInfoOf(row);
    const dir = this.#ctx.jobDir(name);
    if (row.status === 'PENDING') {
      // Admitted, but whoever started it died before recording its supervisor: adopt it.
      const supervisor = row.allocation === null ? undefined : readSupervisor(dir);
      if (supervisor === undefined) return jobInfoOf(row);
      const startedAt = supervisor.startedAt ?? Date.now();
      this.#ctx.db.markStarted(name, supervisor.pid, supervisor.start, startedAt);
      return this.refresh(name, admit);
    }
    const final = readFinal(dir);
    let info: JobInfo;
    if (final !== undefined) {
      info = this.#recordFinal(row, dir, final);
    } else {
      const attempt = readAttempt(dir, row.first_attempt);
      if (isSupervisorAlive(row)) {
        if (attempt !== row.attempt) this.#ctx.db.setAttempt(name, attempt);
        return jobInfoOf({ ...row, attempt });
      }
      info = this.#recordLost(name, dir, attempt, row);
    }
    if (admit) this.#admit();
    return info;
  }

  /**
   * Records what the supervisor's final record says: the job's end, or, when the supervisor was
   * cancelled by a `stop` (which leaves a `stopping` record first), that the job is held.
   */
  #recordFinal(row: JobRow, dir: string, final: FinalRecord): JobInfo {
    if (final.status === 'cancelled' && existsSync(jobPaths.stopping(dir))) {
      // When the supervisor saw the ranks end: the held job ran until then.
      this.#ctx.db.hold(row.name, final.endedAt ?? Date.now());
      return jobInfoOf(this.row(row.name));
    }
    return this.#recordEnd(row, dir, final);
  }

  /**
   * Records the job's end from its supervisor's final record, with the times the supervisor saw:
   * when it started the ranks (on the job's first run; a resumed job keeps its first start) and
   * when they ended. Never an end before the start.
   */
  #recordEnd(row: JobRow, dir: string, final: FinalRecord): JobInfo {
    const { name } = row;
    const { end, outcome } = readOutcome(dir, final);
    const supervisor = readSupervisor(dir);
    const startedAt =
      row.first_attempt === 0 &&
      supervisor?.startedAt !== undefined &&
      supervisor.pid === row.supervisor_pid
        ? supervisor.startedAt
        : row.started_at;
    const status =
      final.status === 'succeeded'
        ? 'SUCCEEDED'
        : final.status === 'cancelled'
          ? 'CANCELLED'
          : 'FAILED';
    this.#ctx.db.recordEnd(name, {
      status,
      ...(startedAt === null ? {} : { startedAt }),
      endedAt: Math.max(final.endedAt ?? Date.now(), startedAt ?? 0),
      attempt: final.attempt,
      ...(end.status === 'failed' ? { reason: end.reason } : {}),
      outcome,
    });
    return jobInfoOf(this.row(name));
  }

  #recordLost(name: string, dir: string, attempt: number, row: JobRow): JobInfo {
    // The supervisor may have written its record just before exiting: read again before judging.
    const final = readFinal(dir);
    if (final !== undefined) return this.#recordFinal(row, dir, final);
    const reason = `the job's supervising process (pid ${row.supervisor_pid ?? '?'}) exited without recording an outcome; it was probably killed`;
    this.#ctx.db.fail(name, reason, attempt);
    // Its ranks, in the supervisor's process group or gone elsewhere, would otherwise run on
    // unsupervised.
    if (row.supervisor_pid !== null) {
      void stopJobProcesses(
        { pgid: row.supervisor_pid, leaderStart: row.supervisor_start },
        jobMarker(dir),
        this.#ctx.graceMs,
      );
    }
    return jobInfoOf(this.row(name));
  }

  /**
   * Ends the supervisor (which ends the ranks and what they started) and whatever is left of the
   * job: its group, and what carries its marker (a supervisor killed before it could do that).
   */
  async #stopProcesses(row: JobRow): Promise<void> {
    if (row.supervisor_pid === null) return;
    if (isSupervisorAlive(row)) {
      try {
        // The supervisor stops the ranks (SIGTERM, then SIGKILL after the grace period) and exits.
        process.kill(row.supervisor_pid, 'SIGTERM');
      } catch {
        // It ended meanwhile.
      }
      await waitUntil(() => !isSupervisorAlive(row), this.#ctx.graceMs + 2000);
    }
    await stopJobProcesses(
      { pgid: row.supervisor_pid, leaderStart: row.supervisor_start },
      jobMarker(this.#ctx.jobDir(row.name)),
      1000,
    );
  }

  /**
   * Records the job as cancelled and ends its processes; nothing for a job that already ended.
   * @returns whether the job was cancelled now (its resources are free: the caller admits).
   */
  async cancel(name: string): Promise<boolean> {
    const info = this.refresh(name);
    if (isTerminal(info.status)) return false;
    const row = this.row(name);
    // A running job's processes end first: until they are gone its row stays RUNNING, so no
    // konduktor process hands its resources (GPUs) to another job meanwhile. Its supervisor
    // records the cancel itself (whoever reads that first records the job CANCELLED).
    const running = row.status === 'RUNNING';
    if (running) await this.#stopProcesses(row);
    this.#ctx.db.cancel(name, info.attempt);
    if (!running) await this.#stopProcesses(row);
    this.#ctx.hub.emit(name);
    return true;
  }

  /**
   * Holds the job (STOPPED) and ends its processes; nothing for a job already stopped.
   * @returns whether the job was held now (its resources are free: the caller admits).
   * @throws {StateConflictError} when the job has already ended.
   */
  async hold(name: string): Promise<boolean> {
    const info = this.refresh(name);
    if (!mustHold(name, info.status)) return false;
    const row = this.row(name);
    if (row.status === 'RUNNING') {
      // As for cancel, the processes end first and the row stays RUNNING (holding its resources)
      // until they are gone. The supervisor records a cancel; the `stopping` record, written
      // before it is signalled, makes whoever reads that record the job as held instead.
      writeFileSync(jobPaths.stopping(this.#ctx.jobDir(name)), '', { mode: 0o600 });
      await this.#stopProcesses(row);
      const held = this.#ctx.db.hold(name);
      this.#ctx.hub.emit(name);
      // Not held by this call: another process read the supervisor's record first (and admitted).
      return held;
    }
    if (!this.#ctx.db.hold(name)) return this.hold(name);
    await this.#stopProcesses(row);
    this.#ctx.hub.emit(name);
    return true;
  }

  /**
   * Puts a stopped job back in the queue, its next run numbered after the stopped one's attempts.
   * @returns whether the job was stopped (and is queued now).
   * @throws {StateConflictError} when the job has already ended.
   */
  release(name: string): boolean {
    const row = this.row(name);
    if (!mustResume(name, row.status)) return false;
    const dir = this.#ctx.jobDir(name);
    const next = row.started_at === null ? row.first_attempt : readAttempt(dir, row.attempt) + 1;
    // The stopped run's records must not be read as this run's.
    rmSync(jobPaths.final(dir), { force: true });
    rmSync(jobPaths.attempt(dir), { force: true });
    rmSync(jobPaths.supervisor(dir), { force: true });
    rmSync(jobPaths.stopping(dir), { force: true });
    this.#ctx.db.release(name, next);
    this.#ctx.hub.emit(name);
    return true;
  }

  /**
   * Deletes an ended job's directory, event file and row. The row goes even when the directory
   * cannot (the error says where it is): the job is gone either way.
   */
  forget(name: string): void {
    try {
      removeUntrustedTree(this.#ctx.jobDir(name));
    } finally {
      try {
        unlinkSync(join(this.#ctx.layout.events, name));
      } catch {
        // Never created.
      }
      this.#ctx.db.delete(name);
    }
  }
}

/** Polls `done` every 25 ms until it holds or `ms` pass (a non-child process has no exit event). */
async function waitUntil(done: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
}

function isSupervisorAlive(row: JobRow): boolean {
  if (row.supervisor_pid === null) return false;
  if (row.supervisor_start === null || row.supervisor_start === '') {
    return processStartTime(row.supervisor_pid) !== undefined;
  }
  return isSameProcessAlive(row.supervisor_pid, row.supervisor_start);
}

/** The request the store records: with the defaults admission counts for what the task omits. */
function resourceSummary(spec: TaskSpec): string {
  return formatResources(
    spec.numNodes,
    jobResourcesOf(spec, { cpus: DEFAULT_CPUS, memory: DEFAULT_MEMORY_GIB }),
  );
}
