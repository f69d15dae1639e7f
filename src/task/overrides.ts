/**
 * Overrides of a task (`--env`, `--cpus`, … on the command line; `launch(task, { overrides })` in
 * the library), applied to a validated task and checked again with the task rules.
 *
 * @example
 * ```ts
 * const spec = applyOverrides(loadTaskFile('train.yaml'), {
 *   env: ['LR=0.01', 'HF_TOKEN'],
 *   cpus: '8',
 *   gpus: 'H100:2',
 * });
 * applyOverrides(spec, { env: { LR: 0.01 }, gpus: 2 }, process.env, 'keys');
 * ```
 * @module
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describeValue, formatPath } from '../diagnostics/issue.js';
import { unknownKey, type FieldGuide } from '../diagnostics/zod.js';
import { TaskValidationError } from '../errors.js';
import type { TaskIssue } from '../errors.js';
import { parseDotenv } from './dotenv.js';
import { longFlag, OVERRIDE_FLAGS, type OverrideFlag } from './override-flags.js';
import type { TaskSpec } from './types.js';
import { specToInput, validateTaskInput } from './validate.js';

/**
 * Overrides of a task's fields. Numbers may be given as strings, as they come from argv; every
 * value is checked by the same rules as the task file, and unknown keys are refused with a
 * suggestion.
 */
export interface TaskOverrides {
  /** `--name`: the job name prefix. */
  readonly name?: string | undefined;
  /**
   * `--env`: environment variables, over the task's `envs` and `envFile`. Either a mapping,
   * `{ KEY: value }` (numbers and booleans become strings), or a list of `"KEY=VALUE"` strings,
   * where a bare `"KEY"` copies the local value; later entries win.
   */
  readonly env?:
    readonly string[] | Readonly<Record<string, string | number | boolean>> | undefined;
  /** `--env-file PATH`: a dotenv file, read relative to the current directory. */
  readonly envFile?: string | undefined;
  /** `--num-nodes N`. */
  readonly numNodes?: number | string | undefined;
  /** `--cpus N`: CPUs per node. */
  readonly cpus?: number | string | undefined;
  /** `--memory N`: GiB per node. */
  readonly memory?: number | string | undefined;
  /**
   * `--gpus NAME[:COUNT]`; `none` removes the accelerators; a bare count (`2` or `'2'`) keeps the
   * task's accelerator name.
   */
  readonly gpus?: string | number | undefined;
  /** `--image-id IMAGE`. */
  readonly imageId?: string | undefined;
  /** `--max-restarts N`. */
  readonly maxRestarts?: number | string | undefined;
}

/**
 * How issues name an override: by its command-line flag (`--cpus`, the CLI's) or by its key
 * (`overrides.cpus`, the library's).
 */
export type OverrideNaming = 'flags' | 'keys';

// Each override's flag and the YAML field it sets (the CLI's option table uses the same entries;
// override-flags.ts checks that they cover TaskOverrides exactly).
const OVERRIDES: { readonly [K in keyof TaskOverrides]-?: OverrideFlag } = OVERRIDE_FLAGS;

type OverrideKey = keyof TaskOverrides;
const OVERRIDE_KEYS = Object.keys(OVERRIDES) as OverrideKey[];

const OVERRIDE_GUIDE: FieldGuide = {
  fieldsAt: () => OVERRIDE_KEYS,
  levels: new Map([['', OVERRIDE_KEYS]]),
  aliases: {
    '': {
      envs: 'env',
      environment: 'env',
      accelerators: 'gpus',
      gpu: 'gpus',
      image: 'imageId',
      nodes: 'numNodes',
      cpu: 'cpus',
      mem: 'memory',
      restarts: 'maxRestarts',
    },
  },
};

