/**
 * The object API for tasks: {@link Task} and {@link Resources}, validated by the same rules as task
 * YAML.
 *
 * @example
 * ```ts
 * import { Task, Resources } from 'konduktor';
 *
 * const task = new Task({
 *   name: 'sweep-trial-0',
 *   run: `echo '{"val_loss": 0.42}' > "$KONDUKTOR_OUTPUT_DIR/result.json"`,
 * });
 * task.setResources(new Resources({ cpus: 1, memory: 2, imageId: 'ubuntu' }));
 * const spec = task.toSpec(); // throws TaskValidationError when something is wrong
 * ```
 * @module
 */
import { statSync } from 'node:fs';
import { TaskValidationError } from '../errors.js';
import { loadTaskFile, parseTaskYaml } from './load.js';
import type { ResourcesSpec, TaskSpec } from './types.js';
import { formatPath } from '../diagnostics/issue.js';
import type { PathSegment } from '../diagnostics/issue.js';
import { validateTask } from './validate.js';

/** Options of {@link Resources}: the camelCase form of the YAML `resources` block. */
export interface ResourcesOptions {
  /** CPUs per node, greater than 0 (`0.5` = 500m). */
  readonly cpus?: number | undefined;
  /** Memory per node in GiB, greater than 0. */
  readonly memory?: number | undefined;
  /** `NAME` or `NAME:COUNT`, e.g. `H100:8`. */
  readonly accelerators?: string | undefined;
  /** Container image; required on Kubernetes. */
  readonly imageId?: string | undefined;
  /** Labels put on the JobSet, e.g. `{ 'kueue.x-k8s.io/queue-name': 'user-queue' }`. */
  readonly labels?: Readonly<Record<string, string>> | undefined;
  /**
   * How many times the whole job is restarted after a failure.
   * @default 0
   */
  readonly maxRestarts?: number | undefined;
  /**
   * Queue priority on the local backend (higher first).
   * @default 0
   */
  readonly priority?: number | undefined;
}

/**
 * The resources of each node of a task. Values are checked when the task is validated
 * ({@link Task.toSpec}), not here, so every problem is reported at once.
 *
 * @example
 * ```ts
 * const resources = new Resources({ cpus: 4, memory: 16, accelerators: 'H100:8', imageId: 'nvcr.io/nvidia/pytorch:24.01-py3' });
 * resources.accelerators; // 'H100:8'
 * ```
 */
export class Resources {
  readonly #options: ResourcesOptions;

  constructor(options: ResourcesOptions = {}) {
    this.#options = { ...options, ...(options.labels ? { labels: { ...options.labels } } : {}) };
  }

  /** Builds resources from a validated {@link ResourcesSpec}. */
  static fromSpec(spec: ResourcesSpec): Resources {
    return new Resources({
      cpus: spec.cpus,
      memory: spec.memory,
      accelerators:
        spec.accelerators === undefined
          ? undefined
          : `${spec.accelerators.name}:${spec.accelerators.count}`,
      imageId: spec.imageId,
      labels: spec.labels,
      maxRestarts: spec.maxRestarts,
      priority: spec.priority,
    });
  }

  /** CPUs per node, if set. */
  get cpus(): number | undefined {
    return this.#options.cpus;
  }

  /** Memory per node in GiB, if set. */
  get memory(): number | undefined {
    return this.#options.memory;
  }

  /** The accelerator request as given (`NAME` or `NAME:COUNT`), if set. */
  get accelerators(): string | undefined {
    return this.#options.accelerators;
  }

  /** The container image, if set. */
  get imageId(): string | undefined {
    return this.#options.imageId;
  }

  /** The JobSet labels (empty when none were given). */
  get labels(): Readonly<Record<string, string>> {
    return { ...this.#options.labels };
  }

  /** The number of restarts after a failure, if set (the default is 0). */
  get maxRestarts(): number | undefined {
    return this.#options.maxRestarts;
  }

  /** The queue priority, if set. */
  get priority(): number | undefined {
    return this.#options.priority;
  }

  /** The YAML form, for validation by the task schema. */
  toYamlInput(): Record<string, unknown> {
    const o = this.#options;
    const out: Record<string, unknown> = {};
    if (o.cpus !== undefined) out.cpus = o.cpus;
    if (o.memory !== undefined) out.memory = o.memory;
    if (o.accelerators !== undefined) out.accelerators = o.accelerators;
    if (o.imageId !== undefined) out.image_id = o.imageId;
    if (o.labels !== undefined) out.labels = { ...o.labels };
    if (o.maxRestarts !== undefined || o.priority !== undefined) {
      out.job_config = {
        ...(o.maxRestarts === undefined ? {} : { max_restarts: o.maxRestarts }),
        ...(o.priority === undefined ? {} : { priority: o.priority }),
      };
    }
    return out;
  }
}

/** Options of {@link Task}: the camelCase form of the task YAML, without `resources`. */
export interface TaskOptions {
  /** The job name prefix: lower-case letters, digits and `-`, starting with a letter, ≤ 40 characters. */
  readonly name: string;
  /** The bash script run on every node. */
  readonly run: string;
  /** A bash script run before `run` on every node. */
  readonly setup?: string | undefined;
  /** Environment variables; numbers and booleans become strings. Reserved names are refused. */
  readonly envs?: Readonly<Record<string, string | number | boolean>> | undefined;
  /** A local directory the job runs in; relative paths are resolved against `process.cwd()`. */
  readonly workdir?: string | undefined;
  /**
   * The number of nodes (ranks).
   * @default 1
   */
  readonly numNodes?: number | undefined;
  /** `{ remote_path: local_path }`; local paths must exist. */
  readonly fileMounts?: Readonly<Record<string, string>> | undefined;
}

// The object API names some fields differently from the YAML; issues use the object API's names.
const CAMEL_PATHS: Readonly<Record<string, readonly string[]>> = {
  num_nodes: ['numNodes'],
  file_mounts: ['fileMounts'],
  'resources.image_id': ['resources', 'imageId'],
  'resources.job_config': ['resources'],
  'resources.job_config.max_restarts': ['resources', 'maxRestarts'],
  'resources.job_config.priority': ['resources', 'priority'],
};

function toCamelPath(path: readonly PathSegment[]): readonly PathSegment[] {
  for (let n = Math.min(path.length, 3); n > 0; n--) {
    const mapped = CAMEL_PATHS[path.slice(0, n).join('.')];
    if (mapped !== undefined) return [...mapped, ...path.slice(n)];
  }
  return path;
}

function isExistingFile(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch {
    return false;
  }
}

/**
 * A task built in code. It is validated by {@link Task.toSpec} (which `launch` calls) with the
 * same rules as task YAML.
 *
 * @example
 * ```ts
 * const task = new Task({ name: 'eval', run: 'python eval.py', envs: { SPLIT: 'test' } })
 *   .setResources(new Resources({ cpus: 2, memory: 4 }));
 * const job = await launch(task);
 * ```
 */
export class Task {
  readonly #options: TaskOptions;
  #resources: Resources | undefined;

