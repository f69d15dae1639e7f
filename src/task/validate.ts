/**
 * Validation shared by task files, `Task` objects and overrides: runs {@link TaskSchema}, turns its
 * issues into located-later diagnostics with the task's "did you mean" hints, and resolves and
 * checks local paths.
 * @module
 */
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import type { Diagnostic } from '../diagnostics/issue.js';
import { fieldGuide, fromZodIssues, readableError } from '../diagnostics/zod.js';
import type { FieldGuide } from '../diagnostics/zod.js';
import { TaskSchema } from './schema.js';
import { isS3Url, type TaskSpec } from './types.js';

/** A problem found in a task before it is tied to a file position. */
export type RawTaskIssue = Diagnostic;

/** The result of {@link validateTaskInput}. */
export type TaskValidation =
  | { readonly ok: true; readonly spec: TaskSpec }
  | { readonly ok: false; readonly issues: readonly RawTaskIssue[] };

/**
 * What "did you mean" knows about tasks: the fields (read from {@link TaskSchema}), common
 * mistakes edit distance does not catch, and fields of the original Konduktor (or SkyPilot) that
 * konduktor deliberately lacks.
 */
export const TASK_GUIDE: FieldGuide = fieldGuide(TaskSchema, {
  aliases: {
    '': {
      env: 'envs',
      environment: 'envs',
      env_vars: 'envs',
      nodes: 'num_nodes',
      node_count: 'num_nodes',
      replicas: 'num_nodes',
      command: 'run',
      commands: 'run',
      cmd: 'run',
      script: 'run',
      mounts: 'file_mounts',
      working_dir: 'workdir',
      cwd: 'workdir',
      resource: 'resources',
    },
    resources: {
      gpus: 'accelerators',
      gpu: 'accelerators',
      accelerator: 'accelerators',
      image: 'image_id',
      container_image: 'image_id',
      mem: 'memory',
      cpu: 'cpus',
      max_restarts: 'job_config.max_restarts',
      restarts: 'job_config.max_restarts',
    },
    'resources.job_config': {
      restarts: 'max_restarts',
      retries: 'max_restarts',
      max_retries: 'max_restarts',
    },
  },
  unsupported: {
    cloud: 'konduktor has no cloud field; choose where the job runs with --backend',
    serving: 'serving deployments are not supported; konduktor runs batch jobs',
    service: 'services are not supported; konduktor runs batch jobs',
    disk_size: 'disk_size is not supported',
    completions: 'completions is not supported; every node runs once per attempt',
  },
});

/**
 * Validates a task in YAML form (snake_case) against {@link TaskSchema}. Paths are not checked; see
 * {@link checkLocalPaths}.
 *
 * @example
 * ```ts
 * const v = validateTaskInput({ name: 'x', run: 'true', resources: { gpu: 1 } });
 * // v.ok === false; v.issues[0].message === "unknown field 'gpu'; did you mean 'resources.accelerators'?"
 * ```
 */
