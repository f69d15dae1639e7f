/**
 * Command-line overrides of a task (`--env`, `--cpus`, …), applied to a validated task and checked
 * again with the task rules.
 *
 * @example
 * ```ts
 * const spec = applyOverrides(loadTaskFile('train.yaml'), {
 *   env: ['LR=0.01', 'HF_TOKEN'],
 *   cpus: '8',
 *   gpus: 'H100:2',
 * });
 * ```
 * @module
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { TaskValidationError } from '../errors.js';
import type { TaskIssue } from '../errors.js';
import { parseDotenv } from './dotenv.js';
import type { TaskSpec } from './types.js';
import { formatPath } from '../diagnostics/issue.js';
import { specToInput, validateTaskInput } from './validate.js';

/**
 * Overrides from the command line. Numbers may be given as strings, as they come from argv; they
 * are checked by the same rules as the task file.
 */
export interface TaskOverrides {
  /** `--name`: the job name prefix. */
  readonly name?: string | undefined;
  /** `--env KEY=VAL` (or `--env KEY` to copy the local value), repeatable; later ones win. */
  readonly env?: readonly string[] | undefined;
  /** `--env-file PATH`: a dotenv file, read relative to the current directory. */
  readonly envFile?: string | undefined;
  /** `--num-nodes N`. */
  readonly numNodes?: number | string | undefined;
  /** `--cpus N`: CPUs per node. */
  readonly cpus?: number | string | undefined;
  /** `--memory N`: GiB per node. */
  readonly memory?: number | string | undefined;
  /**
   * `--gpus NAME[:COUNT]`; `none` removes the accelerators; a bare count (`--gpus 2`) keeps the
   * task's accelerator name.
   */
  readonly gpus?: string | undefined;
  /** `--image-id IMAGE`. */
  readonly imageId?: string | undefined;
  /** `--max-restarts N`. */
  readonly maxRestarts?: number | string | undefined;
}

/** Where an overridden value came from, for messages. */
interface Origin {
  readonly flag: string;
  readonly file?: string;
  readonly line?: number;
}

// Which flag sets which field of the YAML form.
const FLAG_OF: Readonly<Record<string, string>> = {
  name: '--name',
  num_nodes: '--num-nodes',
  'resources.cpus': '--cpus',
  'resources.memory': '--memory',
  'resources.accelerators': '--gpus',
  'resources.image_id': '--image-id',
  'resources.job_config.max_restarts': '--max-restarts',
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Applies command-line overrides to a validated task. Environment precedence: `--env` beats
 * `--env-file` beats the task's `envs`.
 *
 * @param spec - a validated task.
 * @param overrides - the values given on the command line.
 * @param environment - where `--env KEY` looks `KEY` up.
 * @returns a new validated task; `spec` is not changed.
 * @throws {@link TaskValidationError} listing every bad override, with the flag as the path
 *   (`--cpus`, `--env`) and, for `--env-file`, the file and line.
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
): TaskSpec {
  const issues: TaskIssue[] = [];
  const origins = new Map<string, Origin>();
  const input = specToInput(spec);
  const resources = isRecord(input.resources) ? input.resources : {};
  input.resources = resources;
  const envs: Record<string, string> = { ...spec.envs };
  input.envs = envs;

  const set = (
    target: Record<string, unknown>,
    key: string,
    value: unknown,
    path: string,
  ): void => {
    target[key] = value;
    origins.set(path, { flag: FLAG_OF[path] ?? path });
  };
  if (overrides.name !== undefined) set(input, 'name', overrides.name, 'name');
  if (overrides.numNodes !== undefined) set(input, 'num_nodes', overrides.numNodes, 'num_nodes');
  if (overrides.cpus !== undefined) set(resources, 'cpus', overrides.cpus, 'resources.cpus');
  if (overrides.memory !== undefined)
    set(resources, 'memory', overrides.memory, 'resources.memory');
  if (overrides.imageId !== undefined) {
    set(resources, 'image_id', overrides.imageId, 'resources.image_id');
  }
  if (overrides.maxRestarts !== undefined) {
    resources.job_config = { max_restarts: overrides.maxRestarts };
    origins.set('resources.job_config.max_restarts', { flag: '--max-restarts' });
  }
  if (overrides.gpus !== undefined) {
    const gpus = overrides.gpus.trim();
    if (gpus.toLowerCase() === 'none') {
      delete resources.accelerators;
    } else if (/^\d+$/.test(gpus) && spec.resources.accelerators !== undefined) {
      const name = spec.resources.accelerators.name;
      set(resources, 'accelerators', `${name}:${gpus}`, 'resources.accelerators');
    } else {
      set(resources, 'accelerators', overrides.gpus, 'resources.accelerators');
    }
  }

  if (overrides.envFile !== undefined) {
    const file = overrides.envFile;
    let text: string | undefined;
    try {
      text = readFileSync(resolve(file), 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      issues.push({
        path: '--env-file',
        file,
        message:
          code === 'ENOENT'
            ? `env file not found: ${resolve(file)}`
            : `cannot read the env file ${resolve(file)}: ${err instanceof Error ? err.message : String(err)}`,
      });
    }
    if (text !== undefined) {
      const parsed = parseDotenv(text);
      for (const p of parsed.problems) {
        issues.push({ path: '--env-file', file, line: p.line, col: p.col, message: p.message });
      }
      for (const entry of parsed.entries) {
        envs[entry.key] = entry.value;
        origins.set(envPath(entry.key), { flag: '--env-file', file, line: entry.line });
      }
    }
  }
  for (const arg of overrides.env ?? []) {
    const eq = arg.indexOf('=');
    const key = eq === -1 ? arg : arg.slice(0, eq);
    if (key === '') {
      issues.push({
        path: '--env',
        message: `${JSON.stringify(arg)} has no variable name; write --env KEY=VALUE or --env KEY`,
      });
      continue;
    }
    let value: string | undefined;
    if (eq === -1) {
      value = environment[key];
      if (value === undefined) {
        issues.push({ path: '--env', message: `${key} is not set in the local environment` });
        continue;
      }
    } else {
      value = arg.slice(eq + 1);
    }
    envs[key] = value;
    origins.set(envPath(key), { flag: '--env' });
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
          path: origin.flag,
          message: raw.message,
          ...(origin.file === undefined ? {} : { file: origin.file }),
          ...(origin.line === undefined ? {} : { line: origin.line, col: 1 }),
        });
      }
    }
  }
  throw new TaskValidationError(issues);
}

function envPath(key: string): string {
  return `envs.${key}`;
}
