/**
 * The local backend: jobs run as process groups on this machine, supervised by a small static
 * program per job (no Node runtime per job), with state in an SQLite store under
 * `KONDUKTOR_HOME`. Jobs outlive the process that launched them; any konduktor process can wait
 * for them, read their results and record their end.
 *
 * This class is a façade over the queue ({@link LocalQueue}: capacity, admission, waiting
 * reasons, the agent) and the job lifecycle ({@link JobLifecycle}: creating jobs, recording their
 * ends, ending their processes).
 * @module
 */
import {
  isTerminal,
  type Backend,
  type BackendLogOptions,
  type BackendMetricsOptions,
  type BackendWaitOptions,
  type JobInfo,
  type TerminalJobInfo,
} from '../backend.js';
import { isS3Url, type TaskSpec } from '../../task/types.js';
import { TaskValidationError } from '../../errors.js';
import { waitUntilTerminal } from '../shared/wait.js';
import type { Capacity } from './admission.js';
import { demandOf } from './capacity.js';
import { LocalContext } from './context.js';
import {
  type FileIdentity,
  homeLayout,
  localDescription,
  prepareHome,
  resolveHome,
} from './home.js';
import { jobInfoOf } from './job-info.js';
import type { SupervisorKind } from './launcher.js';
import { JobLifecycle } from './lifecycle.js';
import { followLog } from './logs.js';
import { followMetrics } from './metrics.js';
import type { MetricPoint } from '../../metrics/line.js';
import { LocalQueue, type QueueInfo } from './queue.js';
import { GRACE_MS, LIVENESS_INTERVAL_MS } from './timing.js';

export type { QueueInfo } from './queue.js';

/** Options of {@link LocalBackend}. */
export interface LocalBackendOptions {
  /**
   * The konduktor home.
   * @default process.env.KONDUKTOR_HOME, else ~/.konduktor
   */
  readonly home?: string;
  /**
   * How long ranks get between SIGTERM and SIGKILL when a job is stopped, in milliseconds.
   * @default {@link GRACE_MS} (5000)
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
  /**
   * Serve only an existing home whose store is this very file (its identity when the admission
   * agent was started): nothing is created, not even the home's directories, and a store removed
   * or replaced meanwhile is refused with a `BackendError`. The admission agent runs so, so
   * that a home deleted under it is never brought back.
   * @internal
   */
  readonly existingStore?: FileIdentity;
}

/**
 * Refuses `s3://` file mounts: the local backend links local paths and fetches nothing.
 * @throws {TaskValidationError} naming every such mount.
 */
function refuseObjectMounts(spec: TaskSpec): void {
  const issues = Object.entries(spec.fileMounts)
    .filter(([, source]) => isS3Url(source))
    .map(([remote]) => ({
      path: `file_mounts.${remote}`,
      message:
        's3:// sources are fetched in the pod on the kubernetes backend; on the local backend mount a local copy',
    }));
  if (issues.length > 0) throw new TaskValidationError(issues);
}

/** The embedded default backend. See the module documentation. */
export class LocalBackend implements Backend {
  readonly kind = 'local' as const;
  readonly description: string;
  readonly #ctx: LocalContext;
  readonly #jobs: JobLifecycle;
  readonly #queue: LocalQueue;