export function validateTaskInput(input: unknown): TaskValidation {
  const result = TaskSchema.safeParse(input, { error: readableError });
  if (result.success) return { ok: true, spec: result.data };
  return { ok: false, issues: fromZodIssues(result.error.issues, input, TASK_GUIDE) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Expands a leading `~` and resolves against `baseDir`.
 *
 * @example
 * ```ts
 * resolveLocalPath('./data', '/home/me/project'); // '/home/me/project/data'
 * resolveLocalPath('~/data', '/anywhere'); // '/home/me/data'
 * ```
 */
export function resolveLocalPath(path: string, baseDir: string): string {
  const expanded =
    path === '~' ? homedir() : path.startsWith('~/') ? `${homedir()}${path.slice(1)}` : path;
  return isAbsolute(expanded) ? resolve(expanded) : resolve(baseDir, expanded);
}

function describePath(written: string, absolute: string): string {
  return written === absolute ? absolute : `${absolute} (from ${JSON.stringify(written)})`;
}

/** The resolved local paths of a task and the problems found with them. */
export interface LocalPaths {
  readonly workdir?: string;
  readonly fileMounts: Readonly<Record<string, string>>;
  readonly issues: readonly RawTaskIssue[];
}

/**
 * Resolves `workdir` and the local sides of `file_mounts` of a task in YAML form against `baseDir`
 * and checks that they exist. Values of the wrong type are skipped: the schema reports those, and
 * checking paths separately lets both kinds of problem be reported at once.
 *
 * @example
 * ```ts
 * checkLocalPaths({ workdir: 'src' }, '/home/me/project');
 * // { workdir: '/home/me/project/src', fileMounts: {}, issues: [] } when the directory exists
 * ```
 */
export function checkLocalPaths(input: unknown, baseDir: string): LocalPaths {
  const issues: RawTaskIssue[] = [];
  const fileMounts: Record<string, string> = {};
  let workdir: string | undefined;
  if (!isRecord(input)) return { fileMounts, issues };
  if (typeof input.workdir === 'string' && input.workdir.trim() !== '') {
    const absolute = resolveLocalPath(input.workdir, baseDir);
    const kind = pathKind(absolute);
    if (kind === 'directory') workdir = absolute;
    else {
      const where = describePath(input.workdir, absolute);
      issues.push({
        path: ['workdir'],
        at: 'value',
        message:
          kind === 'missing'
            ? `directory not found: ${where}`
            : kind === 'file'
              ? `is a file, not a directory: ${where}`
              : `cannot access ${where}: ${kind.error}`,
      });
    }
  }
  if (isRecord(input.file_mounts)) {
    for (const [remote, local] of Object.entries(input.file_mounts)) {
      if (typeof local === 'string' && isS3Url(local)) {
        // Fetched where the job runs (Kubernetes); the local backend refuses it.
        fileMounts[remote] = local;
        continue;
      }
      if (
        typeof local !== 'string' ||
        local.trim() === '' ||
        /^[a-z][a-z0-9+.-]*:\/\//i.test(local)
      ) {
        continue;
      }
      const absolute = resolveLocalPath(local, baseDir);
      const kind = pathKind(absolute);
      if (kind === 'file' || kind === 'directory') fileMounts[remote] = absolute;
      else {
        const where = describePath(local, absolute);
        issues.push({
          path: ['file_mounts', remote],
          at: 'value',
          message:
            kind === 'missing'
              ? `local source not found: ${where}`
              : `cannot access local source ${where}: ${kind.error}`,
        });
      }
    }
  }
  return workdir === undefined ? { fileMounts, issues } : { workdir, fileMounts, issues };
}

function pathKind(path: string): 'file' | 'directory' | 'missing' | { error: string } {
  try {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat === undefined) return 'missing';
    return stat.isDirectory() ? 'directory' : 'file';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') return 'missing';
    return { error: code ?? (err instanceof Error ? err.message : String(err)) };
  }
}

/**
 * Validates a task in YAML form and resolves its local paths against `baseDir`: the full set of
 * rules, with every problem collected.
 *
 * @example
 * ```ts
 * const v = validateTask({ name: 'x', run: 'true', workdir: '.' }, process.cwd());
 * if (v.ok) v.spec.workdir; // process.cwd()
 * ```
 */
export function validateTask(input: unknown, baseDir: string): TaskValidation {
  const schema = validateTaskInput(input);
  const paths = checkLocalPaths(input, baseDir);
  if (!schema.ok || paths.issues.length > 0) {
    return { ok: false, issues: [...(schema.ok ? [] : schema.issues), ...paths.issues] };
  }
  const spec: TaskSpec = { ...schema.spec, fileMounts: paths.fileMounts };
  if (paths.workdir !== undefined) return { ok: true, spec: { ...spec, workdir: paths.workdir } };
  return { ok: true, spec };
}

/**
 * The YAML form of a validated task: the inverse of {@link TaskSchema}, so that a spec can be
 * changed and validated again with the same rules.
 *
 * @example
 * ```ts
 * const input = specToInput(spec);
 * input.num_nodes = 4;
 * validateTaskInput(input);
 * ```
 */
export function specToInput(spec: TaskSpec): Record<string, unknown> {
  const r = spec.resources;
  const resources: Record<string, unknown> = {
    labels: { ...r.labels },
    job_config: {
      max_restarts: r.maxRestarts,
      ...(r.priority === undefined ? {} : { priority: r.priority }),
    },
  };
  if (r.cpus !== undefined) resources.cpus = r.cpus;
  if (r.memory !== undefined) resources.memory = r.memory;
  if (r.accelerators !== undefined) {
    resources.accelerators = `${r.accelerators.name}:${r.accelerators.count}`;
  }
  if (r.imageId !== undefined) resources.image_id = r.imageId;
  const input: Record<string, unknown> = {
    name: spec.name,
    run: spec.run,
    envs: { ...spec.envs },
    num_nodes: spec.numNodes,
    resources,
    file_mounts: { ...spec.fileMounts },
  };
  if (spec.setup !== undefined) input.setup = spec.setup;
  if (spec.workdir !== undefined) input.workdir = spec.workdir;
  return input;
}
