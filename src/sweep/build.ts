/**
 * The core of reading a sweep, shared by the file form (`load.ts`) and the object form
 * (`definition.ts`): input in YAML form (snake_case fields) checked against the schema and turned
 * into a validated {@link SweepSpec}, collecting every problem.
 * @module
 */
import { resolve } from 'node:path';
import { sortIssues, type Diagnostic, type PathSegment } from '../diagnostics/issue.js';
import { fieldGuide, fromZodIssues, readableError } from '../diagnostics/zod.js';
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

/** A problem found while building, at its path in the YAML form. */
export type RawIssue = Diagnostic;

/** What {@link build} made: the spec, or every problem (the task file's own with its positions). */
export type Built =
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
export function build(input: unknown, baseDir: string, defaultName: string | undefined): Built {
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

/** A {@link TaskValidationError} (code `TASK_INVALID`) whose message speaks of a sweep. */
export function invalidSweep(issues: readonly TaskIssue[], cause?: unknown): TaskValidationError {
  const error = new TaskValidationError(
    sortIssues(issues),
    cause === undefined ? undefined : { cause },
  );
  error.message = error.message.replace(/^invalid task/, 'invalid sweep');
  return error;
}
