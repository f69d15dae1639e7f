/**
 * The zod schema of a sweep in its YAML form (snake_case keys), and the validated
 * {@link SweepSpec} every part of the sweep driver works from.
 *
 * @example
 * ```ts
 * const parsed = SweepSchema.safeParse({
 *   name: 'branin',
 *   task: 'branin-task.yaml',
 *   parameters: { x1: { type: 'uniform', low: -5, high: 10 }, seed: [1, 2, 3] },
 *   objective: 'value',
 *   trials: 30,
 * });
 * ```
 * @module
 */
import { z } from 'zod';
import { describeValue, type Diagnostic } from '../diagnostics/issue.js';
import { closestMatch } from '../diagnostics/suggest.js';
import { wholeNumber } from '../task/quantity.js';
import { ENV_NAME_PATTERN, taskNameProblem } from '../task/schema.js';
import type { TaskSpec } from '../task/types.js';
import { parseObjectivePath } from './objective.js';
import type { PrunerSpec } from './pruner.js';
import type { SamplerSpec } from './sampler.js';
import type { ParamSpec } from './space.js';

/** The longest sweep name: trial jobs are `<sweep>-<trial>-<hex>` within the task name limit. */
export const SWEEP_NAME_MAX_LENGTH = 32;

/** A parameter after validation, with the environment variable it reaches the trial as. */
export type SweepParam = ParamSpec & {
  /** The environment variable that carries the value. @default the name upper-cased */
  readonly env: string;
};

/** A validated sweep, ready to run. Paths are absolute. */
export interface SweepSpec {
  /** The sweep's name: its key in the store, its output folder, its trial jobs' prefix. */
  readonly name: string;
  /** The base task every trial runs, with the trial's parameters added to its `envs`. */
  readonly task: TaskSpec;
  /** The parameter space, in the order written. */
  readonly parameters: Readonly<Record<string, SweepParam>>;
  /**
   * The path of the objective in each trial's result (`val_loss`, `metrics.acc`, `scores[0]`,
   * `["eval.loss"]` for a key with a dot; see `parseObjectivePath`); `.` is the whole result.
   */
  readonly objective: string;
  readonly direction: 'minimize' | 'maximize';
  /** How many trials to run (for the grid sampler at most the grid's size). */
  readonly trials: number;
  /** How many trials run at once. */
  readonly parallelism: number;
  readonly sampler: SamplerSpec;
  readonly seed: number;
  /** Failed trials tolerated; one more stops the sweep. */
  readonly maxFailures: number;
  /** Stops bad trials early on the objective's key in their metric lines. */
  readonly pruner?: PrunerSpec;
  /** A trial still running after this long is cancelled and counted as failed. */
  readonly trialTimeoutMs?: number;
  /** Where the CSV, JSON and HTML files go, when the sweep file says. */
  readonly outputDir?: string;
}

const finite = (what: string) =>
  z.number({ error: (iss) => `${what} must be a number, got ${describeValue(iss.input)}` });

const paramValue = z.union([z.number(), z.string(), z.boolean()], {
  error: (iss) => `values must be numbers, strings or booleans, got ${describeValue(iss.input)}`,
});
const valueList = z
  .array(paramValue, { error: (iss) => `values must be a list, got ${describeValue(iss.input)}` })
  .min(1, 'give at least one value');
const envName = z
  .string()
  .regex(
    ENV_NAME_PATTERN,
    'env must be a variable name: letters, digits and _, not starting with a digit',
  )
  .optional();

const range = { low: finite('low'), high: finite('high'), env: envName };

/** The parameter types a sweep file may name. */
export const PARAM_TYPES = ['uniform', 'loguniform', 'int', 'choice', 'grid'] as const;

const ParamSchema = z.union(
  [
    valueList.transform((values) => ({ type: 'grid' as const, values })),
    z.discriminatedUnion(
      'type',
      [
        z.strictObject({ type: z.literal('uniform'), ...range }),
        z.strictObject({ type: z.literal('loguniform'), ...range }),
        z.strictObject({
          type: z.literal('int'),
          ...range,
          step: wholeNumber(1).optional(),
          log: z.boolean().optional(),
        }),
        z.strictObject({ type: z.literal('choice'), values: valueList, env: envName }),
        z.strictObject({ type: z.literal('grid'), values: valueList, env: envName }),
      ],
      {
        error: (iss) =>
          iss.note === 'No matching discriminator'
            ? `type must be one of ${PARAM_TYPES.join(', ')}, got ${describeValue((iss.input as { type?: unknown } | undefined)?.type)}`
            : undefined,
      },
    ),
  ],
  {
    error: (iss) =>
      !Array.isArray(iss.input) && typeof iss.input !== 'object'
        ? `a parameter is a mapping with a type (uniform, loguniform, int, choice, grid) or a list of values, got ${describeValue(iss.input)}`
        : undefined,
  },
);

