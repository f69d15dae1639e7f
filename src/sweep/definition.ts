/**
 * A sweep given as an object in code ({@link SweepDefinition}): the YAML fields in camelCase,
 * renamed to the YAML form and built as a file's would be, with problems named by the object
 * form's fields (`maxFailures`, `sampler.nStartupTrials`).
 * @module
 */
import { formatPath, type PathSegment } from '../diagnostics/issue.js';
import { unknownKey, type FieldGuide } from '../diagnostics/zod.js';
import type { Task } from '../task/task.js';
import type { TaskSpec } from '../task/types.js';
import { build, invalidSweep, type RawIssue } from './build.js';
import type { SweepSpec } from './schema.js';
import type { ParamSpec } from './space.js';

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
