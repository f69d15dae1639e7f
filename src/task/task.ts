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
import { objectKeyIssues, toObjectPath } from './object-keys.js';
import { validateTask } from './validate.js';

// The options exactly as the caller gave them, for Task.toSpec's check of their keys (a Task
// cannot read the private fields of its Resources).
const RAW_OPTIONS = new WeakMap<Task | Resources, unknown>();

function isPlainObject(value: unknown): value is Record<PropertyKey, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

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

  /**
   * @param options - the camelCase keys of {@link ResourcesOptions} only; any other key (the YAML
   *   spellings `image_id`, `max_restarts` included) is refused by {@link Task.toSpec} with a
   *   suggestion.
   */
  constructor(options: ResourcesOptions = {}) {
    RAW_OPTIONS.set(this, options);
    const given: ResourcesOptions = isPlainObject(options) ? options : {};
    this.#options = { ...given, ...(given.labels ? { labels: { ...given.labels } } : {}) };
  }

  /** Builds resources from a validated {@link ResourcesSpec}. */
  static fromSpec(spec: ResourcesSpec): Resources {
    // A spec may come from JavaScript unchecked: what it holds besides the fields of a spec is
    // passed on, for Task.toSpec to refuse by name.
    const raw: unknown = spec;
    if (!isPlainObject(raw)) return new Resources(raw as ResourcesOptions);
    const { accelerators, ...rest } = raw;
    const given = rest as ResourcesOptions;
    if (accelerators === undefined) return new Resources(given);
    const text = isPlainObject(accelerators)
      ? `${String(accelerators.name)}:${String(accelerators.count)}`
      : (accelerators as string);
    return new Resources({ ...given, accelerators: text });
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

  /**
   * @param options - the camelCase keys of {@link TaskOptions} only; any other key (the YAML
   *   spellings `num_nodes`, `file_mounts` included) is refused by {@link Task.toSpec} with a
   *   suggestion, as unknown keys of a task file are.
   */
  constructor(options: TaskOptions) {
    RAW_OPTIONS.set(this, options);
    const given = (isPlainObject(options) ? options : {}) as TaskOptions;
    this.#options = {
      ...given,
      ...(given.envs ? { envs: { ...given.envs } } : {}),
      ...(given.fileMounts ? { fileMounts: { ...given.fileMounts } } : {}),
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
    // As Resources.fromSpec: unknown keys travel on to Task.toSpec, which refuses them by name.
    const raw: unknown = spec;
    if (!isPlainObject(raw)) return new Task(raw as TaskOptions);
    const { resources, ...rest } = raw;
    const task = new Task(rest as unknown as TaskOptions);
    return resources === undefined
      ? task
      : task.setResources(Resources.fromSpec(resources as ResourcesSpec));
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
   * @throws {@link TaskValidationError} listing every problem with the rules and messages of task
   *   files: unknown keys of the options (with "did you mean"), then bad values. Paths use this
   *   API's names (`numNodes`, `resources.imageId`), and there are no line numbers.
   *
   * @example
   * ```ts
   * new Task({ name: 'Bad_Name', run: '' }).toSpec();
   * // TaskValidationError: invalid task (2 problems):
   * //   name: "Bad_Name" is not a valid name: …; did you mean 'bad-name'?
   * //   run: is empty; give the bash script to run on every node
   * new Task({ name: 'a', run: 'b', num_nodes: 2 } as TaskOptions).toSpec();
   * //   num_nodes: unknown field 'num_nodes'; did you mean 'numNodes'?
   * ```
   */
  toSpec(): TaskSpec {
    const keys = objectKeyIssues(
      RAW_OPTIONS.get(this),
      this.#resources === undefined ? undefined : RAW_OPTIONS.get(this.#resources),
    );
    const input = this.toYamlInput();
    const result = validateTask(input, process.cwd());
    if (result.ok && keys.issues.length === 0) return result.spec;
    const values = (result.ok ? [] : result.issues)
      .map((issue) => ({ ...issue, objectPath: toObjectPath(issue.path) }))
      // `nmae: 'x'` is one mistake: the unknown key says it, "missing name" would say it again.
      .filter(
        (issue) =>
          !keys.suggested.has(issue.objectPath.join('.')) ||
          valueAt(input, issue.path) !== undefined,
      );
    throw new TaskValidationError([
      ...keys.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
      ...values.map((issue) => ({ path: formatPath(issue.objectPath), message: issue.message })),
    ]);
  }
}

function valueAt(input: unknown, path: readonly PathSegment[]): unknown {
  let node = input;
  for (const segment of path) {
    if (!isPlainObject(node)) return undefined;
    node = node[segment];
  }
  return node;
}
