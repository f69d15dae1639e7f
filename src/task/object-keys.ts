/**
 * The keys of the object API ({@link TaskOptions}, {@link ResourcesOptions}) and the YAML fields
 * they set: one table, from which the unknown-key check, its "did you mean" and the translation of
 * issue paths into the object API's names all follow.
 *
 * The object API accepts exactly the camelCase keys of its option types; the YAML spellings
 * (`num_nodes`, `image_id`) and any other key are refused with a suggestion, as unknown YAML keys
 * are.
 *
 * @example
 * ```ts
 * objectKeyIssues({ name: 'a', run: 'b', num_nodes: 2 }, undefined);
 * // [{ path: ['num_nodes'], at: 'key', message: "unknown field 'num_nodes'; did you mean 'numNodes'?" }]
 * ```
 * @module
 */
import type { Diagnostic, PathSegment } from '../diagnostics/issue.js';
import { describeValue } from '../diagnostics/issue.js';
import { unknownKey, type FieldGuide } from '../diagnostics/zod.js';
import type { ResourcesOptions, TaskOptions } from './task.js';
import { TASK_GUIDE } from './validate.js';

// The YAML field each option sets. The mapped types make a new option without an entry (or an
// entry without an option) fail to compile.
const TASK_KEYS: { readonly [K in keyof TaskOptions]-?: string } = {
  name: 'name',
  run: 'run',
  setup: 'setup',
  envs: 'envs',
  workdir: 'workdir',
  numNodes: 'num_nodes',
  fileMounts: 'file_mounts',
};

const RESOURCES_KEYS: { readonly [K in keyof ResourcesOptions]-?: string } = {
  cpus: 'resources.cpus',
  memory: 'resources.memory',
  accelerators: 'resources.accelerators',
  imageId: 'resources.image_id',
  labels: 'resources.labels',
  maxRestarts: 'resources.job_config.max_restarts',
  priority: 'resources.job_config.priority',
};

// YAML field → object path, e.g. 'resources.job_config.max_restarts' → ['resources', 'maxRestarts'].
const OBJECT_PATH = new Map<string, readonly string[]>([
  ...Object.entries(TASK_KEYS).map(([key, field]): [string, string[]] => [field, [key]]),
  ...Object.entries(RESOURCES_KEYS).map(([key, field]): [string, string[]] => [
    field,
    ['resources', key],
  ]),
  ['resources', ['resources']],
  // job_config has no object of its own: its fields are options of Resources.
  ['resources.job_config', ['resources']],
]);

/**
 * A path in the YAML form of a task in the object API's names: `num_nodes` → `numNodes`,
 * `resources.job_config.max_restarts` → `resources.maxRestarts`; map keys below stay as they are.
 */
export function toObjectPath(path: readonly PathSegment[]): readonly PathSegment[] {
  for (let n = Math.min(path.length, 3); n > 0; n--) {
    const mapped = OBJECT_PATH.get(path.slice(0, n).join('.'));
    if (mapped !== undefined) return [...mapped, ...path.slice(n)];
  }
  return path;
}

/** The YAML aliases ("did you mean" for common mistakes) with object-API targets, per level. */
function objectAliases(): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = { '': {}, resources: {} };
  for (const [level, aliases] of Object.entries(TASK_GUIDE.aliases ?? {})) {
    for (const [alias, target] of Object.entries(aliases)) {
      const full = level === '' ? target : `${level}.${target}`;
      const path = OBJECT_PATH.get(full);
      if (path === undefined) continue;
      const objectLevel = path.length === 1 ? '' : 'resources';
      (out[objectLevel] ??= {})[alias] = path.at(-1) ?? '';
    }
  }
  return out;
}

const OBJECT_GUIDE: FieldGuide = {
  fieldsAt: (path) => (path.length === 0 ? Object.keys(TASK_KEYS) : Object.keys(RESOURCES_KEYS)),
  levels: new Map([
    ['', Object.keys(TASK_KEYS)],
    ['resources', Object.keys(RESOURCES_KEYS)],
  ]),
  aliases: objectAliases(),
  unsupported: {
    ...TASK_GUIDE.unsupported,
    resources: 'set resources with task.setResources(new Resources({ … }))',
    resource: 'set resources with task.setResources(new Resources({ … }))',
    job_config: 'give maxRestarts and priority as options of Resources',
    jobConfig: 'give maxRestarts and priority as options of Resources',
  },
};

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The result of {@link objectKeyIssues}. */
export interface ObjectKeyCheck {
  /** One problem per key the object API does not accept (or options that are not an object). */
  readonly issues: readonly Diagnostic[];
  /**
   * The dotted paths the issues suggest (`numNodes` for `num_nodes`): a "missing" problem of such
   * a field is the same mistake, said twice.
   */
  readonly suggested: ReadonlySet<string>;
}

/**
 * Checks the keys of a task's and its resources' options: options that are not an object, and
 * every key the object API does not accept, with a suggestion.
 */
export function objectKeyIssues(task: unknown, resources: unknown): ObjectKeyCheck {
  const issues: Diagnostic[] = [];
  const suggested = new Set<string>();
  const check = (options: unknown, parent: readonly string[], what: string): void => {
    if (options === undefined) return;
    if (!isPlainObject(options)) {
      issues.push({
        path: parent,
        at: 'value',
        message: `the options of ${what} must be an object, got ${describeValue(options)}`,
      });
      return;
    }
    const allowed = OBJECT_GUIDE.fieldsAt(parent, options);
    for (const key of Object.keys(options)) {
      if (allowed.includes(key)) continue;
      const hint = unknownKey(key, parent, OBJECT_GUIDE, options);
      if (hint.suggestion !== undefined) suggested.add(hint.suggestion.join('.'));
      issues.push({ path: [...parent, key], at: 'key', message: hint.message });
    }
  };
  check(task, [], 'a Task');
  check(resources, ['resources'], 'Resources');
  return { issues, suggested };
}
