/**
 * The local queue: the capacity admission shares out, admission itself (which queued jobs start
 * now, started through the supervisor launcher), why each queued job waits, and the admission
 * agent that serves the queue once no konduktor process is left. The decisions are
 * {@link planAdmission}'s (pure); this module applies them to the store and keeps them current as
 * jobs end.
 * @module
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { configPath } from '../../config.js';
import { TaskValidationError } from '../../errors.js';
import type { TaskSpec } from '../../task/types.js';
import type { JobInfo } from '../backend.js';
import { type Capacity, type Demand, neverFits, planAdmission, usage } from './admission.js';
import { ensureAgent, runAgent } from './agent.js';
import { localCapacity } from './capacity.js';
import type { LocalContext } from './context.js';
import { ANY_JOB } from './events.js';
import { readSupervisor } from './job-dir.js';
import { jobPaths } from './protocol.js';
import { localEnvSecrets } from '../../secrets/local-store.js';
import type { JobLifecycle } from './lifecycle.js';
import {
  AGENT_DELAY_MS,
  CAPACITY_TTL_MS,
  LIVENESS_SWEEP_MS,
  ORPHAN_ADMISSION_MS,
  START_ANSWER_MS,
} from './timing.js';
import type { BackendQueueInfo } from '../backend.js';

/** What the local queue looks like (see {@link BackendQueueInfo}). */
export type QueueInfo = BackendQueueInfo;

/** Why each queued job waits, by name, with its 1-based position. */
type WaitingReasons = ReadonlyMap<string, { position: number; reason: string }>;

/** Queues whose jobs need the agent if the process exits first. */
const awaitingAgent = new Set<LocalQueue>();
let exitHookRegistered = false;

function registerExitHook(): void {
  if (exitHookRegistered) return;
  exitHookRegistered = true;
  // 'exit' handlers run synchronously: starting the agent (a spawn and a store write) is.
  process.on('exit', () => {
    for (const queue of [...awaitingAgent]) queue.agentNow();
  });
}

/** The local queue of one backend instance. See the module documentation. */
export class LocalQueue {
  readonly #ctx: LocalContext;
  readonly #jobs: JobLifecycle;
  readonly #capacityOverride: Partial<Capacity> | undefined;
  #capacity: { readonly at: number; readonly value: Capacity } | undefined;
  #lastLivenessSweep = 0;
  #agentTimer: NodeJS.Timeout | undefined;
  /** How many jobs this process started (the agent tells whether it serves the queue alone). */
  #startedCount = 0;
  /** Starts this process asked for and the launcher has not answered yet. */
  readonly #starting = new Set<Promise<void>>();
  #admitting = false;
  /** Bumped by every admission: the queue reasons computed for an epoch stay valid until then. */
  #admissionEpoch = 0;
  #reasons: { epoch: number; map: WaitingReasons } | undefined;
  #admissionScheduled = false;
  /** Waits on queued jobs in this process; while there are any, every job's event admits. */
  #queueWatchers = 0;
  #unwatchQueue: (() => void) | undefined;

  constructor(ctx: LocalContext, jobs: JobLifecycle, capacity: Partial<Capacity> | undefined) {
    this.#ctx = ctx;
    this.#jobs = jobs;
    this.#capacityOverride = capacity;
  }

  /** The capacity admission shares out. */
  capacity(): Capacity {
    // Admission asks for it on every decision; a change to config.yaml is seen within a second.
    const now = Date.now();
    if (this.#capacity === undefined || now - this.#capacity.at >= CAPACITY_TTL_MS) {
      this.#capacity = {
        at: now,
        value: localCapacity(this.#ctx.layout.root, this.#capacityOverride),
      };
    }
    return this.#capacity.value;
  }

  /**
   * Refuses a job that can never fit before anything is recorded: it would wait for ever.
   * @throws {TaskValidationError} saying what the job asks for and what the capacity is.
   */
  refuseNeverFitting(demand: Demand): void {
    const never = neverFits(demand, this.capacity());
    if (never === undefined) return;
    throw new TaskValidationError([
      {
        path: 'resources',
        message: `the job ${never}; ask for less, or declare more in local.capacity of ${configPath(this.#ctx.layout.root)}`,
      },
    ]);
  }

