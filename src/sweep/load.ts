/**
 * Reading sweeps: a YAML file (every problem reported at once with `file:line:col`, like task
 * files) or an object built in code, both turned into a validated {@link SweepSpec}.
 *
 * @example
 * ```ts
 * const spec = loadSweepFile('examples/sweep-branin.yaml');
 * const same = resolveSweep({
 *   name: 'branin',
 *   task: 'branin-task.yaml',
 *   parameters: { x1: { type: 'uniform', low: -5, high: 10 }, x2: { type: 'uniform', low: 0, high: 15 } },
 *   objective: 'value',
 *   trials: 30,
 * }, { baseDir: 'examples' });
 * ```
 * @module
 */
import { basename, dirname, extname, resolve } from 'node:path';
import { formatPath, sortIssues, type Diagnostic, type PathSegment } from '../diagnostics/issue.js';
import { parseYamlDocument, readDocumentFile } from '../diagnostics/yaml.js';
import { fieldGuide, fromZodIssues, readableError, unknownKey } from '../diagnostics/zod.js';
import type { FieldGuide } from '../diagnostics/zod.js';
import { TaskValidationError, type TaskIssue } from '../errors.js';
import { parseDuration } from '../job/duration.js';
import { loadTaskFile } from '../task/load.js';
import { ENV_NAME_PATTERN } from '../task/schema.js';
import { Task } from '../task/task.js';
import { RESERVED_ENV_NAMES, type TaskSpec } from '../task/types.js';
import { validateTask } from '../task/validate.js';
import type { PrunerSpec } from './pruner.js';
import type { SamplerSpec } from './sampler.js';
import {
  parametersProblems,
  SweepSchema,
  type SweepParam,
  type SweepSpec,
  type SweepYaml,
} from './schema.js';
import { gridSize, type ParamSpec } from './space.js';

/** The sampler part of a {@link SweepDefinition}. */
export type SamplerDefinition =
  | 'grid'
  | 'random'
  | 'tpe'
  | { readonly type: 'grid' | 'random' }
  | {
      readonly type: 'tpe';
      readonly nStartupTrials?: number;
      readonly nCandidates?: number;
      readonly gamma?: number;
      readonly priorWeight?: number;
    };

/** The pruner part of a {@link SweepDefinition} (see the sweep file's `pruner`). */
export type PrunerDefinition =
  | {
      readonly type: 'median';
      /** @default 5 */
      readonly nStartupTrials?: number;
      /** @default 0 */
      readonly nWarmupSteps?: number;
      /** @default 1 */
      readonly intervalSteps?: number;
    }
  | {
      readonly type: 'asha';
      /** @default 1 */
      readonly minResource?: number;
      /** @default 3 */
      readonly reductionFactor?: number;
    };

/**
 * A sweep as an object for {@link sweep}: the YAML fields in camelCase, and the task as a path, a
 * {@link Task}, a validated `TaskSpec` or an inline task in YAML form.
 */
export interface SweepDefinition {
  readonly name: string;
  readonly task: string | Task | TaskSpec | Readonly<Record<string, unknown>>;
  readonly parameters: Readonly<Record<string, ParamSpec & { readonly env?: string }>>;
  readonly objective: string;
  /** @default 'minimize' */
  readonly direction?: 'minimize' | 'maximize';
  /** @default 20 (grid sampler: the grid's size) */
  readonly trials?: number;
  /** @default 1 */
  readonly parallelism?: number;
  /** @default 'tpe' */
  readonly sampler?: SamplerDefinition;
  /** @default 0 */
  readonly seed?: number;
  /** @default max(5, ceil(trials / 10)) */
  readonly maxFailures?: number;
  /** Stops bad trials early on their metric lines. @default none */
  readonly pruner?: PrunerDefinition;
  /** Milliseconds or a duration string. */
  readonly trialTimeout?: number | string;
  readonly outputDir?: string;
}

/** Options of {@link parseSweepYaml}. */
export interface ParseSweepOptions {
  /** The file the text came from, named in every issue and the default sweep name. */
  readonly file?: string;
  /** What relative paths are resolved against. @default process.cwd() */
  readonly baseDir?: string;
}

type RawIssue = Diagnostic;

type Built =
  { ok: true; spec: SweepSpec } | { ok: false; issues: RawIssue[]; external: TaskIssue[] };

// What "did you mean" knows about sweep files: the fields, read from the schema.
const SWEEP_GUIDE = fieldGuide(SweepSchema);