  constructor(options: TaskOptions) {
    this.#options = {
      ...options,
      ...(options.envs ? { envs: { ...options.envs } } : {}),
      ...(options.fileMounts ? { fileMounts: { ...options.fileMounts } } : {}),
    };
  }

  /**
   * Reads a task from a YAML file or from YAML text. A string that names an existing file is read
   * as a file; otherwise a string containing a newline or `:` is YAML text (relative paths in it
   * are resolved against `process.cwd()`); anything else is a path.
   *
   * @throws {@link TaskValidationError} listing every problem with `file:line:col`.
   *
   * @example
   * ```ts
   * const a = Task.fromYaml('tasks/train.yaml');
   * const b = Task.fromYaml('name: hello\nrun: echo hi\n');
   * ```
   */
  static fromYaml(pathOrText: string): Task {
    if (isExistingFile(pathOrText)) return Task.fromSpec(loadTaskFile(pathOrText));
    if (pathOrText.includes('\n') || pathOrText.includes(':')) {
      return Task.fromSpec(parseTaskYaml(pathOrText));
    }
    return Task.fromSpec(loadTaskFile(pathOrText));
  }

  /** Builds a task from a validated {@link TaskSpec}. */
  static fromSpec(spec: TaskSpec): Task {
    return new Task({
      name: spec.name,
      run: spec.run,
      setup: spec.setup,
      envs: spec.envs,
      workdir: spec.workdir,
      numNodes: spec.numNodes,
      fileMounts: spec.fileMounts,
    }).setResources(Resources.fromSpec(spec.resources));
  }

  /** The job name prefix. */
  get name(): string {
    return this.#options.name;
  }

  /** The bash script run on every node. */
  get run(): string {
    return this.#options.run;
  }

  /** The bash script run before `run`, if any. */
  get setup(): string | undefined {
    return this.#options.setup;
  }

  /** The environment variables as given (empty when none were). */
  get envs(): Readonly<Record<string, string | number | boolean>> {
    return { ...this.#options.envs };
  }

  /** The working directory as given, if any. */
  get workdir(): string | undefined {
    return this.#options.workdir;
  }

  /** The number of nodes (1 unless given). */
  get numNodes(): number {
    return this.#options.numNodes ?? 1;
  }

  /** The file mounts as given, `{ remote_path: local_path }`. */
  get fileMounts(): Readonly<Record<string, string>> {
    return { ...this.#options.fileMounts };
  }

  /** The resources, if set. */
  get resources(): Resources | undefined {
    return this.#resources;
  }

  /**
   * Sets the resources of each node, replacing any set before.
   *
   * @returns this task, for chaining.
   */
  setResources(resources: Resources): this {
    this.#resources = resources;
    return this;
  }

  /** The YAML form of this task, for validation by the task schema. */
  toYamlInput(): Record<string, unknown> {
    const o = this.#options;
    const input: Record<string, unknown> = { name: o.name, run: o.run };
    if (o.setup !== undefined) input.setup = o.setup;
    if (o.envs !== undefined) input.envs = { ...o.envs };
    if (o.workdir !== undefined) input.workdir = o.workdir;
    if (o.numNodes !== undefined) input.num_nodes = o.numNodes;
    if (this.#resources !== undefined) input.resources = this.#resources.toYamlInput();
    if (o.fileMounts !== undefined) input.file_mounts = { ...o.fileMounts };
    return input;
  }

  /**
   * Validates the task and returns its plain form, with absolute paths.
   *
   * @throws {@link TaskValidationError} listing every problem; paths use this API's names
   *   (`numNodes`, `resources.imageId`), and there are no line numbers.
   *
   * @example
   * ```ts
   * new Task({ name: 'Bad_Name', run: '' }).toSpec();
   * // TaskValidationError: invalid task (2 problems):
   * //   name: "Bad_Name" is not a valid name: …; did you mean 'bad-name'?
   * //   run: is empty; give the bash script to run on every node
   * ```
   */
  toSpec(): TaskSpec {
    const result = validateTask(this.toYamlInput(), process.cwd());
    if (result.ok) return result.spec;
    throw new TaskValidationError(
      result.issues.map((issue) => ({
        path: formatPath(toCamelPath(issue.path)),
        message: issue.message,
      })),
    );
  }
}