  /**
   * Serves the queue after `name` was queued (submitted or released): admits, and if `name` still
   * waits, makes sure someone serves the queue once this process is gone.
   */
  afterQueued(name: string): void {
    const waiting = this.admitPending();
    if (waiting > 0 && this.#isQueued(name)) this.#agentSoon();
  }

  /**
   * Makes sure someone serves the queue once this process is gone: the agent, started a moment
   * from now if jobs still wait then, or at once when this backend closes or the process exits.
   * While this process lives it admits on every job's end itself; an agent started with the first
   * queued job of a burst would only double that work (a Node start and an admission per event).
   */
  #agentSoon(): void {
    if (this.#agentTimer !== undefined) return;
    this.#agentTimer = setTimeout(() => {
      this.#agentTimer = undefined;
      this.agentNow();
    }, AGENT_DELAY_MS);
    this.#agentTimer.unref();
    awaitingAgent.add(this);
    registerExitHook();
  }

  /** Starts the agent if jobs wait in the queue (and none runs). */
  agentNow(): void {
    if (this.#agentTimer !== undefined) clearTimeout(this.#agentTimer);
    this.#agentTimer = undefined;
    awaitingAgent.delete(this);
    if (!this.#ctx.isOpen || this.#ctx.db.queuedCount() === 0) return;
    ensureAgent(this.#ctx.db, this.#ctx.layout.root);
  }

  /** True while the job waits in the queue (not admitted, not held). */
  #isQueued(name: string): boolean {
    const row = this.#ctx.db.get(name);
    return row?.status === 'PENDING' && row.allocation === null;
  }

  /**
   * Until the launcher answered the starts asked so far (a fraction of a millisecond, unless the
   * machine is swamped: then at most a few seconds). `submit` does not wait for it (a burst of
   * submissions would wait once per job); reading a job, listing, waiting and closing do, so this
   * process never sees its own just-started job as not started.
   */
  async startsAnswered(): Promise<void> {
    if (this.#starting.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.#starting),
      new Promise((resolve) => {
        timer = setTimeout(resolve, START_ANSWER_MS);
      }),
    ]);
    clearTimeout(timer);
  }

  /**
   * Refreshes the jobs that hold resources, then starts the queued jobs that fit, in queue order.
   * Any konduktor process may call it; the store's transaction makes concurrent calls safe.
   * @returns how many jobs still wait.
   */
  admitPending(): number {
    if (this.#admitting) return 0;
    this.#admitting = true;
    try {
      const now = Date.now();
      // A job that ended frees its resources: its final record says so, and looking for that
      // file is cheap. A dead supervisor leaves none; looking for one costs a /proc read per
      // job, so that sweep runs at most a few times a second.
      const sweep = now - this.#lastLivenessSweep >= LIVENESS_SWEEP_MS;
      if (sweep) this.#lastLivenessSweep = now;
      for (const row of this.#ctx.db.unsettled()) {
        if (row.status === 'RUNNING') {
          if (sweep || existsSync(jobPaths.final(this.#ctx.jobDir(row.name)))) {
            this.#jobs.refresh(row.name, false);
          }
        } else if (row.queued_at === null) {
          if (now - row.submitted_at > ORPHAN_ADMISSION_MS) {
            this.#jobs.failUnstarted(
              row.name,
              'the process that launched the job exited before queueing it',
            );
          }
        } else if (row.allocation !== null && row.supervisor_pid === null) {
          // Started by a process that died before recording it: adopt the running supervisor.
          const dir = this.#ctx.jobDir(row.name);
          if (readSupervisor(dir) !== undefined) this.#jobs.refresh(row.name, false);
          else if (now - (row.admitted_at ?? now) > ORPHAN_ADMISSION_MS) {
            // Withdraw the start request first: a supervisor forked late finds none and exits.
            rmSync(jobPaths.launch(dir), { force: true });
            if (readSupervisor(dir) !== undefined) this.#jobs.refresh(row.name, false);
            else this.#ctx.db.requeue(row.name);
          }
        }
      }
      const capacity = this.capacity();
      const plan = this.#ctx.db.admit((holders, queue) =>
        planAdmission(capacity, holders, queue, { untilBlocked: true }),
      );
      for (const admitted of plan.admit)
        this.#startAdmitted(admitted.name, admitted.gpus, capacity);
      return plan.waiting.size;
    } finally {
      this.#admitting = false;
      this.#admissionEpoch += 1;
    }
  }

  /**
   * Admits soon, once for all the reasons that asked in this turn of the event loop: a hundred
   * queued waits woken by one job's end cost one admission, not a hundred.
   */
  requestAdmission(): void {
    if (this.#admissionScheduled) return;
    this.#admissionScheduled = true;
    const asked = this.#admissionEpoch;
    setImmediate(() => {
      this.#admissionScheduled = false;
      // An admission that ran after the request (a waiter recording a job's end) already served it.
      if (this.#ctx.isOpen && this.#admissionEpoch === asked) this.admitPending();
    });
  }

  /**
   * While any wait in this process is on a queued job, every job's event triggers admission.
   * @returns the function that ends this watch (idempotent).
   */
  watch(): () => void {
    this.#queueWatchers += 1;
    this.#unwatchQueue ??= this.#ctx.hub.subscribe(ANY_JOB, () => {
      this.requestAdmission();
    });
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#queueWatchers -= 1;
      if (this.#queueWatchers === 0) {
        this.#unwatchQueue?.();
        this.#unwatchQueue = undefined;
      }
    };
  }

  #startAdmitted(name: string, gpus: number[][], capacity: Capacity): void {
    const db = this.#ctx.db;
    const row = db.startRecord(name);
    if (row === undefined) return;
    const spec = JSON.parse(row.spec) as TaskSpec;
    const dir = this.#ctx.jobDir(name);
    this.#startedCount += 1;
    try {
      const started = this.#ctx.launcher.start(spec, {
        name,
        dir,
        eventFile: join(this.#ctx.layout.events, name),
        graceMs: this.#ctx.graceMs,
        firstAttempt: row.first_attempt,
        secretEnv: localEnvSecrets(this.#ctx.layout.root),
        // With GPUs on the machine, a job that asked for none sees none.
        ...(capacity.gpus.length > 0 ? { gpus } : {}),
      });
      // Until the launcher answers, the job shows as starting; its supervisor's own record lets
      // any konduktor process adopt it should this one die first.
      const recorded = started.then((supervisor) => {
        try {
          if (supervisor !== undefined && this.#ctx.isOpen) {
            // The launcher answers as it forks: the supervisor's own time, else now, is the start.
            const startedAt = supervisor.startedAt ?? Date.now();
            this.#ctx.db.markStarted(name, supervisor.pid, supervisor.start, startedAt);
          }
        } catch {
          // The store refused (a full disk): whoever reads the job next adopts it from the
          // supervisor's own record, and gets the store's error there.
        }
        this.#starting.delete(recorded);
        this.#ctx.hub.emit(name);
      });
      this.#starting.add(recorded);
    } catch (cause) {
      this.#jobs.failUnstarted(name, `could not start the job: ${String(cause)}`);
    }
  }

  /** Runs this process as the admission agent of its home until the queue is empty. */
  runAgent(options: { readonly idleMs?: number } = {}): Promise<void> {
    return runAgent({
      store: this.#ctx.db,
      // The agent stays while jobs run too: it records their ends (freeing their resources) even
      // when no other konduktor process is left to notice.
      admit: () => {
        const before = this.#startedCount;
        this.admitPending();
        return { active: this.#ctx.db.activeCount(), started: this.#startedCount - before };
      },
      subscribe: (listener) => this.#ctx.hub.subscribe(ANY_JOB, listener),
      storePath: this.#ctx.layout.database,
      present: () => this.#ctx.db.isPresent(),
      ...(options.idleMs === undefined ? {} : { idleMs: options.idleMs }),
    });
  }

  /** The capacity, what is in use, and the queue in order with why each job waits (no admission). */
  snapshot(): QueueInfo {
    const capacity = this.capacity();
    const holders = [];
    const queue = [];
    let running = 0;
    for (const row of this.#ctx.db.active()) {
      const demand = row.demand === null ? DEFAULT_DEMAND : (JSON.parse(row.demand) as Demand);
      if (row.status === 'RUNNING' || row.allocation !== null) {
        if (row.status === 'RUNNING') running += 1;
        holders.push({
          demand,
          gpus: row.allocation === null ? [] : (JSON.parse(row.allocation) as number[][]),
        });
      } else if (row.queued_at !== null) {
        queue.push({ name: row.name, demand });
      }
    }
    const used = usage(holders);
    const plan = planAdmission(capacity, holders, queue);
    return {
      capacity,
      used: { cpus: used.cpus, memory: used.memory, gpus: [...used.gpus].sort((a, b) => a - b) },
      running,
      waiting: [...plan.waiting.entries()].map(([name, why]) => ({ name, ...why })),
    };
  }

  /**
   * The info of a job, with its queue position and reason while it waits (`waiting`, when given,
   * saves computing the reasons once per job of a listing).
   */
  describe(info: JobInfo, waiting?: WaitingReasons): JobInfo {
    if (info.status !== 'PENDING') return info;
    const why = (waiting ?? this.waitingReasons()).get(info.name);
    return why === undefined
      ? { ...info, reason: 'starting' }
      : { ...info, reason: `queued #${why.position}: ${why.reason}` };
  }

  /** Why each queued job waits, computed once per admission. */
  waitingReasons(): WaitingReasons {
    if (this.#reasons?.epoch !== this.#admissionEpoch) {
      const map = new Map(this.snapshot().waiting.map((entry) => [entry.name, entry]));
      this.#reasons = { epoch: this.#admissionEpoch, map };
    }
    return this.#reasons.map;
  }

  /** Waits for the launcher's answers and hands the queue to the agent if jobs still wait. */
  async close(): Promise<void> {
    await this.startsAnswered();
    if (this.#agentTimer !== undefined) this.agentNow();
  }
}

/** What a row recorded before demands were stored is taken to ask for. */
const DEFAULT_DEMAND: Demand = { nodes: 1, cpus: 1, memory: 1, gpus: 0 };
