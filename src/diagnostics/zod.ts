/**
 * zod issues → {@link Diagnostic}s, worded for people: unknown keys with "did you mean", the
 * union branch the user was writing, and plain messages for checks a schema left unworded.
 *
 * @example
 * ```ts
 * const guide = fieldGuide(ConfigSchema);
 * const parsed = ConfigSchema.safeParse(input, { error: readableError });
 * if (!parsed.success) fromZodIssues(parsed.error.issues, input, guide);
 * // [{ path: ['local', 'capacity', 'gpu'], at: 'key', message: "unknown field 'gpu'; did you mean 'gpus'?" }]
 * ```
 * @module
 */
import { z } from 'zod';
import { fieldsAt, objectLevels, unionOfWords, valuesAt } from './fields.js';
import { describeValue } from './issue.js';
import type { Diagnostic, PathSegment } from './issue.js';
import { closestMatch, normalizeSpelling } from './suggest.js';

/** What the "did you mean" hints of one kind of document know. */
export interface FieldGuide {
  /** The fields allowed in the mapping at `path` (the input picks among a union's shapes). */
  readonly fieldsAt: (path: readonly PathSegment[], input: unknown) => readonly string[];
  /** The mappings with fixed fields, by dotted path: where a misplaced field may belong. */
  readonly levels: ReadonlyMap<string, readonly string[]>;
  /** The closed set of values allowed at `path` (enum members, literals), for value hints. */
  readonly valuesAt?: (path: readonly PathSegment[], input: unknown) => readonly unknown[];
  /** Common mistakes edit distance does not catch, per level; targets are relative to the level. */
  readonly aliases?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Keys that are deliberately not supported, with what to do instead. */
  readonly unsupported?: Readonly<Record<string, string>>;
}

/** A {@link FieldGuide} read from a schema, with optional aliases and unsupported keys. */
export function fieldGuide(
  schema: z.core.$ZodType,
  extra: Pick<FieldGuide, 'aliases' | 'unsupported'> = {},
): FieldGuide {
  return {
    fieldsAt: (path, input) => fieldsAt(schema, path, input),
    valuesAt: (path, input) => valuesAt(schema, path, input),
    levels: objectLevels(schema),
    ...extra,
  };
}

/** What is said about an unknown key: the message and, when there is one, the suggested field. */
export interface UnknownKeyHint {
  readonly message: string;
  /** The full path of the suggested field. */
  readonly suggestion?: readonly string[];
}

/**
 * Describes an unknown key `key` in the mapping at `parent`, with a "did you mean" hint when a
 * field at this level is close, or the same field exists at another level.
 *
 * @example
 * ```ts
 * unknownKey('memroy', ['resources'], taskGuide, input).message; // "unknown field 'memroy'; did you mean 'resources.memory'?"
 * ```
 */
export function unknownKey(
  key: string,
  parent: readonly PathSegment[],
  guide: FieldGuide,
  input: unknown,
): UnknownKeyHint {
  const level = parent.map(String).join('.');
  const allowed = guide.fieldsAt(parent, input);
  const unsupported = guide.unsupported?.[key];
  if (unsupported !== undefined) return { message: `unknown field '${key}': ${unsupported}` };
  const here = guide.aliases?.[level]?.[key] ?? closestMatch(key, allowed);
  if (here !== undefined) {
    const full = level === '' ? here : `${level}.${here}`;
    // Under names the user chose (a sweep parameter's), the field alone reads better.
    const shown = guide.levels.has(level) ? full : here;
    return {
      message: `unknown field '${key}'; did you mean '${shown}'?`,
      suggestion: [...parent.map(String), ...here.split('.')],
    };
  }
  // The right field at the wrong level, e.g. `cpus` at the top instead of under `resources`. Only
  // exact spellings and aliases count there: a loose match at another level is more often wrong.
  for (const [other, fields] of guide.levels) {
    if (other === level) continue;
    const norm = normalizeSpelling(key);
    const match =
      fields.find((f) => normalizeSpelling(f) === norm) ?? guide.aliases?.[other]?.[key];
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

/** The union branch whose issues go deepest, when one goes deeper than the union itself. */
function furthestBranch(
  branches: readonly (readonly z.core.$ZodIssue[])[],
): readonly z.core.$ZodIssue[] | undefined {
  let best: readonly z.core.$ZodIssue[] | undefined;
  let depth = 0;
  for (const branch of branches) {
    for (const issue of branch) {
      const d = issue.path.length + (issue.code === 'unrecognized_keys' ? 1 : 0);
      if (d > depth) {
        best = branch;
        depth = d;
      }
    }
  }
  return best;
}

function collect(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  guide: FieldGuide,
  prefix: readonly PathSegment[],
  out: Diagnostic[],
  suggested: Set<string>,
): void {
  for (const issue of issues) {
    const path = [
      ...prefix,
      ...issue.path.filter((s): s is PathSegment => typeof s === 'string' || typeof s === 'number'),
    ];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const hint = unknownKey(key, path, guide, input);
        if (hint.suggestion !== undefined) suggested.add(hint.suggestion.join('.'));
        out.push({ path: [...path, key], message: hint.message, at: 'key' });
      }
      continue;
    }
    // A union reports every branch: follow the one that got furthest, so the messages and
    // positions are those of the form the user was writing.
    const branch = issue.code === 'invalid_union' ? furthestBranch(issue.errors) : undefined;
    if (branch !== undefined) {
      collect(branch, input, guide, path, out, suggested);
    } else if (issue.code === 'invalid_key') {
      const messages = issue.issues.map((inner) => inner.message);
      out.push({ path, message: messages.join('; ') || issue.message, at: 'key' });
    } else {
      out.push({ path, message: closedSetMessage(issue, path, input, guide), at: 'value' });
    }
  }
}

