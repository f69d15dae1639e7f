/**
 * Reading a trial's objective out of its result with a path: `val_loss`, `metrics.acc`,
 * `scores.0` (or `scores[0]`), `.` for the whole result, and brackets for a key that holds a dot
 * or other punctuation: `["eval.loss"]`, `metrics['top.1']` (as in lodash and JSONPath; inside
 * `["…"]` the JSON string escapes apply). A path that is exactly one top-level key of the result
 * names that key first, so `eval.loss` finds `{"eval.loss": 0.3}`.
 *
 * @example
 * ```ts
 * readObjective({ metrics: { acc: 0.91 } }, 'metrics.acc'); // { ok: true, value: 0.91 }
 * readObjective({ 'eval.loss': 0.3 }, '["eval.loss"]'); // { ok: true, value: 0.3 }
 * readObjective({ loss: 'n/a' }, 'loss'); // { ok: false, code: 'OBJECTIVE_NOT_A_NUMBER', … }
 * ```
 * @module
 */
import { rawValueAt } from '../result/raw-json.js';

/** The objective, or why there is none. */
export type ObjectiveReading =
  | { readonly ok: true; readonly value: number }
  | {
      readonly ok: false;
      readonly code: 'OBJECTIVE_MISSING' | 'OBJECTIVE_NOT_A_NUMBER';
      readonly reason: string;
    };

/** A parsed objective path: the keys (or indices) to follow, or why the text is no path. */
export type ObjectivePath =
  | { readonly ok: true; readonly segments: readonly string[] }
  | { readonly ok: false; readonly reason: string };

const NAME = /^[^.[\]\s]+/;
const INDEX = /^\[(\d+)\]/;
const DOUBLE_QUOTED = /^\[("(?:[^"\\]|\\.)*")\]/;
const SINGLE_QUOTED = /^\['([^']*)'\]/;

/**
 * Parses an objective path (see the module doc for the syntax).
 *
 * @example
 * ```ts
 * parseObjectivePath('metrics["eval.loss"]'); // { ok: true, segments: ['metrics', 'eval.loss'] }
 * ```
 */
export function parseObjectivePath(path: string): ObjectivePath {
  if (path === '.') return { ok: true, segments: [] };
  const segments: string[] = [];
  let rest = path;
  while (rest !== '' || segments.length === 0) {
    const afterDot = segments.length > 0 && rest.startsWith('.') && !rest.startsWith('.[');
    if (afterDot) rest = rest.slice(1);
    let match: RegExpExecArray | null;
    if ((segments.length === 0 || afterDot) && (match = NAME.exec(rest)) !== null) {
      segments.push(match[0]);
    } else if (!afterDot && (match = INDEX.exec(rest)) !== null) {
      segments.push(match[1] ?? '');
    } else if (!afterDot && (match = DOUBLE_QUOTED.exec(rest)) !== null && isJsonString(match[1])) {
      segments.push(JSON.parse(match[1] ?? '""') as string);
    } else if (!afterDot && (match = SINGLE_QUOTED.exec(rest)) !== null) {
      segments.push(match[1] ?? '');
    } else {
      const at = path.length - rest.length;
      return {
        ok: false,
        reason:
          `objective must be a path such as metrics.acc, scores[0] or ["eval.loss"] (brackets ` +
          `quote a key that holds a dot), or . for the whole result; ${JSON.stringify(path)} ` +
          `is not one at character ${at + 1}`,
      };
    }
    rest = rest.slice(match[0].length);
  }
  return { ok: true, segments };
}

/**
 * Follows `path` into `result` and checks that it ends at a finite number. `text`, the result's
 * JSON text, lets the reason quote a number the parse could not hold (`1e999`).
 */
export function readObjective(result: unknown, path: string, text?: string): ObjectiveReading {
  const parsed = parseObjectivePath(path);
  if (!parsed.ok) return { ok: false, code: 'OBJECTIVE_MISSING', reason: parsed.reason };
  const exact = path !== '.' && isRecord(result) && Object.hasOwn(result, path);
  const segments = exact ? [path] : parsed.segments;
  let node: unknown = result;
  for (const segment of segments) {
    if (Array.isArray(node) && /^\d+$/.test(segment)) node = node[Number(segment)];
    else if (isRecord(node) && Object.hasOwn(node, segment)) node = node[segment];
    else node = undefined;
    if (node === undefined) {
      return {
        ok: false,
        code: 'OBJECTIVE_MISSING',
        reason: `the result has no '${path}' (it has ${describeKeys(result)})`,
      };
    }
  }
  if (typeof node === 'number' && Number.isFinite(node)) return { ok: true, value: node };
  if (typeof node === 'number') {
    // JSON has no Infinity: the job wrote a number beyond a double's range, such as 1e999.
    const written = (text === undefined ? undefined : rawValueAt(text, segments)) ?? String(node);
    return {
      ok: false,
      code: 'OBJECTIVE_NOT_A_NUMBER',
      reason: `the objective '${path}' is a number out of range (it wrote ${written.slice(0, 40)}); a double holds at most ±1.8e308`,
    };
  }
  const shown = JSON.stringify(node);
  return {
    ok: false,
    code: 'OBJECTIVE_NOT_A_NUMBER',
    reason: `the objective '${path}' is ${shown.length > 40 ? `${shown.slice(0, 39)}…` : shown}, not a number`,
  };
}

function isJsonString(text: string | undefined): boolean {
  try {
    return typeof JSON.parse(text ?? '') === 'string';
  } catch {
    return false;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeKeys(value: unknown): string {
  if (typeof value !== 'object' || value === null)
    return `the value ${JSON.stringify(value).slice(0, 40)}`;
  if (Array.isArray(value)) return `a list of ${value.length}`;
  const keys = Object.keys(value);
  if (keys.length === 0) return 'no keys';
  const dotted = keys.find((key) => key.includes('.'));
  const hint =
    dotted === undefined ? '' : `; name a key with a dot in brackets: ${JSON.stringify([dotted])}`;
  return `keys ${keys.slice(0, 8).join(', ')}${hint}`;
}
