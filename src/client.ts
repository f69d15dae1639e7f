/**
 * The explicit client: `createKonduktor({ backend, home, context, namespace })` gives
 * `{ launch, getJob, sweep, close }` over backends it owns, as Temporal's `Client` over its
 * `Connection`. The top-level `launch()`, `getJob()` and `sweep()` are the same operations over
 * the process's default backends; use a client to choose a Kubernetes context or namespace, or to
 * release watchers and informers when done.
 *
 * @example
 * ```ts
 * import { createKonduktor, Task } from 'konduktor';
 *
 * const konduktor = createKonduktor({ backend: 'kubernetes', context: 'gpu-cluster', namespace: 'ml' });
 * try {
 *   const job = await konduktor.launch(new Task({ name: 'trial', run: 'python train.py' }));
 *   console.log(await job.result({ timeout: '2h' }));
 * } finally {
 *   await konduktor.close(); // the jobs keep running; only this process's watchers end
 * }
 * ```
 * @module
 */
import type { Backend } from './backends/backend.js';
import { type BackendChoice, type BackendOptions, BackendPool } from './backends/resolve.js';
import { UsageError } from './errors.js';
import { Job } from './job/job.js';
import { checkOptionKeys, submitTask, validatedSpec } from './launch.js';
import type { SweepDefinition } from './sweep/load.js';
import type { SweepOptions, SweepResult } from './sweep/run.js';
import type { SweepSpec } from './sweep/schema.js';
import type { TaskOverrides } from './task/overrides.js';
import type { Task } from './task/task.js';
import type { TaskSpec } from './task/types.js';

/** Options of {@link createKonduktor}: where the client's jobs run. */
export interface KonduktorOptions extends BackendOptions {
  /**
   * `'local'`, `'kubernetes'`, or a backend instance (which stays the caller's to close).
   * @default $KONDUKTOR_BACKEND, else `backend:` in config.yaml, else `'local'`
   */
  readonly backend?: BackendChoice | undefined;
}

/** Options of {@link Konduktor.launch}. */
export interface ClientLaunchOptions {
  /** Changes to the task, checked like the task itself (see `LaunchOptions.overrides`). */
  readonly overrides?: TaskOverrides;
}

/** Options of {@link Konduktor.sweep}: those of `sweep()` except where trials run. */
export type ClientSweepOptions = Omit<SweepOptions, 'backend' | 'home'>;

/** A konduktor client: launches and finds jobs on one backend, and owns that backend. */
export interface Konduktor {
  /**
   * Validates a task and starts it as a job; returns its handle at once.
   * @throws {TaskValidationError} when the task or an override is invalid; nothing is launched.
   * @throws {StateConflictError} when the client was closed.
   * @throws {UsageError} when an option is unknown.
   * @throws {BackendError} when the backend cannot be used.
   */
  launch(task: Task | TaskSpec, options?: ClientLaunchOptions): Promise<Job>;
  /**
   * Re-attaches to a job by name.
   * @throws {JobNotFoundError} when no such job exists.
   */
  getJob(name: string): Promise<Job>;
  /** Runs a sweep whose trials run on this client's backend (see `sweep()`). */
  sweep(
    definition: string | SweepDefinition | SweepSpec,
    options?: ClientSweepOptions,
  ): Promise<SweepResult>;
  /**
   * The client's backend, made on first use; made again if its user closed it.
   * @throws {BackendError} when it cannot be made (no cluster, no JobSet CRD).
   */
  backend(): Promise<Backend>;
  /**
   * Closes the backends the client made (watchers, informers, the store); a backend instance it
   * was given is left open. Jobs are not touched. Later calls throw `StateConflictError`.
   */
  close(): Promise<void>;
}

// Typed against KonduktorOptions, so that a new option without an entry fails to compile.
const CLIENT_OPTION_KEYS: { readonly [K in keyof KonduktorOptions]-?: true } = {
  backend: true,
  home: true,
  context: true,
  namespace: true,
  kubeconfig: true,
};

/**
 * Creates a client over a backend of its own. Nothing connects until the first call.
 * @throws {UsageError} when `options` has a key {@link KonduktorOptions} does not.
 */
export function createKonduktor(options: KonduktorOptions = {}): Konduktor {
  checkOptionKeys('konduktor', options, Object.keys(CLIENT_OPTION_KEYS));
  const { backend: choice, ...backendOptions } = options;
  const pool = new BackendPool();
  const backend = (): Promise<Backend> => pool.get(choice, backendOptions);
  return {
    backend,
    async launch(task, launchOptions = {}) {
      checkOptionKeys('launch', launchOptions, ['overrides']);
      const spec = validatedSpec(task, launchOptions.overrides);
      return submitTask(await backend(), spec);
    },
    async getJob(name) {
      const b = await backend();
      await b.get(name);
      return new Job(name, b);
    },
    async sweep(definition, sweepOptions = {}) {
      // Loaded on use: a client that only launches never loads the sweep engine.
      const { sweep } = await import('./sweep/run.js');
      const forbidden = ['backend', 'home'].filter((key) => key in sweepOptions);
      if (forbidden.length > 0) {
        throw new UsageError(
          `a client's sweep runs on the client's backend: drop ${forbidden.join(', ')}, or create another client`,
        );
      }
      return sweep(definition, {
        ...sweepOptions,
        backend: await backend(),
        ...(options.home === undefined ? {} : { home: options.home }),
      });
    },
    close: () => pool.close(),
  };
}