/** Where an overridden value came from, for messages. */
interface Origin {
  readonly key: OverrideKey;
  readonly file?: string;
  readonly line?: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Applies overrides to a validated task. Environment precedence: `env` beats `envFile` beats the
 * task's `envs`.
 *
 * @param spec - a validated task.
 * @param overrides - the values to change.
 * @param environment - where `--env KEY` looks `KEY` up.
 * @param naming - whether issues name overrides by flag (`--cpus`) or by key (`overrides.cpus`).
 * @returns a new validated task; `spec` is not changed.
 * @throws {@link TaskValidationError} listing every bad override (unknown keys with "did you
 *   mean", values of the wrong shape, values the task rules refuse), with the flag or key as the
 *   path and, for `envFile`, the file and line.
 *
 * @example
 * ```ts
 * applyOverrides(spec, { env: ['DEBUG=1'], gpus: 'none', maxRestarts: '2' });
 * ```
 */
export function applyOverrides(
  spec: TaskSpec,
  overrides: TaskOverrides,
  environment: Readonly<Record<string, string | undefined>> = process.env,
  naming: OverrideNaming = 'flags',
): TaskSpec {
  const nameOf = (key: OverrideKey): string =>
    naming === 'flags' ? longFlag(OVERRIDES[key]) : `overrides.${key}`;
  const given: unknown = overrides;
  if (!isRecord(given)) {
    throw new TaskValidationError([
      {
        path: naming === 'flags' ? '' : 'overrides',
        message: `overrides must be an object such as { cpus: 2 }, got ${describeValue(given)}`,
      },
    ]);
  }
  const issues: TaskIssue[] = [];
  for (const key of Object.keys(given)) {
    if ((OVERRIDE_KEYS as string[]).includes(key)) continue;
    const hint = unknownKey(key, [], OVERRIDE_GUIDE, given);
    const path = naming === 'flags' ? key : `overrides.${key}`;
    issues.push({ path, message: hint.message.replace(/^unknown field/, 'unknown override') });
  }

  const origins = new Map<string, Origin>();
  const input = specToInput(spec);
  const resources = isRecord(input.resources) ? input.resources : {};
  input.resources = resources;
  const envs: Record<string, unknown> = { ...spec.envs };
  input.envs = envs;

  const set = (target: Record<string, unknown>, field: string, key: OverrideKey): void => {
    target[field] = overrides[key];
    origins.set(OVERRIDES[key].field, { key });
  };
  if (overrides.name !== undefined) set(input, 'name', 'name');
  if (overrides.numNodes !== undefined) set(input, 'num_nodes', 'numNodes');
  if (overrides.cpus !== undefined) set(resources, 'cpus', 'cpus');
  if (overrides.memory !== undefined) set(resources, 'memory', 'memory');
  if (overrides.imageId !== undefined) set(resources, 'image_id', 'imageId');
  if (overrides.maxRestarts !== undefined) {
    resources.job_config = { max_restarts: overrides.maxRestarts };
    origins.set(OVERRIDES.maxRestarts.field, { key: 'maxRestarts' });
  }
  const gpusGiven: unknown = overrides.gpus;
  if (typeof gpusGiven === 'string' || typeof gpusGiven === 'number') {
    const gpus = String(gpusGiven).trim();
    if (gpus.toLowerCase() === 'none') {
      delete resources.accelerators;
    } else {
      const name = spec.resources.accelerators?.name;
      resources.accelerators = /^\d+$/.test(gpus) && name !== undefined ? `${name}:${gpus}` : gpus;
      origins.set(OVERRIDES.gpus.field, { key: 'gpus' });
    }
  } else if (gpusGiven !== undefined) {
    issues.push({
      path: nameOf('gpus'),
      message: `must be NAME[:COUNT] such as H100:2, a count, or none; got ${describeValue(gpusGiven)}`,
    });
  }

  const envFile: unknown = overrides.envFile;
  if (typeof envFile === 'string') {
    readEnvFile(envFile, envs, origins, issues, nameOf('envFile'));
  } else if (envFile !== undefined) {
    issues.push({
      path: nameOf('envFile'),
      message: `must be the path of a dotenv file, got ${describeValue(envFile)}`,
    });
  }
  for (const [key, value] of envEntries(overrides.env, environment, issues, nameOf('env'))) {
    envs[key] = value;
    origins.set(`envs.${key}`, { key: 'env' });
  }

  const result = validateTaskInput(input);
  if (result.ok && issues.length === 0) return result.spec;
  if (!result.ok) {
    for (const raw of result.issues) {
      const origin = origins.get(raw.path.map(String).join('.'));
      if (origin === undefined) {
        issues.push({ path: formatPath(raw.path), message: raw.message });
      } else {
        issues.push({
          path: nameOf(origin.key),
          message: raw.message,
          ...(origin.file === undefined ? {} : { file: origin.file }),
          ...(origin.line === undefined ? {} : { line: origin.line, col: 1 }),
        });
      }
    }
  }
  throw new TaskValidationError(issues);
}

function readEnvFile(
  file: string,
  envs: Record<string, unknown>,
  origins: Map<string, Origin>,
  issues: TaskIssue[],
  path: string,
): void {
  let text: string;
  try {
    text = readFileSync(resolve(file), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    issues.push({
      path,
      file,
      message:
        code === 'ENOENT'
          ? `env file not found: ${resolve(file)}`
          : `cannot read the env file ${resolve(file)}: ${err instanceof Error ? err.message : String(err)}`,
    });
    return;
  }
  const parsed = parseDotenv(text);
  for (const p of parsed.problems) {
    issues.push({ path, file, line: p.line, col: p.col, message: p.message });
  }
  for (const entry of parsed.entries) {
    envs[entry.key] = entry.value;
    origins.set(`envs.${entry.key}`, { key: 'envFile', file, line: entry.line });
  }
}

/**
 * The variables an `env` override sets, in order: from a mapping as given (the task rules check
 * names and values), from a list of `KEY=VALUE` (or `KEY`, copied from `environment`).
 */
function envEntries(
  env: unknown,
  environment: Readonly<Record<string, string | undefined>>,
  issues: TaskIssue[],
  path: string,
): [string, unknown][] {
  if (env === undefined) return [];
  if (isRecord(env)) return Object.entries(env);
  if (!Array.isArray(env)) {
    issues.push({
      path,
      message:
        `must be a mapping { KEY: value } or a list of "KEY=VALUE" strings, got ` +
        describeValue(env),
    });
    return [];
  }
  const entries: [string, unknown][] = [];
  for (const arg of env as unknown[]) {
    if (typeof arg !== 'string') {
      issues.push({
        path,
        message: `each entry must be a string KEY=VALUE, got ${describeValue(arg)}`,
      });
      continue;
    }
    const eq = arg.indexOf('=');
    const key = eq === -1 ? arg : arg.slice(0, eq);
    if (key === '') {
      issues.push({
        path,
        message: `${JSON.stringify(arg)} has no variable name; write --env KEY=VALUE or --env KEY`,
      });
      continue;
    }
    if (eq !== -1) {
      entries.push([key, arg.slice(eq + 1)]);
      continue;
    }
    const value = environment[key];
    if (value === undefined)
      issues.push({ path, message: `${key} is not set in the local environment` });
    else entries.push([key, value]);
  }
  return entries;
}