const SamplerSchema = z.union(
  [
    z.enum(['grid', 'random', 'tpe'], {
      error: (iss) => `must be grid, random or tpe, got ${describeValue(iss.input)}`,
    }),
    z.discriminatedUnion('type', [
      z.strictObject({ type: z.literal('grid') }),
      z.strictObject({ type: z.literal('random') }),
      z.strictObject({
        type: z.literal('tpe'),
        n_startup_trials: wholeNumber(0).optional(),
        n_candidates: wholeNumber(1).optional(),
        gamma: z.number().gt(0).lte(1).optional(),
        prior_weight: z.number().positive().optional(),
      }),
    ]),
  ],
  {
    // A word that is none of the sampler names: say so, not "none of the accepted forms".
    error: (iss) =>
      typeof iss.input === 'string'
        ? `must be grid, random or tpe, got ${describeValue(iss.input)}`
        : undefined,
  },
);

const PrunerSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('median'),
      n_startup_trials: wholeNumber(0).optional(),
      n_warmup_steps: wholeNumber(0).optional(),
      interval_steps: wholeNumber(1).optional(),
    }),
    z.strictObject({
      type: z.literal('asha'),
      min_resource: wholeNumber(1).optional(),
      reduction_factor: wholeNumber(2).optional(),
    }),
  ],
  {
    // The mapping's type is wrong (the issue is at pruner.type), or pruner is not a mapping.
    error: (iss) =>
      typeof iss.input !== 'object' || iss.input === null
        ? `must be a mapping such as { type: asha }, got ${describeValue(iss.input)}`
        : 'type' in iss.input
          ? `must be median or asha, got ${describeValue(iss.input.type)}`
          : 'missing type: median or asha',
  },
);

const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;

function durationProblem(iss: { readonly input?: unknown }): string {
  return (
    'must be a duration such as 90s, 10m or 1h (or milliseconds, more than 0), got ' +
    describeValue(iss.input)
  );
}

/** A sweep in its YAML form. */
export const SweepSchema = z.strictObject({
  name: z
    .string({
      error: (iss) => `must be a string such as my-sweep, got ${describeValue(iss.input)}`,
    })
    .superRefine((name, ctx) => {
      const problem =
        taskNameProblem(name) ??
        (name.length > SWEEP_NAME_MAX_LENGTH
          ? `${JSON.stringify(name)} is ${name.length} characters long; the limit is ` +
            `${SWEEP_NAME_MAX_LENGTH} so that trial jobs "<sweep>-<trial>-<hex>" stay within ` +
            'the limit of job names'
          : undefined);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, input: name });
    })
    .optional(),
  task: z.union([z.string().min(1), z.record(z.string(), z.unknown())], {
    error: (iss) =>
      iss.input === undefined
        ? "missing 'task': the path of a task file (relative to the sweep file) or an inline task"
        : `task must be a file path or an inline task mapping, got ${describeValue(iss.input)}`,
  }),
  parameters: z
    .record(z.string().min(1), ParamSchema, {
      error: (iss) =>
        iss.input === undefined
          ? "missing 'parameters': a mapping from parameter name to its definition"
          : `parameters must be a mapping, got ${describeValue(iss.input)}`,
    })
    .refine((p) => Object.keys(p).length > 0, 'give at least one parameter'),
  objective: z
    .string({
      error: (iss) =>
        iss.input === undefined
          ? "missing 'objective': the path of the objective in each trial's result, e.g. val_loss or metrics.acc"
          : `objective must be a path such as metrics.acc or ["eval.loss"], got ${describeValue(iss.input)}`,
    })
    .superRefine((path, ctx) => {
      const parsed = parseObjectivePath(path);
      if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.reason });
    }),
  direction: z
    .enum(['minimize', 'maximize'], {
      error: (iss) => `must be minimize or maximize, got ${describeValue(iss.input)}`,
    })
    .optional(),
  trials: wholeNumber(1).optional(),
  parallelism: wholeNumber(1).optional(),
  sampler: SamplerSchema.optional(),
  seed: wholeNumber(0).optional(),
  max_failures: wholeNumber(0).optional(),
  pruner: PrunerSchema.optional(),
  trial_timeout: z
    .union(
      [
        z.number().positive({ error: durationProblem }),
        z.string().regex(DURATION, { error: durationProblem }),
      ],
      {
        error: durationProblem,
      },
    )
    .optional(),
  output_dir: z
    .string()
    .min(1, 'must not be empty (the folder for the CSV, JSON and HTML files)')
    .optional(),
});