function defaultEnvName(param: string): string {
  return param.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
}

function prunerOf(pruner: NonNullable<SweepYaml['pruner']>): PrunerSpec {
  return pruner.type === 'median'
    ? {
        type: 'median',
        nStartupTrials: pruner.n_startup_trials ?? 5,
        nWarmupSteps: pruner.n_warmup_steps ?? 0,
        intervalSteps: pruner.interval_steps ?? 1,
      }
    : {
        type: 'asha',
        minResource: pruner.min_resource ?? 1,
        reductionFactor: pruner.reduction_factor ?? 3,
      };
}

function samplerOf(sampler: SweepYaml['sampler']): SamplerSpec {
  if (sampler === undefined) return { type: 'tpe' };
  if (typeof sampler === 'string') return { type: sampler };
  if (sampler.type !== 'tpe') return { type: sampler.type };
  return {
    type: 'tpe',
    ...(sampler.n_startup_trials === undefined ? {} : { nStartupTrials: sampler.n_startup_trials }),
    ...(sampler.n_candidates === undefined ? {} : { nCandidates: sampler.n_candidates }),
    ...(sampler.gamma === undefined ? {} : { gamma: sampler.gamma }),
    ...(sampler.prior_weight === undefined ? {} : { priorWeight: sampler.prior_weight }),
  };
}

function isTaskSpec(value: unknown): value is TaskSpec {
  return (
    typeof value === 'object' && value !== null && 'numNodes' in value && 'fileMounts' in value
  );
}

/** Turns sweep input in YAML form into a spec, collecting every problem. */
function build(input: unknown, baseDir: string, defaultName: string | undefined): Built {
  const issues: RawIssue[] = [];
  const external: TaskIssue[] = [];
  const rawTask = (input as { task?: unknown } | null)?.task;
  // The task is validated on its own below (it may be a Task or a TaskSpec), and even when the
  // rest is invalid, so that every problem is reported at once.
  const parsed = SweepSchema.safeParse(
    typeof rawTask === 'object' && rawTask !== null && !Array.isArray(rawTask)
      ? { ...(input as object), task: {} }
      : input,
    { error: readableError },
  );
  let task: TaskSpec | undefined;
  if (rawTask instanceof Task) {
    try {
      task = rawTask.toSpec();
    } catch (err) {
      if (!(err instanceof TaskValidationError)) throw err;
      external.push(
        ...err.issues.map((i) => ({ ...i, path: i.path === '' ? 'task' : `task.${i.path}` })),
      );
    }
  } else if (isTaskSpec(rawTask)) {
    task = rawTask;
  } else if (typeof rawTask === 'string' && rawTask !== '') {
    try {
      task = loadTaskFile(resolve(baseDir, rawTask));
    } catch (err) {
      if (!(err instanceof TaskValidationError)) throw err;
      external.push(...err.issues);
    }
  } else if (typeof rawTask === 'object' && rawTask !== null && !Array.isArray(rawTask)) {
    const checked = validateTask(rawTask, baseDir);
    if (checked.ok) task = checked.spec;
    else issues.push(...checked.issues.map((i) => ({ ...i, path: ['task', ...i.path] })));
  }
  if (!parsed.success) {
    issues.push(...fromZodIssues(parsed.error.issues, input, SWEEP_GUIDE));
  }
  issues.push(...parametersProblems(input));
  if (!parsed.success || task === undefined) return { ok: false, issues, external };

  const data = parsed.data;
  const name = data.name ?? defaultName;
  if (name === undefined) {
    issues.push({
      path: ['name'],
      message: "missing 'name': the sweep's name (lower-case letters, digits, '-')",
      at: 'key',
    });
  }
  const parameters: Record<string, SweepParam> = {};
  const envOwners = new Map<string, string>();
  for (const [param, spec] of Object.entries(data.parameters)) {
    const env = ('env' in spec ? spec.env : undefined) ?? defaultEnvName(param);
    const where: PathSegment[] = ['parameters', param];
    if (!ENV_NAME_PATTERN.test(env)) {
      issues.push({
        path: where,
        at: 'key',
        message: `'${param}' does not make a valid variable name; set env: NAME`,
      });
    } else if ((RESERVED_ENV_NAMES as readonly string[]).includes(env)) {
      issues.push({
        path: where,
        at: 'key',
        message: `${env} is reserved by konduktor; set env: to another name`,
      });
    } else if (envOwners.has(env)) {
      issues.push({
        path: where,
        at: 'key',
        message: `'${param}' and '${envOwners.get(env) ?? ''}' both set ${env}; set env: on one`,
      });
    }
    envOwners.set(env, param);
    const { env: _env, ...rest } = spec as typeof spec & { env?: string };
    parameters[param] = { ...(rest as ParamSpec), env };
  }
  const sampler = samplerOf(data.sampler);
  const size = gridSize(parameters);
  if (sampler.type === 'grid' && size === Infinity) {
    const continuous = Object.entries(parameters).find(
      ([, p]) => p.type === 'uniform' || p.type === 'loguniform',
    );
    issues.push({
      path: ['sampler'],
      at: 'value',
      message: `the grid sampler cannot enumerate the continuous parameter '${continuous?.[0] ?? '?'}': give it values (a list) or use sampler: random or tpe`,
    });
  }
  let trialTimeoutMs: number | undefined;
  if (data.trial_timeout !== undefined) {
    try {
      trialTimeoutMs = parseDuration(data.trial_timeout, 'trial_timeout');
    } catch (err) {
      issues.push({
        path: ['trial_timeout'],
        at: 'value',
        message: err instanceof Error ? err.message : String(err),
      });
    }
  }
  if (issues.length > 0 || name === undefined) return { ok: false, issues, external };
  const trials =
    sampler.type === 'grid' ? Math.min(data.trials ?? size, size) : (data.trials ?? 20);
  const spec: SweepSpec = {
    name,
    task,
    parameters,
    objective: data.objective,
    direction: data.direction ?? 'minimize',
    trials,
    parallelism: data.parallelism ?? 1,
    sampler,
    seed: data.seed ?? 0,
    maxFailures: data.max_failures ?? Math.max(5, Math.ceil(trials / 10)),
    ...(data.pruner === undefined ? {} : { pruner: prunerOf(data.pruner) }),
    ...(trialTimeoutMs === undefined ? {} : { trialTimeoutMs }),
    ...(data.output_dir === undefined ? {} : { outputDir: resolve(baseDir, data.output_dir) }),
  };
  return { ok: true, spec };
}

