/**
 * The field names a zod schema allows at each place of a document, read from the schema itself so
 * that "did you mean" hints and "allowed here" lists never drift from the rules.
 *
 * @example
 * ```ts
 * const schema = z.strictObject({ local: z.strictObject({ capacity: z.strictObject({ gpus: z.number() }) }) });
 * fieldsAt(schema, ['local', 'capacity'], {}); // ['gpus']
 * objectLevels(schema); // Map { '' => ['local'], 'local' => ['capacity'], 'local.capacity' => ['gpus'] }
 * ```
 * @module
 */
import type { z } from 'zod';
import type { PathSegment } from './issue.js';

type Schema = z.core.$ZodType;

interface Def {
  readonly type: string;
  readonly innerType?: Schema;
  readonly in?: Schema;
  readonly shape?: Readonly<Record<string, Schema>>;
  readonly valueType?: Schema;
  readonly element?: Schema;
  readonly options?: readonly Schema[];
  readonly discriminator?: string;
  readonly values?: readonly unknown[];
}

function defOf(schema: Schema): Def {
  return schema._zod.def;
}

// Wrappers that change what a value may be (absent, null, transformed) but not its fields.
const WRAPPERS = new Set([
  'optional',
  'nullable',
  'default',
  'prefault',
  'catch',
  'readonly',
  'nonoptional',
]);

function unwrap(schema: Schema): Schema {
  let current = schema;
  for (let depth = 0; depth < 32; depth++) {
    const def = defOf(current);
    if (WRAPPERS.has(def.type) && def.innerType !== undefined) current = def.innerType;
    else if (def.type === 'pipe' && def.in !== undefined) current = def.in;
    else break;
  }
  return current;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The options of a union that `value` can be, by its discriminator when the union has one. */
function optionsFor(def: Def, value: unknown): readonly Schema[] {
  const options = (def.options ?? []).map(unwrap);
  const key = def.discriminator;
  if (key === undefined || !isRecord(value)) return options;
  const chosen = options.filter((option) => {
    const literal = defOf(option).shape?.[key];
    return literal !== undefined && (defOf(unwrap(literal)).values ?? []).includes(value[key]);
  });
  return chosen.length > 0 ? chosen : options;
}

function keysOf(schema: Schema, value: unknown): string[] {
  const def = defOf(unwrap(schema));
  if (def.type === 'object') return Object.keys(def.shape ?? {});
  if (def.type !== 'union') return [];
  return [...new Set(optionsFor(def, value).flatMap((option) => keysOf(option, value)))];
}

function child(schema: Schema, segment: PathSegment, value: unknown): Schema | undefined {
  const def = defOf(unwrap(schema));
  switch (def.type) {
    case 'object':
      return def.shape?.[String(segment)];
    case 'record':
      return def.valueType;
    case 'array':
      return def.element;
    case 'union':
      for (const option of optionsFor(def, value)) {
        const found = child(option, segment, value);
        if (found !== undefined) return found;
      }
      return undefined;
    default:
      return undefined;
  }
}

/**
 * The fields allowed in the mapping at `path` of a document checked by `schema`. Where a union
 * allows several shapes, the one `input` chose by its discriminator (a sweep parameter's `type`)
 * counts, else all of them.
 */
export function fieldsAt(
  schema: Schema,
  path: readonly PathSegment[],
  input: unknown,
): readonly string[] {
  let node: Schema | undefined = schema;
  let value = input;
  for (const segment of path) {
    if (node === undefined) return [];
    node = child(node, segment, value);
    value =
      isRecord(value) || Array.isArray(value)
        ? (value as Record<PathSegment, unknown>)[segment]
        : undefined;
  }
  return node === undefined ? [] : keysOf(node, value);
}

/**
 * Every mapping with fixed fields reachable from the top through fixed fields, keyed by its dotted
 * path (`''` for the top): where a field written at the wrong level may belong.
 */
export function objectLevels(schema: Schema): ReadonlyMap<string, readonly string[]> {
  const levels = new Map<string, readonly string[]>();
  const visit = (node: Schema, level: string): void => {
    const def = defOf(unwrap(node));
    if (def.type !== 'object' || def.shape === undefined) return;
    levels.set(level, Object.keys(def.shape));
    for (const [key, field] of Object.entries(def.shape)) {
      visit(field, level === '' ? key : `${level}.${key}`);
    }
  };
  visit(schema, '');
  return levels;
}

// Every schema `segment` may lead to: unlike `child`, all of a union's options count, because
// the value that would pick one (a misspelt discriminator) is the value in question.
function children(schema: Schema, segment: PathSegment, value: unknown): Schema[] {
  const def = defOf(unwrap(schema));
  switch (def.type) {
    case 'object': {
      const field = def.shape?.[String(segment)];
      return field === undefined ? [] : [field];
    }
    case 'record':
      return def.valueType === undefined ? [] : [def.valueType];
    case 'array':
      return typeof segment === 'number' && def.element !== undefined ? [def.element] : [];
    case 'union':
      return optionsFor(def, value).flatMap((option) => children(option, segment, value));
    default:
      return [];
  }
}

function closedValues(schema: Schema): unknown[] {
  const node = unwrap(schema);
  const def = defOf(node) as Def & { readonly entries?: Readonly<Record<string, unknown>> };
  if (def.type === 'enum') return Object.values(def.entries ?? {});
  if (def.type === 'literal') return [...(def.values ?? [])];
  if (def.type === 'union') return (def.options ?? []).flatMap(closedValues);
  return [];
}

/**
 * The words a union of literals and enums (`z.union([z.literal('a'), z.enum(['b'])])`) accepts, or
 * undefined when an option takes an open kind of value.
 */
export function unionOfWords(schema: Schema): unknown[] | undefined {
  const def = defOf(unwrap(schema));
  if (def.type !== 'union') return undefined;
  const closed = (def.options ?? []).map(closedValues);
  return closed.every((values) => values.length > 0) ? closed.flat() : undefined;
}

/**
 * The closed set of values (enum members, literals, a union's discriminator values) allowed at
 * `path` of a document checked by `schema`, or none when the place takes an open kind of value.
 *
 * @example
 * ```ts
 * valuesAt(z.object({ backend: z.enum(['local', 'kubernetes']) }), ['backend'], {}); // ['local', 'kubernetes']
 * ```
 */
export function valuesAt(
  schema: Schema,
  path: readonly PathSegment[],
  input: unknown,
): readonly unknown[] {
  let nodes: Schema[] = [schema];
  let value = input;
  for (const segment of path) {
    nodes = nodes.flatMap((node) => children(node, segment, value));
    value =
      isRecord(value) || Array.isArray(value)
        ? (value as Record<PathSegment, unknown>)[segment]
        : undefined;
  }
  return [...new Set(nodes.flatMap(closedValues))];
}
