/**
 * `launch()` and `getJob()`: the library's entry points.
 * @module
 */
import type { Backend } from './backends/backend.js';
import { type BackendChoice, resolveBackend } from './backends/resolve.js';
import { closestMatch } from './diagnostics/suggest.js';
import { UsageError } from './errors.js';
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
 * @throws {UsageError} when `options` has a key {@link LaunchOptions} does not (a misspelt
 *   `overrides` would otherwise be ignored).
 * @throws {BackendError} when the backend cannot be used.
 */
export async function launch(task: Task | TaskSpec, options: LaunchOptions = {}): Promise<Job> {
  checkOptionKeys('launch', options, Object.keys(LAUNCH_OPTION_KEYS));
  const spec = validatedSpec(task, options.overrides);
  const backend = await resolveBackend(
    options.backend,
    options.home === undefined ? {} : { home: options.home },
  );
  return submitTask(backend, spec);
}

/**
 * The spec to submit: the task validated, then the overrides applied and checked again.
 * @throws {TaskValidationError} when the task or an override is invalid.
 */
export function validatedSpec(task: Task | TaskSpec, overrides?: TaskOverrides): TaskSpec {
  // A plain TaskSpec is validated too: it comes from the caller, and the backends trust a spec
  // (names, `..` in mount paths, reserved variables), so nothing unvalidated may reach them.
  const spec = (task instanceof Task ? task : Task.fromSpec(task)).toSpec();
  return overrides === undefined ? spec : applyOverrides(spec, overrides, process.env, 'keys');
}

/** Submits a validated spec to a backend and returns the job's handle. */
export async function submitTask(backend: Backend, spec: TaskSpec): Promise<Job> {
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

// Typed against LaunchOptions, so that a new option without an entry fails to compile.
const LAUNCH_OPTION_KEYS: { readonly [K in keyof LaunchOptions]-?: true } = {
  backend: true,
  detach: true,
  home: true,
  overrides: true,
};

/**
 * Refuses keys of an options object that are not in `allowed` (a misspelt option would otherwise
 * be ignored), with "did you mean".
 * @throws {UsageError} naming every unknown key.
 */
export function checkOptionKeys(what: string, options: object, allowed: readonly string[]): void {
  const unknown = Object.keys(options).filter((key) => !allowed.includes(key));
  if (unknown.length === 0) return;
  const problems = unknown.map((key) => {
    const near = closestMatch(key, allowed);
    return near === undefined
      ? `unknown ${what} option '${key}' (the options are ${allowed.join(', ')})`
      : `unknown ${what} option '${key}'; did you mean '${near}'?`;
  });
  throw new UsageError(problems.join('; '));
}