  constructor(options: LocalBackendOptions = {}) {
    const root = resolveHome(options.home);
    const layout = options.existingStore === undefined ? prepareHome(root) : homeLayout(root);
    this.description = localDescription(layout.root);
    this.#ctx = new LocalContext({
      layout,
      graceMs: options.graceMs ?? GRACE_MS,
      description: this.description,
      supervisor: options.supervisor,
      existingStore: options.existingStore,
    });
    this.#jobs = new JobLifecycle(this.#ctx, () => this.#queue.admitPending());
    this.#queue = new LocalQueue(this.#ctx, this.#jobs, options.capacity);
  }

  /** The home directory in use. */
  get home(): string {
    return this.#ctx.layout.root;
  }

  /** The capacity admission shares out. */
  capacity(): Capacity {
    return this.#queue.capacity();
  }

  // async: every failure reaches the caller as a rejected promise, never a synchronous throw.
  async submit(spec: TaskSpec): Promise<string> {
    refuseObjectMounts(spec);
    const demand = demandOf(spec);
    this.#queue.refuseNeverFitting(demand);
    const name = this.#jobs.create(spec, demand);
    this.#queue.afterQueued(name);
    return name;
  }

  async dryRun(spec: TaskSpec): Promise<unknown> {
    refuseObjectMounts(spec);
    const demand = demandOf(spec);
    this.#queue.refuseNeverFitting(demand);
    return {
      backend: 'local',
      home: this.#ctx.layout.root,
      task: spec,
      demand,
      capacity: this.capacity(),
    };
  }

  /**
   * Refreshes the jobs that hold resources, then starts the queued jobs that fit, in queue order.
   * @returns how many jobs still wait.
   */
  admitPending(): number {
    return this.#queue.admitPending();
  }

  /** Runs this process as the admission agent of its home until the queue is empty. */
  runAgent(options: { readonly idleMs?: number } = {}): Promise<void> {
    return this.#queue.runAgent(options);
  }

  /** The capacity, what is in use, and the queue in order with why each job waits. */
  queue(): QueueInfo {
    this.#queue.admitPending();
    return this.#queue.snapshot();
  }

  async get(name: string): Promise<JobInfo> {
    // A job this process just started reads as running once the launcher answered (a moment).
    await this.#queue.startsAnswered();
    return this.#queue.describe(this.#jobs.refresh(name));
  }

  async waitTerminal(name: string, options: BackendWaitOptions = {}): Promise<TerminalJobInfo> {
    options.signal?.throwIfAborted();
    await this.#queue.startsAnswered();
    // While queued, any job's end may make room: admit on every job's event then.
    let unwatchQueue: (() => void) | undefined;
    try {
      return await waitUntilTerminal(
        {
          subscribe: (listener) => this.#ctx.hub.subscribe(name, listener),
          read: () => {
            const info = this.#jobs.refresh(name);
            if (info.status === 'PENDING') {
              unwatchQueue ??= this.#queue.watch();
              // Also on the once-a-second tick: a dead supervisor frees resources without an event.
              this.#queue.requestAdmission();
              return Promise.resolve(this.#queue.describe(info));
            }
            unwatchQueue?.();
            unwatchQueue = undefined;
            return Promise.resolve(info);
          },
          idleMs: LIVENESS_INTERVAL_MS,
        },
        options,
      );
    } finally {
      unwatchQueue?.();
    }
  }

  async list(options: { readonly limit?: number } = {}): Promise<JobInfo[]> {
    await this.#queue.startsAnswered();
    const rows = this.#ctx.db.list(options.limit ?? -1);
    const infos = rows.map((row) =>
      isTerminal(row.status) ? jobInfoOf(row) : this.#jobs.refresh(row.name),
    );
    const waiting = infos.some((info) => info.status === 'PENDING')
      ? this.#queue.waitingReasons()
      : undefined;
    return infos.map((info) => this.#queue.describe(info, waiting));
  }

  /** How many jobs the store holds. */
  count(): number {
    return this.#ctx.db.count();
  }

  /** Every job name, for glob matching. */
  names(): string[] {
    return this.#ctx.db.names();
  }

  logs(name: string, options: BackendLogOptions = {}): AsyncIterable<string> {
    return followLog({
      name,
      dir: this.#ctx.jobDir(name),
      rank: options.rank ?? 0,
      follow: options.follow ?? false,
      ...(options.attempt === undefined ? {} : { attempt: options.attempt }),
      ...(options.tail === undefined ? {} : { tail: options.tail }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      state: () => this.#jobs.refresh(name),
      subscribe: (listener) => this.#ctx.hub.subscribe(name, listener),
    });
  }

  metrics(name: string, options: BackendMetricsOptions = {}): AsyncIterable<MetricPoint> {
    return followMetrics({
      name,
      dir: this.#ctx.jobDir(name),
      follow: options.follow ?? false,
      ...(options.attempt === undefined ? {} : { attempt: options.attempt }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.onWarning === undefined ? {} : { onWarning: options.onWarning }),
      state: () => this.#jobs.refresh(name),
      subscribe: (listener) => this.#ctx.hub.subscribe(name, listener),
    });
  }

  async cancel(name: string): Promise<void> {
    if (await this.#jobs.cancel(name)) this.#queue.admitPending();
  }

  async stop(name: string): Promise<void> {
    if (await this.#jobs.hold(name)) this.#queue.admitPending();
  }

  async start(name: string): Promise<void> {
    if (!this.#jobs.release(name)) return;
    this.#queue.afterQueued(name);
    await this.#queue.startsAnswered();
  }

  async remove(name: string): Promise<void> {
    await this.cancel(name);
    this.#jobs.forget(name);
  }

  /** Runs SQLite's integrity check on the store. */
  integrityCheck(): string {
    return this.#ctx.db.integrityCheck();
  }

  #closed = false;

  /** True once {@link LocalBackend.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue.close();
    this.#ctx.close();
  }
}