/** The YAML form of a sweep, as the schema reads it. */
export type SweepYaml = z.infer<typeof SweepSchema>;

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/**
 * The problems between the fields of one parameter in its YAML form (`high` above `low`, a
 * loguniform's `low` above 0, an int's bounds and `step`), checked on the raw mapping so that they
 * are reported together with every other problem of the parameter: each check runs when the
 * fields it reads have the right kind, whatever else is wrong. A misspelt `type` is read as the
 * type it is closest to; an unrecognizable one still gets the checks every numeric range gets.
 * Paths are relative to the parameter.
 *
 * @example
 * ```ts
 * parameterProblems({ type: 'unifrom', low: 1, high: 0 });
 * // [{ path: ['high'], at: 'value', message: 'high (0) must be greater than low (1)' }]
 * ```
 */
export function parameterProblems(param: unknown): Diagnostic[] {
  if (typeof param !== 'object' || param === null || Array.isArray(param)) return [];
  const raw = param as Readonly<Record<string, unknown>>;
  const written = raw.type;
  const known = (PARAM_TYPES as readonly unknown[]).includes(written);
  const type = known
    ? written
    : typeof written === 'string'
      ? closestMatch(written, PARAM_TYPES)
      : undefined;
  const out: Diagnostic[] = [];
  const problem = (field: string, message: string): void => {
    out.push({ path: [field], at: 'value', message });
  };
  const { low, high, step, log, values } = raw;
  if (type === 'choice' || type === 'grid') {
    // A known type's values are checked by the schema; a misspelt one's are not.
    if (!known && Array.isArray(values) && values.length === 0) {
      problem('values', 'give at least one value');
    }
    return out;
  }
  if (!known && type !== undefined) {
    for (const [field, value] of [
      ['low', low],
      ['high', high],
    ] as const) {
      if (value !== undefined && !isNumber(value)) {
        problem(field, `${field} must be a number, got ${describeValue(value)}`);
      }
    }
  }
  if (isNumber(low) && isNumber(high) && !(low < high) && !(type === 'int' && low === high)) {
    problem('high', `high (${high}) must be greater than low (${low})`);
  }
  if (type === 'loguniform' && isNumber(low) && low <= 0) {
    problem('low', `a loguniform parameter needs low > 0, got ${low}`);
  }
  if (type !== 'int') return out;
  if (isNumber(low) && !Number.isInteger(low)) problem('low', `low must be an integer, got ${low}`);
  if (isNumber(high) && !Number.isInteger(high)) {
    problem('high', `high must be an integer, got ${high}`);
  }
  if (log === true && isNumber(low) && low < 1) {
    problem('low', `an int parameter with log: true needs low >= 1, got ${low}`);
  }
  if (log === true && step !== undefined && step !== 1) {
    problem('step', 'step cannot be combined with log: true');
  } else if (isNumber(step) && isNumber(low) && isNumber(high) && high > low && step > high - low) {
    problem(
      'step',
      `step (${step}) is larger than high - low (${high - low}): only low could be drawn`,
    );
  }
  return out;
}

/**
 * {@link parameterProblems} of every parameter of a sweep in YAML form, with full paths. Checked
 * outside the schema, so that they run whatever else is wrong with a parameter.
 */
export function parametersProblems(sweep: unknown): Diagnostic[] {
  const params = (sweep as { parameters?: unknown } | null)?.parameters;
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return [];
  return Object.entries(params).flatMap(([name, param]) =>
    parameterProblems(param).map((problem) => ({
      ...problem,
      path: ['parameters', name, ...problem.path],
    })),
  );
}
