/**
 * The parameter space of a sweep: what each parameter may take, and the helpers the samplers share
 * (drawing at random, enumerating a grid, mapping numbers to and from the sampler's internal scale).
 *
 * @example
 * ```ts
 * const space: SearchSpace = {
 *   lr: { type: 'loguniform', low: 1e-4, high: 1e-1 },
 *   width: { type: 'int', low: 16, high: 256, step: 16 },
 *   optimizer: { type: 'choice', values: ['adam', 'sgd'] },
 * };
 * sampleRandom(space, Rng.forTrial(0, 0)); // { lr: 0.0031…, width: 112, optimizer: 'sgd' }
 * ```
 * @module
 */
import type { Rng } from './rng.js';

/** A parameter value: what reaches the trial (as text in an environment variable). */
export type ParamValue = number | string | boolean;

/** One trial's parameters, by name. */
export type Params = Readonly<Record<string, ParamValue>>;

/** A float drawn evenly from [low, high]. */
export interface UniformParam {
  readonly type: 'uniform';
  readonly low: number;
  readonly high: number;
}

/** A float whose logarithm is drawn evenly: for learning rates and other scales. `low > 0`. */
export interface LogUniformParam {
  readonly type: 'loguniform';
  readonly low: number;
  readonly high: number;
}

/** An integer in [low, high] (both included), on a `step` grid, optionally on a log scale. */
export interface IntParam {
  readonly type: 'int';
  readonly low: number;
  readonly high: number;
  /** @default 1 */
  readonly step?: number;
  /** Draw on a log scale (needs `low >= 1` and `step` 1). @default false */
  readonly log?: boolean;
}

/** One of a list of values, unordered. */
export interface ChoiceParam {
  readonly type: 'choice';
  readonly values: readonly ParamValue[];
}

/**
 * Explicit values to try. The grid sampler enumerates them; the random and TPE samplers treat them
 * like a `choice`.
 */
export interface GridParam {
  readonly type: 'grid';
  readonly values: readonly ParamValue[];
}

/** One parameter's definition. */
export type ParamSpec = UniformParam | LogUniformParam | IntParam | ChoiceParam | GridParam;

/** Every parameter of a sweep, by name, in the order they are written. */
export type SearchSpace = Readonly<Record<string, ParamSpec>>;

/** True for parameters whose values are a list (categorical). */
export function isCategorical(spec: ParamSpec): spec is ChoiceParam | GridParam {
  return spec.type === 'choice' || spec.type === 'grid';
}

/** True when a numeric parameter is handled on a log scale. */
export function isLogScale(spec: ParamSpec): boolean {
  return spec.type === 'loguniform' || (spec.type === 'int' && spec.log === true);
}

/**
 * The interval the samplers work in for a numeric parameter: log-transformed for log scales, and
 * widened by half a step for integers so that each integer gets an equal share.
 */
export function internalBounds(spec: UniformParam | LogUniformParam | IntParam): {
  low: number;
  high: number;
} {
  if (spec.type === 'int') {
    const half = (spec.step ?? 1) / 2;
    if (spec.log === true)
      return { low: Math.log(spec.low - 0.5), high: Math.log(spec.high + 0.5) };
    return { low: spec.low - half, high: spec.high + half };
  }
  if (spec.type === 'loguniform') return { low: Math.log(spec.low), high: Math.log(spec.high) };
  return { low: spec.low, high: spec.high };
}

/** Maps a parameter value to the sampler's internal scale. */
export function toInternal(spec: UniformParam | LogUniformParam | IntParam, value: number): number {
  return isLogScale(spec) ? Math.log(value) : value;
}

/** Maps a number on the internal scale back to a valid parameter value. */
export function fromInternal(
  spec: UniformParam | LogUniformParam | IntParam,
  internal: number,
): number {
  const raw = isLogScale(spec) ? Math.exp(internal) : internal;
  if (spec.type === 'int') {
    const step = spec.step ?? 1;
    const snapped = spec.low + Math.round((raw - spec.low) / step) * step;
    const top = spec.low + Math.floor((spec.high - spec.low) / step) * step;
    return Math.min(top, Math.max(spec.low, snapped));
  }
  return Math.min(spec.high, Math.max(spec.low, raw));
}

/** Draws one value of one parameter evenly (on its scale). */
export function sampleParam(spec: ParamSpec, rng: Rng): ParamValue {
  if (isCategorical(spec)) return spec.values[rng.int(0, spec.values.length - 1)] as ParamValue;
  const { low, high } = internalBounds(spec);
  return fromInternal(spec, rng.uniform(low, high));
}

/** Draws every parameter evenly, in the order of the space. */
export function sampleRandom(space: SearchSpace, rng: Rng): Params {
  const params: Record<string, ParamValue> = {};
  for (const [name, spec] of Object.entries(space)) params[name] = sampleParam(spec, rng);
  return params;
}

/**
 * The values a grid sampler goes through for one parameter, as a count and the value at each
 * position (computed, never listed: an `int` from 0 to 10^12 costs nothing), or undefined for a
 * continuous one.
 */
export function gridAxis(
  spec: ParamSpec,
): { readonly count: number; readonly at: (position: number) => ParamValue } | undefined {
  if (isCategorical(spec)) {
    const { values } = spec;
    return { count: values.length, at: (position) => values[position] as ParamValue };
  }
  if (spec.type !== 'int') return undefined;
  const step = spec.step ?? 1;
  return {
    count: Math.floor((spec.high - spec.low) / step) + 1,
    at: (position) => spec.low + position * step,
  };
}

/** The number of points of the full grid over `space`; Infinity when a parameter is continuous. */
export function gridSize(space: SearchSpace): number {
  let size = 1;
  for (const spec of Object.values(space)) {
    const axis = gridAxis(spec);
    if (axis === undefined) return Infinity;
    size *= axis.count;
  }
  return size;
}

/** The text a value reaches the trial as: `String()` of it, which round-trips every float. */
export function formatParamValue(value: ParamValue): string {
  return String(value);
}