function nameFromFile(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  const stem = basename(file, extname(file))
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 32)
    .replace(/-+$/, '');
  return stem === '' ? undefined : stem;
}

/** A {@link TaskValidationError} (code `TASK_INVALID`) whose message speaks of a sweep. */
function invalidSweep(issues: readonly TaskIssue[], cause?: unknown): TaskValidationError {
  const error = new TaskValidationError(
    sortIssues(issues),
    cause === undefined ? undefined : { cause },
  );
  error.message = error.message.replace(/^invalid task/, 'invalid sweep');
  return error;
}

/**
 * Parses and validates sweep YAML.
 * @throws {TaskValidationError} listing every problem with `file:line:col` (problems in a task
 *   file the sweep points at carry that file's positions).
 */
export function parseSweepYaml(text: string, options: ParseSweepOptions = {}): SweepSpec {
  const file = options.file;
  const parsed = parseYamlDocument(text, {
    ...(file === undefined ? {} : { file }),
    empty: "the sweep is empty; it needs at least 'task', 'parameters' and 'objective'",
    kind: 'sweep',
  });
  if (!parsed.ok) throw invalidSweep(parsed.issues, parsed.cause);
  const { yaml } = parsed;
  const input = yaml.input;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalidSweep(
      yaml.issues([
        {
          path: [],
          at: 'value',
          message: 'a sweep is a mapping with task, parameters and objective',
        },
      ]),
    );
  }
  const result = build(input, options.baseDir ?? process.cwd(), nameFromFile(file));
  if (result.ok && yaml.structure.length === 0) return result.spec;
  throw invalidSweep([
    ...yaml.issues(result.ok ? [] : result.issues),
    ...(result.ok ? [] : result.external),
  ]);
}

/**
 * Reads a sweep file; relative paths in it (the task file, `workdir`, `output_dir`) are resolved
 * against the file's directory.
 * @throws {TaskValidationError} when the file is missing or invalid.
 */
export function loadSweepFile(path: string): SweepSpec {
  const read = readDocumentFile(path, 'sweep');
  if (!read.ok) throw invalidSweep([read.issue], read.cause);
  return parseSweepYaml(read.text, { file: path, baseDir: dirname(resolve(path)) });
}

