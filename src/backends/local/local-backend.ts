/**
 * The local backend: jobs run as process groups on this machine, supervised by a small static
 * bash script per job (no Node runtime per job), with state in an SQLite store under
 * `KONDUKTOR_HOME`. Jobs outlive the process that launched them; any konduktor process can wait
 * for them, read their results and record their end.
 * @module
 */
import { existsSync, mkdirSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { configPath } from '../../config.js';
import { BackendError, JobNotFoundError, TaskValidationError, UsageError } from '../../errors.js';
import { classifyOutcome, type Outcome } from '../../result/outcome.js';
import { makeJobName } from '../../task/naming.js';
import type { TaskSpec } from '../../task/types.js';
import {
  type Backend,
  type BackendLogOptions,
  type BackendWaitOptions,
  isTerminal,
  type JobInfo,
  type TerminalJobInfo,
} from '../backend.js';
import { type Capacity, neverFits, planAdmission, usage } from './admission.js';
import { ensureAgent, runAgent } from './agent.js';
import { demandOf, localCapacity } from './capacity.js';
import { ANY_JOB, EventHub } from './events.js';
import { isSettled, jobInfoOf } from './job-info.js';
import { LAUNCH_FILE, prepareJobDir, SupervisorLauncher, type SupervisorKind } from './launcher.js';
import { localDescription, prepareHome, resolveHome, type HomeLayout } from './home.js';
import {
  jobEndOf,
  jobPaths,
  readAttempt,
  readFinal,
  readReporterFile,
  readSupervisor,
} from './job-dir.js';
import { followLog } from './logs.js';
import { isSameProcessAlive, processStartTime, stopGroup } from './processes.js';
import { type JobRow, Store } from './store.js';
import { suggestNames } from './suggest.js';
import { waitForWake } from '../wake.js';

/** How often a wait re-checks that the job's supervisor is alive (it has no exit event for us). */
const LIVENESS_INTERVAL_MS = 1000;
/** An admitted job whose admitter died before starting it goes back to the queue after this long. */
const ORPHAN_ADMISSION_MS = 30_000;
/** How long the capacity read from the machine and config.yaml is reused. */
const CAPACITY_TTL_MS = 1000;
/** How long jobs may wait in the queue of a live process before the agent is started. */
const AGENT_DELAY_MS = 1000;

/** Backends whose queued jobs need the agent if the process exits first. */
const awaitingAgent = new Set<LocalBackend>();
let exitHookRegistered = false;

function registerExitHook(): void {
  if (exitHookRegistered) return;
  exitHookRegistered = true;
  // 'exit' handlers run synchronously: starting the agent (a spawn and a store write) is.
  process.on('exit', () => {
    for (const backend of [...awaitingAgent]) LocalBackend.agentBeforeExit(backend);
  });
}

/** How often admission at most checks that the supervisors of running jobs are alive. */
const LIVENESS_SWEEP_MS = 250;
/** How long a launch waits for the launcher to answer before it returns anyway. */
const START_ANSWER_MS = 5000;
const NAME_ATTEMPTS = 20;

/** Options of {@link LocalBackend}. */
export interface LocalBackendOptions {
  /**
   * The konduktor home.
   * @default process.env.KONDUKTOR_HOME, else ~/.konduktor
   */
  readonly home?: string;
  /**
   * How long ranks get between SIGTERM and SIGKILL when a job is stopped, in milliseconds.
   * @default 5000
   */
  readonly graceMs?: number;
  /**
   * The capacity admission shares out, over `local.capacity` in `config.yaml` and what the
   * machine has.
   */
  readonly capacity?: Partial<Capacity>;
  /**
   * What starts and supervises jobs (see {@link SupervisorKind}).
   * @default the native supervisor when it was built, else bash (`KONDUKTOR_SUPERVISOR` chooses)
   */
  readonly supervisor?: SupervisorKind;
}

/** What the local queue looks like. */
export interface QueueInfo {
  readonly capacity: Capacity;
  readonly used: {
    readonly cpus: number;
    readonly memory: number;
    readonly gpus: readonly number[];
  };
  readonly running: number;
  /** Queued jobs in order, with why each waits. */
  readonly waiting: readonly {
    readonly name: string;
    readonly position: number;
    readonly reason: string;
  }[];
}

/** The embedded default backend. See the module documentation. */
export class LocalBackend implements Backend {
  readonly kind = 'local' as const;
  readonly description: string;
  readonly #layout: HomeLayout;
  readonly #graceMs: number;
  readonly #capacityOverride: Partial<Capacity> | undefined;
  readonly #hub: EventHub;
  readonly #launcher: SupervisorLauncher;
  #lastLivenessSweep = 0;
  #agentTimer: NodeJS.Timeout | undefined;
  #capacity: { readonly at: number; readonly value: Capacity } | undefined;
  /** How many jobs this process started (the agent tells whether it serves the queue alone). */
  #startedCount = 0;
  /** Starts this process asked for and the launcher has not answered yet. */
  readonly #starting = new Set<Promise<void>>();
  #store: Store | undefined;
  #admitting = false;
  /** Bumped by every admission: the queue reasons computed for an epoch stay valid until then. */
  #admissionEpoch = 0;
  #reasons:
    { epoch: number; map: ReadonlyMap<string, { position: number; reason: string }> } | undefined;
  #admissionScheduled = false;
  /** Waits on queued jobs in this process; while there are any, every job's event admits. */
  #queueWatchers = 0;
  #unwatchQueue: (() => void) | undefined;

  constructor(options: LocalBackendOptions = {}) {
    this.#layout = prepareHome(resolveHome(options.home));
    this.#graceMs = options.graceMs ?? 5000;
    this.#capacityOverride = options.capacity;
    this.#hub = new EventHub(this.#layout.events);
    this.#launcher = new SupervisorLauncher(options.supervisor);
    this.description = localDescription(this.#layout.root);
  }

  /** The home directory in use. */
  get home(): string {
    return this.#layout.root;
  }

  get #db(): Store {
    this.#store ??= new Store(this.#layout.database);
    return this.#store;
  }

  #jobDir(name: string): string {
    return join(this.#layout.jobs, name);
  }

  /** The capacity admission shares out. */
  capacity(): Capacity {
    // Admission asks for it on every decision; a change to config.yaml is seen within a second.
    const now = Date.now();
    if (this.#capacity === undefined || now - this.#capacity.at >= CAPACITY_TTL_MS) {
      this.#capacity = { at: now, value: localCapacity(this.#layout.root, this.#capacityOverride) };
    }
    return this.#capacity.value;
  }

  // async: every failure reaches the caller as a rejected promise, never a synchronous throw.
  async submit(spec: TaskSpec): Promise<string> {
    const demand = demandOf(spec);
    this.#refuseNeverFitting(demand);
    const name = this.#createJob(spec, demand);
    const waiting = this.admitPending();
    if (waiting > 0 && this.#isQueued(name)) this.#agentSoon();
    return name;
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
      this.#agentNow();
    }, AGENT_DELAY_MS);
    this.#agentTimer.unref();
    awaitingAgent.add(this);
    registerExitHook();
  }

  /** Starts the agent if jobs wait in the queue (and none runs). */
  #agentNow(): void {
    if (this.#agentTimer !== undefined) clearTimeout(this.#agentTimer);
    this.#agentTimer = undefined;
    awaitingAgent.delete(this);
    if (this.#store === undefined || this.#db.queuedCount() === 0) return;
    ensureAgent(this.#db, this.#layout.root);
  }

  /** For the process's exit hook. */
  static agentBeforeExit(backend: LocalBackend): void {
    backend.#agentNow();
  }

  /** True while the job waits in the queue (not admitted, not held). */
  #isQueued(name: string): boolean {
    const row = this.#db.get(name);
    return row?.status === 'PENDING' && row.allocation === null;
  }

  /**
   * Until the launcher answered the starts asked so far (a fraction of a millisecond, unless the
   * machine is swamped: then at most a few seconds). `submit` does not wait for it (a burst of
   * submissions would wait once per job); reading a job, listing, waiting and closing do, so this
   * process never sees its own just-started job as not started.
   */
  async #startsAnswered(): Promise<void> {
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
   * Makes the job's directory, then records the job, already queued, in one statement: a launcher
   * killed at any point leaves either no job at all (and at most an unreferenced directory) or a
   * whole queued job that any konduktor process will start.
   */
  #createJob(spec: TaskSpec, demand: ReturnType<typeof demandOf>): string {
    const row = {
      spec: JSON.stringify(spec),
      numNodes: spec.numNodes,
      resources: resourceSummary(spec),
      priority: spec.resources.priority ?? 0,
      demand,
    };
    for (let i = 0; i < NAME_ATTEMPTS; i += 1) {
      const name = makeJobName(spec.name);
      const dir = this.#jobDir(name);
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
            `the disk is full: the konduktor home ${this.#layout.root} has no room left (${code} ` +
              'while preparing the job); free some space (or set KONDUKTOR_HOME to another disk) and try again',
            { cause },
          );
        }
        throw new BackendError(`could not prepare job ${name}: ${String(cause)}`, { cause });
      }
      if (this.#db.insert({ name, ...row, submittedAt: Date.now(), queued: true })) return name;
      rmSync(dir, { recursive: true, force: true });
    }
    throw new BackendError(
      `could not find a free job name for ${spec.name} after ${NAME_ATTEMPTS} tries`,
    );
  }

  async dryRun(spec: TaskSpec): Promise<unknown> {
    const demand = demandOf(spec);
    this.#refuseNeverFitting(demand);
    return {
      backend: 'local',
      home: this.#layout.root,
      task: spec,
      demand,
      capacity: this.capacity(),
    };
  }

  /** A job that can never fit is refused before anything is recorded: it would wait for ever. */
  #refuseNeverFitting(demand: ReturnType<typeof demandOf>): void {
    const never = neverFits(demand, this.capacity());
    if (never === undefined) return;
    throw new TaskValidationError([
      {
        path: 'resources',
        message: `the job ${never}; ask for less, or declare more in local.capacity of ${configPath(this.#layout.root)}`,
      },
    ]);
  }

  #failUnstarted(name: string, reason: string): void {
    this.#db.markTerminal(name, {
      status: 'FAILED',
      endedAt: Date.now(),
      attempt: 0,
      reason,
      outcome: { kind: 'failed', reason, attempt: 0, logTail: [] },
    });
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
      for (const row of this.#db.unsettled()) {
        if (row.status === 'RUNNING') {
          if (sweep || existsSync(jobPaths.final(this.#jobDir(row.name)))) {
            this.#refresh(row.name, false);
          }
        } else if (row.queued_at === null) {
          if (now - row.submitted_at > ORPHAN_ADMISSION_MS) {
            this.#failUnstarted(
              row.name,
              'the process that launched the job exited before queueing it',
            );
          }
        } else if (row.allocation !== null && row.supervisor_pid === null) {
          // Started by a process that died before recording it: adopt the running supervisor.
          const dir = this.#jobDir(row.name);
          if (readSupervisor(dir) !== undefined) this.#refresh(row.name, false);
          else if (now - (row.admitted_at ?? now) > ORPHAN_ADMISSION_MS) {
            // Withdraw the start request first: a supervisor forked late finds none and exits.
            rmSync(join(dir, LAUNCH_FILE), { force: true });
            if (readSupervisor(dir) !== undefined) this.#refresh(row.name, false);
            else this.#db.requeue(row.name);
          }
        }
      }
      const capacity = this.capacity();
      const plan = this.#db.admit((holders, queue) =>
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
  #requestAdmission(): void {
    if (this.#admissionScheduled) return;
    this.#admissionScheduled = true;
    const asked = this.#admissionEpoch;
    setImmediate(() => {
      this.#admissionScheduled = false;
      // An admission that ran after the request (a waiter recording a job's end) already served it.
      if (this.#store !== undefined && this.#admissionEpoch === asked) this.admitPending();
    });
  }

  /** While any wait in this process is on a queued job, every job's event triggers admission. */
  #watchQueue(): () => void {
    this.#queueWatchers += 1;
    this.#unwatchQueue ??= this.#hub.subscribe(ANY_JOB, () => {
      this.#requestAdmission();
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
    const row = this.#db.startRecord(name);
    if (row === undefined) return;
    const spec = JSON.parse(row.spec) as TaskSpec;
    const dir = this.#jobDir(name);
    this.#startedCount += 1;
    try {
      const started = this.#launcher.start(spec, {
        name,
        dir,
        eventFile: join(this.#layout.events, name),
        graceMs: this.#graceMs,
        firstAttempt: row.first_attempt,
        // With GPUs on the machine, a job that asked for none sees none.
        ...(capacity.gpus.length > 0 ? { gpus } : {}),
      });
      // Until the launcher answers, the job shows as starting; its supervisor's own record lets
      // any konduktor process adopt it should this one die first.
      const recorded = started.then((supervisor) => {
        try {
          if (supervisor !== undefined && this.#store !== undefined) {
            this.#db.markStarted(name, supervisor.pid, supervisor.start, Date.now());
          }
        } catch {
          // The store refused (a full disk): whoever reads the job next adopts it from the
          // supervisor's own record, and gets the store's error there.
        }
        this.#starting.delete(recorded);
        this.#hub.emit(name);
      });
      this.#starting.add(recorded);
    } catch (cause) {
      this.#failUnstarted(name, `could not start the job: ${String(cause)}`);
    }
  }

  /** Runs this process as the admission agent of its home until the queue is empty. */
  runAgent(options: { readonly idleMs?: number } = {}): Promise<void> {
    return runAgent({
      store: this.#db,
      // The agent stays while jobs run too: it records their ends (freeing their resources) even
      // when no other konduktor process is left to notice.
      admit: () => {
        const before = this.#startedCount;
        this.admitPending();
        return { active: this.#db.activeCount(), started: this.#startedCount - before };
      },
      subscribe: (listener) => this.#hub.subscribe(ANY_JOB, listener),
      home: this.#layout.root,
      ...(options.idleMs === undefined ? {} : { idleMs: options.idleMs }),
    });
  }

  /** The capacity, what is in use, and the queue in order with why each job waits. */
  queue(): QueueInfo {
    this.admitPending();
    return this.#queueSnapshot();
  }

  #queueSnapshot(): QueueInfo {
    const capacity = this.capacity();
    const holders = [];
    const queue = [];
    let running = 0;
    for (const row of this.#db.active()) {
      const demand =
        row.demand === null
          ? demandOfRow()
          : (JSON.parse(row.demand) as ReturnType<typeof demandOf>);
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

  #row(name: string): JobRow {
    const row = this.#db.get(name);
    if (row === undefined) {
      throw new JobNotFoundError(name, this.description, suggestNames(name, this.#db.names()));
    }
    return row;
  }

  /**
   * Reads a job, recording its end first if it ended and nobody recorded it yet. A job that ends
   * frees resources, so the queue is served again (unless `admit` is false: admission's own
   * refreshes).
   */
  #refresh(name: string, admit = true): JobInfo {
    const row = this.#row(name);
    if (isSettled(row.status)) return jobInfoOf(row);
    const dir = this.#jobDir(name);
    if (row.status === 'PENDING') {
      // Admitted, but whoever started it died before recording its supervisor: adopt it.
      const supervisor = row.allocation === null ? undefined : readSupervisor(dir);
      if (supervisor === undefined) return jobInfoOf(row);
      this.#db.markStarted(name, supervisor.pid, supervisor.start, Date.now());
      return this.#refresh(name, admit);
    }
    const final = readFinal(dir);
    let info: JobInfo;
    if (final !== undefined) {
      info = this.#recordEnd(name, dir, final);
    } else {
      const attempt = readAttempt(dir, row.first_attempt);
      if (isSupervisorAlive(row)) {
        if (attempt !== row.attempt) this.#db.setAttempt(name, attempt);
        return jobInfoOf({ ...row, attempt });
      }
      info = this.#recordLost(name, dir, attempt, row);
    }
    if (admit) this.admitPending();
    return info;
  }

  #recordEnd(name: string, dir: string, final: NonNullable<ReturnType<typeof readFinal>>): JobInfo {
    const end = jobEndOf(dir, final);
    const outcome = classifyOutcome(end, readReporterFile(jobPaths.result(dir, final.attempt, 0)));
    const status =
      final.status === 'succeeded'
        ? 'SUCCEEDED'
        : final.status === 'cancelled'
          ? 'CANCELLED'
          : 'FAILED';
    this.#db.markTerminal(name, {
      status,
      endedAt: Date.now(),
      attempt: final.attempt,
      ...(end.status === 'failed' ? { reason: end.reason } : {}),
      outcome,
    });
    return jobInfoOf(this.#row(name));
  }

  #recordLost(name: string, dir: string, attempt: number, row: JobRow): JobInfo {
    // The supervisor may have written its record just before exiting: read again before judging.
    const final = readFinal(dir);
    if (final !== undefined) return this.#recordEnd(name, dir, final);
    const reason = `the job's supervising process (pid ${row.supervisor_pid ?? '?'}) exited without recording an outcome; it was probably killed`;
    const outcome: Outcome = { kind: 'failed', reason, attempt, logTail: [] };
    this.#db.markTerminal(name, {
      status: 'FAILED',
      endedAt: Date.now(),
      attempt,
      reason,
      outcome,
    });
    // Its ranks, still in the supervisor's process group, would otherwise run on unsupervised.
    if (row.supervisor_pid !== null) {
      void stopGroup(
        { pgid: row.supervisor_pid, leaderStart: row.supervisor_start },
        this.#graceMs,
      );
    }
    return jobInfoOf(this.#row(name));
  }

  /** The info of a job, with its queue position and reason while it waits. */
  #describe(
    info: JobInfo,
    waiting?: ReadonlyMap<string, { position: number; reason: string }>,
  ): JobInfo {
    if (info.status !== 'PENDING') return info;
    const why = (waiting ?? this.#waitingReasons()).get(info.name);
    return why === undefined
      ? { ...info, reason: 'starting' }
      : { ...info, reason: `queued #${why.position}: ${why.reason}` };
  }

  #waitingReasons(): ReadonlyMap<string, { position: number; reason: string }> {
    if (this.#reasons?.epoch !== this.#admissionEpoch) {
      const map = new Map(this.#queueSnapshot().waiting.map((entry) => [entry.name, entry]));
      this.#reasons = { epoch: this.#admissionEpoch, map };
    }
    return this.#reasons.map;
  }

  async get(name: string): Promise<JobInfo> {
    // A job this process just started reads as running once the launcher answered (a moment).
    await this.#startsAnswered();
    return this.#describe(this.#refresh(name));
  }

  async waitTerminal(name: string, options: BackendWaitOptions = {}): Promise<TerminalJobInfo> {
    const { signal, onUpdate } = options;
    signal?.throwIfAborted();
    await this.#startsAnswered();
    // An event may arrive while the state is being read: count them so the loop reads again.
    let events = 0;
    let wake: () => void = () => undefined;
    const listener = (): void => {
      events += 1;
      wake();
    };
    const unsubscribe = this.#hub.subscribe(name, listener);
    // While queued, any job's end may make room: admit on every job's event then.
    let unwatchQueue: (() => void) | undefined;
    try {
      let lastKey = '';
      for (;;) {
        const seen = events;
        let info = this.#refresh(name);
        if (info.status === 'PENDING') {
          unwatchQueue ??= this.#watchQueue();
          // Also on the once-a-second tick: a dead supervisor frees resources without an event.
          this.#requestAdmission();
          info = this.#describe(info);
        } else if (unwatchQueue !== undefined) {
          unwatchQueue();
          unwatchQueue = undefined;
        }
        const key = `${info.status}/${info.attempt}/${info.reason ?? ''}`;
        if (key !== lastKey) {
          lastKey = key;
          onUpdate?.(info);
        }
        if (isTerminal(info.status) && info.outcome !== undefined) return info as TerminalJobInfo;
        if (events !== seen) continue;
        await waitForWake(
          (next) => {
            wake = next;
          },
          { ms: LIVENESS_INTERVAL_MS, signal },
        );
      }
    } finally {
      unsubscribe();
      unwatchQueue?.();
    }
  }

  async list(options: { readonly limit?: number } = {}): Promise<JobInfo[]> {
    await this.#startsAnswered();
    const rows = this.#db.list(options.limit ?? -1);
    const infos = rows.map((row) =>
      isTerminal(row.status) ? jobInfoOf(row) : this.#refresh(row.name),
    );
    const waiting = infos.some((info) => info.status === 'PENDING')
      ? this.#waitingReasons()
      : undefined;
    return infos.map((info) => this.#describe(info, waiting));
  }

  /** How many jobs the store holds. */
  count(): number {
    return this.#db.count();
  }

  /** Every job name, for glob matching. */
  names(): string[] {
    return this.#db.names();
  }

  logs(name: string, options: BackendLogOptions = {}): AsyncIterable<string> {
    return followLog({
      exists: () => this.#row(name),
      dir: this.#jobDir(name),
      rank: options.rank ?? 0,
      follow: options.follow ?? false,
      ...(options.tail === undefined ? {} : { tail: options.tail }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      isDone: () => isTerminal(this.#refresh(name).status),
      subscribe: (listener) => this.#hub.subscribe(name, listener),
    });
  }

  /** Ends the supervisor (which stops the ranks) and whatever is left of the job's group. */
  async #stopProcesses(row: JobRow): Promise<void> {
    if (row.supervisor_pid === null) return;
    if (isSupervisorAlive(row)) {
      try {
        // The supervisor stops the ranks (SIGTERM, then SIGKILL after the grace period) and exits.
        process.kill(row.supervisor_pid, 'SIGTERM');
      } catch {
        // It ended meanwhile.
      }
      await waitUntil(() => !isSupervisorAlive(row), this.#graceMs + 2000);
    }
    await stopGroup({ pgid: row.supervisor_pid, leaderStart: row.supervisor_start }, 1000);
  }

  async cancel(name: string): Promise<void> {
    const info = this.#refresh(name);
    if (isTerminal(info.status)) return;
    const row = this.#row(name);
    const reason = 'the job was cancelled';
    this.#db.markTerminal(name, {
      status: 'CANCELLED',
      endedAt: Date.now(),
      attempt: info.attempt,
      reason,
      outcome: { kind: 'failed', reason, attempt: info.attempt, logTail: [] },
    });
    await this.#stopProcesses(row);
    this.#hub.emit(name);
    this.admitPending();
  }

  async stop(name: string): Promise<void> {
    const info = this.#refresh(name);
    if (info.status === 'STOPPED') return;
    if (isTerminal(info.status)) {
      throw new UsageError(
        `job ${name} has already ended (${info.status}); only a queued or running job can be stopped`,
      );
    }
    const row = this.#row(name);
    if (!this.#db.hold(name)) return this.stop(name);
    await this.#stopProcesses(row);
    this.#hub.emit(name);
    this.admitPending();
  }

  async start(name: string): Promise<void> {
    const row = this.#row(name);
    if (row.status !== 'STOPPED') return;
    const dir = this.#jobDir(name);
    const next = row.started_at === null ? row.first_attempt : readAttempt(dir, row.attempt) + 1;
    // The stopped run's records must not be read as this run's.
    rmSync(jobPaths.final(dir), { force: true });
    rmSync(jobPaths.attempt(dir), { force: true });
    rmSync(join(dir, 'supervisor'), { force: true });
    this.#db.release(name, next);
    this.#hub.emit(name);
    const waiting = this.admitPending();
    await this.#startsAnswered();
    if (waiting > 0 && this.#isQueued(name)) this.#agentSoon();
  }

  async remove(name: string): Promise<void> {
    await this.cancel(name);
    rmSync(this.#jobDir(name), { recursive: true, force: true });
    try {
      unlinkSync(join(this.#layout.events, name));
    } catch {
      // Never created.
    }
    this.#db.delete(name);
  }

  /** Runs SQLite's integrity check on the store. */
  integrityCheck(): string {
    return this.#db.integrityCheck();
  }

  async close(): Promise<void> {
    await this.#startsAnswered();
    if (this.#agentTimer !== undefined) this.#agentNow();
    this.#launcher.close();
    this.#hub.close();
    this.#store?.close();
    this.#store = undefined;
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

function demandOfRow(): ReturnType<typeof demandOf> {
  return { nodes: 1, cpus: 1, memory: 1, gpus: 0 };
}

function resourceSummary(spec: TaskSpec): string {
  const { cpus = 1, memory = 1, accelerators } = spec.resources;
  const parts = [`${cpus}CPU`, `${memory}GiB`];
  if (accelerators !== undefined) parts.push(`${accelerators.name}:${accelerators.count}`);
  return `${spec.numNodes}x(${parts.join(', ')})`;
}