/**
 * The message of a value problem; where the place takes one of a closed set of words (a sweep
 * parameter's `type`, `direction`, `backend`) and the value is a string near one of them, with
 * "did you mean" — as unknown keys get.
 */
function closedSetMessage(
  issue: z.core.$ZodIssue,
  path: readonly PathSegment[],
  input: unknown,
  guide: FieldGuide,
): string {
  const value = valueAt(input, path);
  if (typeof value !== 'string') return issue.message;
  const allowed = (guide.valuesAt?.(path, input) ?? []).filter(
    (v): v is string => typeof v === 'string',
  );
  if (allowed.length === 0 || allowed.includes(value)) return issue.message;
  const near = closestMatch(value, allowed);
  return near === undefined ? issue.message : `${issue.message}; did you mean '${near}'?`;
}

/**
 * Turns zod issues into {@link Diagnostic}s: one per unknown key, key problems on the key, one
 * problem per place. A "missing required field" issue is dropped when an unknown key already
 * suggests that field (`nmae: x` gives one issue, not two).
 */
export function fromZodIssues(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  guide: FieldGuide,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const suggested = new Set<string>();
  collect(issues, input, guide, [], out, suggested);
  const seen = new Set<string>();
  return out.filter((issue) => {
    const place = `${issue.at} ${JSON.stringify(issue.path)}`;
    if (seen.has(place)) return false;
    seen.add(place);
    return (
      issue.at === 'key' ||
      !suggested.has(issue.path.join('.')) ||
      valueAt(input, issue.path) !== undefined
    );
  });
}

const NOUNS: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping',
  record: 'a mapping',
  map: 'a mapping',
  array: 'a list',
};

function lastKey(path: readonly PropertyKey[]): string {
  const key = path.at(-1);
  return typeof key === 'string' ? key : 'value';
}

function oneOf(values: readonly unknown[]): string {
  const shown = values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  return shown.length <= 1
    ? (shown[0] ?? '')
    : `${shown.slice(0, -1).join(', ')} or ${shown.at(-1) ?? ''}`;
}

function bound(
  origin: string,
  limit: number | bigint,
  inclusive: boolean | undefined,
  side: 'min' | 'max',
): string {
  const n = Number(limit);
  if (origin === 'string') {
    if (side === 'min') return n <= 1 ? 'must not be empty' : `must be at least ${n} characters`;
    return `must be at most ${n} characters`;
  }
  if (origin === 'array' || origin === 'set') {
    return side === 'min' ? `needs at least ${n} item${n === 1 ? '' : 's'}` : `takes at most ${n}`;
  }
  if (side === 'min')
    return inclusive === false ? `must be greater than ${n}` : `must be at least ${n}`;
  return inclusive === false ? `must be less than ${n}` : `must be at most ${n}`;
}

/**
 * A zod error map in the words of task files: "must be a whole number, got 1.5", "must be greater
 * than 0, got 0", "missing required field 'task'". Pass it to `safeParse(input, { error })`; a
 * schema's own messages still win.
 */
export const readableError: z.core.$ZodErrorMap = (issue) => {
  const got = `, got ${describeValue(issue.input)}`;
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return `missing required field '${lastKey(issue.path ?? [])}'`;
      return `must be ${NOUNS[issue.expected] ?? issue.expected}${got}`;
    case 'too_small':
      return `${bound(issue.origin, issue.minimum, issue.inclusive, 'min')}${got}`;
    case 'too_big':
      return `${bound(issue.origin, issue.maximum, issue.inclusive, 'max')}${got}`;
    case 'invalid_value':
      return `must be ${oneOf(issue.values)}${got}`;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}${got}`;
    case 'invalid_format':
      return `${describeValue(issue.input)} does not have the required form`;
    case 'invalid_union': {
      const words =
        issue.inst === undefined ? undefined : unionOfWords(issue.inst as z.core.$ZodType);
      return words === undefined
        ? `is none of the accepted forms${got}`
        : `must be ${oneOf(words)}${got}`;
    }
    default:
      return undefined;
  }
};

/**
 * A zod transform that reads a value with `parse`, whose string result is the problem: it becomes
 * the issue's message.
 */
export function parsedWith<In, Out>(
  parse: (value: In) => Out | string,
): (value: In, ctx: z.core.$RefinementCtx<In>) => Out {
  return (value, ctx) => {
    const parsed = parse(value);
    if (typeof parsed === 'string') {
      ctx.addIssue({ code: 'custom', message: parsed, input: value });
      return z.NEVER;
    }
    return parsed;
  };
}

/**
 * A zod refinement that reports what `problem` finds (a message), or nothing when it finds none.
 */
export function checkedWith<T>(
  problem: (value: T) => string | undefined,
): (value: T, ctx: z.core.$RefinementCtx<T>) => void {
  return (value, ctx) => {
    const message = problem(value);
    if (message !== undefined) ctx.addIssue({ code: 'custom', message, input: value });
  };
}
