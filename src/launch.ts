/**
 * `launch()` and `getJob()`: the library's entry points.
 * @module
 */
import { type BackendChoice, resolveBackend } from './backends/resolve.js';
import { Job } from './job/job.js';
import { applyOverrides, type TaskOverrides } from './task/overrides.js';
import { Task } from './task/task.js';
import type { TaskSpec } from './task/types.js';

/** Options of {@link launch}. */
export interface LaunchOptions {
  /** Where to run. @default the user's default backend, else `'local'` */
  readonly backend?: BackendChoice;
  /**
   * Accepted for parity with the original. Jobs always outlive the launching process on every
   * backend, and `launch()` returns as soon as the job is submitted, so it changes nothing.
   */
  readonly detach?: boolean;
  /** The konduktor home of the local backend. @default $KONDUKTOR_HOME or ~/.konduktor */
  readonly home?: string;
  /**
   * Changes to the task, applied after it is validated and checked again with the same rules:
   * `{ name?, env?, envFile?, numNodes?, cpus?, memory?, gpus?, imageId?, maxRestarts? }` (see
   * {@link TaskOverrides}); `env` is a mapping `{ KEY: value }` or a list of `"KEY=VALUE"`.
   * Problems are reported as {@link TaskValidationError} issues named `overrides.<key>`.
   *
   * @example
   * ```ts
   * await launch(task, { overrides: { env: { LR: '0.01' }, gpus: 'H100:2', numNodes: 2 } });
   * ```
   */
  readonly overrides?: TaskOverrides;
}

/**
 * Validates a task and starts it as a job; returns its handle at once.
 *
 * @example
 * ```ts
 * const job = await launch(new Task({ name: 'trial', run: 'echo 1 > "$KONDUKTOR_OUTPUT_DIR/result.json"' }));
 * console.log(await job.result()); // 1
 * ```
 * @throws {TaskValidationError} when the task or an override is invalid (unknown keys included,
 *   with "did you mean"); nothing is launched.
 * @throws {BackendError} when the backend cannot be used.
 */
export async function launch(task: Task | TaskSpec, options: LaunchOptions = {}): Promise<Job> {
  // A plain TaskSpec is validated too: it comes from the caller, and the backends trust a spec
  // (names, `..` in mount paths, reserved variables), so nothing unvalidated may reach them.
  let spec = (task instanceof Task ? task : Task.fromSpec(task)).toSpec();
  if (options.overrides !== undefined) {
    spec = applyOverrides(spec, options.overrides, process.env, 'keys');
  }
  const backend = await resolveBackend(
    options.backend,
    options.home === undefined ? {} : { home: options.home },
  );
  const name = await backend.submit(spec);
  return new Job(name, backend);
}

/** Options of {@link getJob}. */
export interface GetJobOptions {
  readonly backend?: BackendChoice;
  readonly home?: string;
}

/**
 * Re-attaches to a job by name, from any process.
 * @throws {JobNotFoundError} when no such job exists.
 */
export async function getJob(name: string, options: GetJobOptions = {}): Promise<Job> {
  const backend = await resolveBackend(
    options.backend,
    options.home === undefined ? {} : { home: options.home },
  );
  await backend.get(name);
  return new Job(name, backend);
}