// The object form's keys and the YAML fields they stand for; typed against SweepDefinition so that
// a new option without an entry fails to compile.
const SWEEP_KEYS: { readonly [K in keyof SweepDefinition]-?: string } = {
  name: 'name',
  task: 'task',
  parameters: 'parameters',
  objective: 'objective',
  direction: 'direction',
  trials: 'trials',
  parallelism: 'parallelism',
  sampler: 'sampler',
  seed: 'seed',
  maxFailures: 'max_failures',
  pruner: 'pruner',
  trialTimeout: 'trial_timeout',
  outputDir: 'output_dir',
};

// The keys of both pruner shapes.
const PRUNER_KEYS: Readonly<Record<string, string>> = {
  type: 'type',
  nStartupTrials: 'n_startup_trials',
  nWarmupSteps: 'n_warmup_steps',
  intervalSteps: 'interval_steps',
  minResource: 'min_resource',
  reductionFactor: 'reduction_factor',
};

// The keys of every sampler shape (only tpe has more than `type`).
const SAMPLER_KEYS: Readonly<Record<string, string>> = {
  type: 'type',
  nStartupTrials: 'n_startup_trials',
  nCandidates: 'n_candidates',
  gamma: 'gamma',
  priorWeight: 'prior_weight',
};

const OBJECT_GUIDE: FieldGuide = {
  fieldsAt: (path) =>
    Object.keys(path.length === 0 ? SWEEP_KEYS : path[0] === 'pruner' ? PRUNER_KEYS : SAMPLER_KEYS),
  levels: new Map([
    ['', Object.keys(SWEEP_KEYS)],
    ['sampler', Object.keys(SAMPLER_KEYS)],
    ['pruner', Object.keys(PRUNER_KEYS)],
  ]),
};

/**
 * The YAML form of an object-form mapping: known keys renamed, unknown ones (the YAML spellings
 * included) reported with a suggestion in the object form's names.
 */
function toYamlForm(
  value: Readonly<Record<string, unknown>>,
  keys: Readonly<Record<string, string>>,
  parent: readonly string[],
  issues: RawIssue[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const field = keys[key];
    if (field !== undefined) out[field] = v;
    else {
      const hint = unknownKey(key, parent, OBJECT_GUIDE, value);
      issues.push({ path: [...parent, key], message: hint.message, at: 'key' });
    }
  }
  return out;
}

const YAML_TO_OBJECT = new Map<string, string>(
  [
    ...Object.entries(SWEEP_KEYS),
    ...Object.entries(SAMPLER_KEYS),
    ...Object.entries(PRUNER_KEYS),
  ].map(([key, field]) => [field, key]),
);

/**
 * Validates a sweep given as an object.
 * @throws {TaskValidationError} listing every problem, with its field path.
 */
export function resolveSweep(
  definition: SweepDefinition,
  options: { readonly baseDir?: string } = {},
): SweepSpec {
  const keyIssues: RawIssue[] = [];
  const given: unknown = definition;
  const input = isPlainObject(given) ? toYamlForm(given, SWEEP_KEYS, [], keyIssues) : given;
  if (isPlainObject(input) && isPlainObject(input.sampler)) {
    input.sampler = toYamlForm(input.sampler, SAMPLER_KEYS, ['sampler'], keyIssues);
  }
  if (isPlainObject(input) && isPlainObject(input.pruner)) {
    input.pruner = toYamlForm(input.pruner, PRUNER_KEYS, ['pruner'], keyIssues);
  }
  const result = build(input, options.baseDir ?? process.cwd(), undefined);
  if (result.ok && keyIssues.length === 0) return result.spec;
  // Issues name fields as the object form does: maxFailures, sampler.nStartupTrials.
  const objectPath = (path: readonly PathSegment[]): PathSegment[] =>
    path.map((segment, i) =>
      typeof segment === 'string' &&
      (i === 0 || (i === 1 && (path[0] === 'sampler' || path[0] === 'pruner')))
        ? (YAML_TO_OBJECT.get(segment) ?? segment)
        : segment,
    );
  throw invalidSweep([
    ...keyIssues.map((raw) => ({ path: formatPath(raw.path), message: raw.message })),
    ...(result.ok ? [] : result.issues).map((raw) => ({
      path: formatPath(objectPath(raw.path)),
      message: raw.message,
    })),
    ...(result.ok ? [] : result.external),
  ]);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
