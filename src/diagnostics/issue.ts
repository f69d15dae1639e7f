/**
 * A problem found in a document, before and after it is tied to a place in a file: the shared
 * vocabulary of task, sweep and config validation.
 *
 * @example
 * ```ts
 * const raw: Diagnostic = { path: ['resources', 'cpus'], message: 'must be greater than 0, got 0', at: 'value' };
 * formatPath(raw.path); // 'resources.cpus'
 * ```
 * @module
 */
import type { TaskIssue } from '../errors.js';

/** One segment of a field path: a mapping key or a list index. */
export type PathSegment = string | number;

/**
 * A problem found in a document before it is tied to a file position. `at: 'key'` means the
 * mapping key at the end of `path` is at fault (an unknown field, a bad variable name), not its
 * value.
 */
export interface Diagnostic {
  readonly path: readonly PathSegment[];
  readonly message: string;
  readonly at: 'key' | 'value';
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
 * Describes a value for an error message: strings are quoted, collections named by kind.
 *
 * @example
 * ```ts
 * describeValue('4+'); // '"4+"'
 * describeValue([1]); // 'a list'
 * ```
 */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'object':
      return 'a mapping';
    case 'function':
    case 'symbol':
    case 'undefined':
      break;
  }
  return typeof value;
}

/**
 * Issues in document order: by file (the first issue's file first), then line and column; issues
 * without a position last.
 */
export function sortIssues(issues: readonly TaskIssue[]): TaskIssue[] {
  const first = issues[0]?.file;
  return [...issues].sort(
    (a, b) =>
      Number(a.file !== first) - Number(b.file !== first) ||
      (a.line ?? Infinity) - (b.line ?? Infinity) ||
      (a.col ?? 0) - (b.col ?? 0),
  );
}
