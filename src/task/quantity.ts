/**
 * Quantities in task and config files: CPUs and GiB of memory per node (a number or a numeric
 * string, with hints for the units people write by habit: `4+`, `500m`, `16Gi`) and whole
 * numbers (`num_nodes`, `max_restarts`, sweep `trials`).
 *
 * @example
 * ```ts
 * parseQuantity('0.5', 'cpus'); // 0.5
 * parseQuantity('16Gi', 'memory'); // '"16Gi" is not a number: memory is counted in GiB, so write 16 for 16Gi'
 * parseWholeNumber('3', 1); // 3
 * ```
 * @module
 */
import { z } from 'zod';
import { describeValue } from '../diagnostics/issue.js';
import { parsedWith } from '../diagnostics/zod.js';

/** What a quantity counts: CPUs per node, or memory per node in GiB. */
export type QuantityKind = 'cpus' | 'memory';

// A sign is part of the number: `-1` is a number that is too small, not text (`--memory -1`).
const DECIMAL = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

function formatNumber(n: number): string {
  return String(Number(n.toFixed(4)));
}

/**
 * Reads a count of CPUs or GiB from a number or a numeric string; returns the problem, with a
 * hint for unit suffixes, as a string.
 */
export function parseQuantity(value: number | string, kind: QuantityKind): number | string {
  const what = kind === 'cpus' ? 'the number of CPUs per node' : 'the memory per node in GiB';
  const example = kind === 'cpus' ? 'such as 4 or 0.5' : 'such as 16 or 0.5';
  let n: number;
  if (typeof value === 'number') {
    n = value;
  } else {
    const text = value.trim();
    if (!DECIMAL.test(text))
      return `${JSON.stringify(value)} is not a number: ${unitHint(text, kind) ?? `give ${what}, ${example}`}`;
    n = Number(text);
  }
  if (!Number.isFinite(n)) return `must be a finite number ${example}, got ${describeValue(value)}`;
  // Numeric text is named as the number, as YAML's `memory: -1` is: the flag's "-1" says the same.
  if (n <= 0) return `must be greater than 0, got ${describeValue(n)}`;
  return n;
}

function unitHint(text: string, kind: QuantityKind): string | undefined {
  const plus = /^(\d+(?:\.\d+)?)\s*\+$/.exec(text);
  if (plus?.[1] !== undefined) {
    const what = kind === 'cpus' ? 'number of CPUs per node' : 'memory per node in GiB';
    return `give the exact ${what}, such as ${plus[1]}; minimums like "${text}" are not supported`;
  }
  if (kind === 'cpus') {
    const milli = /^(\d+(?:\.\d+)?)\s*m$/.exec(text);
    if (milli?.[1] !== undefined) {
      return `CPUs are counted in cores, so write ${formatNumber(Number(milli[1]) / 1000)} for ${text}`;
    }
    return undefined;
  }
  const unit = /^(\d+(?:\.\d+)?)\s*([KMGT])(i?B?|b)?$/i.exec(text);
  if (unit?.[1] === undefined || unit[2] === undefined) return undefined;
  const scale: Record<string, number> = { K: 1 / 1024 ** 2, M: 1 / 1024, G: 1, T: 1024 };
  const gib = Number(unit[1]) * (scale[unit[2].toUpperCase()] ?? 1);
  return `memory is counted in GiB, so write ${formatNumber(gib)} for ${text}`;
}

/** Reads a whole number (or a string of digits) of at least `min`; returns the problem as a string. */
export function parseWholeNumber(value: number | string, min: number): number | string {
  const n =
    typeof value === 'number' ? value : /^\s*[-+]?\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min) {
    // Whole-number text is named as the number (`--num-nodes -1` as `num_nodes: -1`).
    const got = Number.isSafeInteger(n) ? n : value;
    return `must be a whole number of at least ${min}, got ${describeValue(got)}`;
  }
  return n;
}

/** A zod schema of a number that may be written as text; its output is the number. */
export type NumberSchema = z.ZodPipe<
  z.ZodUnion<readonly [z.ZodNumber, z.ZodString]>,
  z.ZodTransform<number, number | string>
>;

/** A zod schema of a number or numeric text, read by `parse`; `wrongType` words other inputs. */
function numberFromText(
  wrongType: (input: unknown) => string,
  parse: (value: number | string) => number | string,
): NumberSchema {
  return z
    .union([z.number(), z.string()], { error: (iss) => wrongType(iss.input) })
    .transform(parsedWith(parse));
}

/** A zod schema of a count of CPUs or GiB per node, read by {@link parseQuantity}. */
export function quantity(kind: QuantityKind): NumberSchema {
  const example = kind === 'cpus' ? 'such as 4 or 0.5' : 'in GiB, such as 16';
  return numberFromText(
    (input) => `must be a number ${example}, got ${describeValue(input)}`,
    (value) => parseQuantity(value, kind),
  );
}

/** A zod schema of a whole number of at least `min`, read by {@link parseWholeNumber}. */
export function wholeNumber(min: number): NumberSchema {
  return numberFromText(
    (input) => `must be a whole number of at least ${min}, got ${describeValue(input)}`,
    (value) => parseWholeNumber(value, min),
  );
}
