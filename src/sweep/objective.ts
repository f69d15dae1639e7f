/**
 * Reading a trial's objective out of its result with a dotted path (`val_loss`, `metrics.acc`,
 * `scores.0`; `.` is the whole result).
 *
 * @example
 * ```ts
 * readObjective({ metrics: { acc: 0.91 } }, 'metrics.acc'); // { ok: true, value: 0.91 }
 * readObjective({ loss: 'n/a' }, 'loss'); // { ok: false, code: 'OBJECTIVE_NOT_A_NUMBER', … }
 * ```
 * @module
 */

/** The objective, or why there is none. */
export type ObjectiveReading =
  | { readonly ok: true; readonly value: number }
  | {
      readonly ok: false;
      readonly code: 'OBJECTIVE_MISSING' | 'OBJECTIVE_NOT_A_NUMBER';
      readonly reason: string;
    };

/** Follows `path` into `result` and checks that it ends at a finite number. */
export function readObjective(result: unknown, path: string): ObjectiveReading {
  let node: unknown = result;
  if (path !== '.') {
    for (const segment of path.split('.')) {
      if (Array.isArray(node) && /^\d+$/.test(segment)) node = node[Number(segment)];
      else if (
        typeof node === 'object' &&
        node !== null &&
        !Array.isArray(node) &&
        Object.hasOwn(node, segment)
      ) {
        node = (node as Record<string, unknown>)[segment];
      } else {
        node = undefined;
      }
      if (node === undefined) {
        return {
          ok: false,
          code: 'OBJECTIVE_MISSING',
          reason: `the result has no '${path}' (it has ${describeKeys(result)})`,
        };
      }
    }
  }
  if (typeof node === 'number' && Number.isFinite(node)) return { ok: true, value: node };
  const shown = JSON.stringify(node);
  return {
    ok: false,
    code: 'OBJECTIVE_NOT_A_NUMBER',
    reason: `the objective '${path}' is ${shown.length > 40 ? `${shown.slice(0, 39)}…` : shown}, not a number`,
  };
}

function describeKeys(value: unknown): string {
  if (typeof value !== 'object' || value === null)
    return `the value ${JSON.stringify(value).slice(0, 40)}`;
  if (Array.isArray(value)) return `a list of ${value.length}`;
  const keys = Object.keys(value);
  return keys.length === 0 ? 'no keys' : `keys ${keys.slice(0, 8).join(', ')}`;
}
