/**
 * Samplers choose each trial's parameters: {@link GridSampler} (every combination, in order),
 * {@link RandomSampler} (seeded, reproducible) and the TPE sampler in `tpe.ts`.
 *
 * Every sampler is a pure function of the trial index, the finished trials and a generator seeded
 * from `(seed, index)`, so a resumed sweep draws what the interrupted one would have drawn.
 *
 * @example
 * ```ts
 * const sampler = createSampler({ type: 'random' }, space);
 * const params = sampler.suggest(0, [], Rng.forTrial(seed, 0));
 * ```
 * @module
 */
import { UsageError } from '../errors.js';
import type { Rng } from './rng.js';
import { type Params, type ParamValue, type SearchSpace, gridAxis, sampleRandom } from './space.js';
import { TpeSampler, type TpeOptions } from './tpe.js';

/**
 * A finished trial as the samplers see it. `loss` is the objective turned so that lower is better
 * (negated when maximizing); failed trials are not passed.
 */
export interface Observation {
  readonly index: number;
  readonly params: Params;
  readonly loss: number;
}

/** Chooses the parameters of the next trial. */
export interface Sampler {
  /**
   * @param index - the trial's 0-based index.
   * @param history - the trials that finished with an objective, in index order.
   * @param rng - a generator seeded for this trial.
   */
  suggest(index: number, history: readonly Observation[], rng: Rng): Params;
  /** How many trials this sampler can produce (the grid's size), or Infinity. */
  readonly capacity: number;
}

/** Which sampler to use, with its options. */
export type SamplerSpec =
  { readonly type: 'grid' } | { readonly type: 'random' } | ({ readonly type: 'tpe' } & TpeOptions);

/** Independent, evenly distributed draws. */
export class RandomSampler implements Sampler {
  readonly capacity = Infinity;
  readonly #space: SearchSpace;

  constructor(space: SearchSpace) {
    this.#space = space;
  }

  suggest(_index: number, _history: readonly Observation[], rng: Rng): Params {
    return sampleRandom(this.#space, rng);
  }
}

/** One parameter of a grid: its name and its axis. */
type GridAxisEntry = readonly [string, NonNullable<ReturnType<typeof gridAxis>>];

/**
 * Every combination of the parameters' values, the last parameter varying fastest. Needs discrete
 * parameters only (`grid`, `choice`, `int`).
 */
export class GridSampler implements Sampler {
  readonly capacity: number;
  readonly #axes: readonly GridAxisEntry[];

  /** @throws {UsageError} when a parameter is continuous. */
  constructor(space: SearchSpace) {
    const axes: GridAxisEntry[] = [];
    for (const [name, spec] of Object.entries(space)) {
      const axis = gridAxis(spec);
      if (axis === undefined) {
        throw new UsageError(
          `the grid sampler cannot enumerate the ${spec.type} parameter '${name}': ` +
            'give it explicit values (grid: [...]) or use the random or tpe sampler',
        );
      }
      axes.push([name, axis]);
    }
    this.#axes = axes;
    this.capacity = axes.reduce((size, [, axis]) => size * axis.count, 1);
  }

  suggest(index: number): Params {
    const params: Record<string, ParamValue> = {};
    let rest = index % this.capacity;
    for (let i = this.#axes.length - 1; i >= 0; i -= 1) {
      const [name, axis] = this.#axes[i] as GridAxisEntry;
      params[name] = axis.at(rest % axis.count);
      rest = Math.floor(rest / axis.count);
    }
    // Keep the order of the space, not the reverse order of the loop.
    return Object.fromEntries(this.#axes.map(([name]) => [name, params[name] as ParamValue]));
  }
}

/** Creates the sampler a sweep asked for. */
export function createSampler(spec: SamplerSpec, space: SearchSpace): Sampler {
  switch (spec.type) {
    case 'grid':
      return new GridSampler(space);
    case 'random':
      return new RandomSampler(space);
    case 'tpe': {
      const { type: _type, ...options } = spec;
      return new TpeSampler(space, options);
    }
  }
}
