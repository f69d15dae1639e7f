/**
 * Validation shared by task files, `Task` objects and overrides: runs {@link TaskSchema}, turns its
 * issues into located-later {@link RawTaskIssue}s, and resolves and checks local paths.
 * @module
 */
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import type { z } from 'zod';
import { JOB_CONFIG_FIELDS, RESOURCES_FIELDS, TASK_FIELDS, TaskSchema } from './schema.js';
import { closestMatch } from './suggest.js';
import type { TaskSpec } from './types.js';

/** One segment of a field path: a mapping key or a list index. */
export type PathSegment = string | number;

/**
 * A problem found in a task before it is tied to a file position. `at: 'key'` means the mapping key
 * at the end of `path` is at fault (an unknown field, a bad variable name), not its value.
 */
export interface RawTaskIssue {
  readonly path: readonly PathSegment[];
  readonly message: string;
  readonly at: 'key' | 'value';
}

/** The result of {@link validateTaskInput}. */
export type TaskValidation =
  | { readonly ok: true; readonly spec: TaskSpec }
  | { readonly ok: false; readonly issues: readonly RawTaskIssue[] };

const FIELDS_AT: Readonly<Record<string, readonly string[]>> = {
  '': TASK_FIELDS,
  resources: RESOURCES_FIELDS,
  'resources.job_config': JOB_CONFIG_FIELDS,
};

// Common mistakes that edit distance does not catch, per level; targets are relative to the level.
const ALIASES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
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
};

// Fields of the original Konduktor (or SkyPilot) that konduktor deliberately lacks.
const UNSUPPORTED: Readonly<Record<string, string>> = {
  cloud: 'konduktor has no cloud field; choose where the job runs with --backend',
  serving: 'serving deployments are not supported; konduktor runs batch jobs',
  service: 'services are not supported; konduktor runs batch jobs',
  disk_size: 'disk_size is not supported',
  completions: 'completions is not supported; every node runs once per attempt',
};

function levelKey(path: readonly PathSegment[]): string {
  return path.map(String).join('.');
}

function normalize(word: string): string {
  return word.toLowerCase().replace(/[-_\s]/g, '');
}

/** What is said about an unknown key: the message and, when there is one, the suggested field. */
export interface UnknownKeyHint {
  readonly message: string;
  /** The full path of the suggested field. */
  readonly suggestion?: readonly string[];
}

/**
 * Describes an unknown key `key` in the mapping at `parent`, with a "did you mean" hint when a field
 * at this level is close, or the same field exists at another level.
 *
 * @example
 * ```ts
 * unknownKey('memroy', ['resources']).message; // "unknown field 'memroy'; did you mean 'resources.memory'?"
 * unknownKey('cpus', []).message; // "unknown field 'cpus'; did you mean 'resources.cpus'?"
 * ```
 */
export function unknownKey(key: string, parent: readonly PathSegment[]): UnknownKeyHint {
  const level = levelKey(parent);
  const allowed = FIELDS_AT[level] ?? [];
  const unsupported = UNSUPPORTED[key];
  if (unsupported !== undefined) return { message: `unknown field '${key}': ${unsupported}` };
  const here = ALIASES[level]?.[key] ?? closestMatch(key, allowed);
  if (here !== undefined) {
    const full = level === '' ? here : `${level}.${here}`;
    return {
      message: `unknown field '${key}'; did you mean '${full}'?`,
      suggestion: full.split('.'),
    };
  }
  // The right field at the wrong level, e.g. `cpus` at the top instead of under `resources`. Only
  // exact spellings and aliases count there: a loose match at another level is more often wrong.
  for (const [other, fields] of Object.entries(FIELDS_AT)) {
    if (other === level) continue;
    const match = fields.find((f) => normalize(f) === normalize(key)) ?? ALIASES[other]?.[key];
    if (match === undefined) continue;
    const full = other === '' ? match : `${other}.${match}`;
    const where = other === '' ? ' (at the top level)' : '';
    return {
      message: `unknown field '${key}'; did you mean '${full}'${where}?`,
      suggestion: full.split('.'),
    };
  }
  return { message: `unknown field '${key}' (allowed here: ${allowed.join(', ')})` };
}

function valueAt(input: unknown, path: readonly PathSegment[]): unknown {
  let node = input;
  for (const segment of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PathSegment, unknown>)[segment];
  }
  return node;
}

/**
 * Turns zod issues into {@link RawTaskIssue}s: one per unknown key, key problems on the key. A
 * "missing required field" issue is dropped when an unknown key already suggests that field
 * (`nmae: x` gives one issue, not two).
 *
 * @example
 * ```ts
 * const input = { nmae: 'x', run: 'true' };
 * const result = TaskSchema.safeParse(input);
 * if (!result.success) fromZodIssues(result.error.issues, input);
 * // [{ path: ['nmae'], at: 'key', message: "unknown field 'nmae'; did you mean 'name'?" }]
 * ```
 */
export function fromZodIssues(issues: readonly z.core.$ZodIssue[], input: unknown): RawTaskIssue[] {
  const out: RawTaskIssue[] = [];
  const suggested = new Set<string>();
  for (const issue of issues) {
    const path = issue.path.filter(
      (s): s is PathSegment => typeof s === 'string' || typeof s === 'number',
    );
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const hint = unknownKey(key, path);
        if (hint.suggestion !== undefined) suggested.add(hint.suggestion.join('.'));
        out.push({ path: [...path, key], message: hint.message, at: 'key' });
      }
    } else if (issue.code === 'invalid_key') {
      const messages = issue.issues.map((inner) => inner.message);
      out.push({ path, message: messages.join('; ') || issue.message, at: 'key' });
    } else {
      out.push({ path, message: issue.message, at: 'value' });
    }
  }
  return out.filter(
    (issue) =>
      issue.at === 'key' ||
      !suggested.has(issue.path.join('.')) ||
      valueAt(input, issue.path) !== undefined,
  );
}

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
  const result = TaskSchema.safeParse(input);
  if (result.success) return { ok: true, spec: result.data };
  return { ok: false, issues: fromZodIssues(result.error.issues, input) };
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
 * Formats a field path for people: `resources.cpus`, `envs.FOO`, `file_mounts["/data"]`.
 *
 * @example
 * ```ts
 * formatPath(['resources', 'labels', 'kueue.x-k8s.io/queue-name']);
 * // 'resources.labels["kueue.x-k8s.io/queue-name"]'
 * ```
 */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
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
