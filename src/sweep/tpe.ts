/**
 * The tree-structured Parzen estimator (TPE) sampler, univariate, after Optuna's `TPESampler`
 * (Bergstra et al., 2011; Watanabe, 2023):
 *
 * 1. the first `nStartupTrials` trials are drawn at random;
 * 2. then the finished trials are split at the γ quantile of the loss into the good ones (`l`) and
 *    the rest (`g`);
 * 3. for each parameter on its own, a Parzen estimator (a mixture of truncated normals, or
 *    weighted counts for categorical parameters, each with a flat prior component) is fitted to
 *    `l` and to `g`;
 * 4. `nCandidates` values are drawn from `l` and the one with the largest `l(x) / g(x)` is kept.
 *
 * @example
 * ```ts
 * const tpe = new TpeSampler(space, { nStartupTrials: 10 });
 * const params = tpe.suggest(index, finishedTrials, Rng.forTrial(seed, index));
 * ```
 * @module
 */
import type { Rng } from './rng.js';
import type { Observation, Sampler } from './sampler.js';
import {
  type ChoiceParam,
  type GridParam,
  type ParamSpec,
  type Params,
  type ParamValue,
  type SearchSpace,
  fromInternal,
  internalBounds,
  isCategorical,
  sampleParam,
  sampleRandom,
  toInternal,
} from './space.js';

/** Options of {@link TpeSampler}; the defaults are Optuna's. */
export interface TpeOptions {
  /** Trials drawn at random before TPE starts. @default 10 */
  readonly nStartupTrials?: number;
  /** Candidates drawn from `l` per parameter. @default 24 */
  readonly nCandidates?: number;
  /**
   * The fraction of finished trials counted as good. Unset: Optuna's rule, `min(ceil(0.1 n), 25)`
   * trials.
   */
  readonly gamma?: number;
  /** The weight of the flat prior component of each estimator. @default 1 */
  readonly priorWeight?: number;
}

/** How many of `n` finished trials are good. */
function goodCount(n: number, gamma: number | undefined): number {
  const count = gamma === undefined ? Math.min(Math.ceil(0.1 * n), 25) : Math.ceil(gamma * n);
  return Math.min(n, Math.max(1, count));
}

/** Optuna's weights by age: the 25 newest trials weigh 1, older ones ramp down towards 1/n. */
function ageWeights(n: number): number[] {
  if (n < 25) return Array.from({ length: n }, () => 1);
  const ramp = n - 25;
  const weights: number[] = [];
  for (let i = 0; i < ramp; i += 1)
    weights.push(ramp === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (ramp - 1));
  for (let i = 0; i < 25; i += 1) weights.push(1);
  return weights;
}

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** The error function, to about 1e-7 (Abramowitz and Stegun 7.1.26). */
function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const poly =
    t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign * (1 - poly * Math.exp(-a * a));
}

const normalCdf = (z: number): number => 0.5 * (1 + erf(z / Math.SQRT2));

function logSumExp(values: readonly number[]): number {
  let max = -Infinity;
  for (const v of values) if (v > max) max = v;
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (const v of values) sum += Math.exp(v - max);
  return max + Math.log(sum);
}

/** A mixture of normals truncated to [low, high]: one per observation, plus the prior. */
class NumericParzen {
  readonly #mus: number[];
  readonly #sigmas: number[];
  readonly #logWeights: number[];
  readonly #weights: number[];
  readonly #logNorms: number[];
  readonly #low: number;
  readonly #high: number;

  constructor(
    values: readonly number[],
    weights: readonly number[],
    low: number,
    high: number,
    priorWeight: number,
  ) {
    this.#low = low;
    this.#high = high;
    const span = high - low;
    const mus = [...values, 0.5 * (low + high)];
    const rawWeights = [...weights, priorWeight];
    const order = mus.map((_, i) => i).sort((a, b) => (mus[a] as number) - (mus[b] as number));
    const sorted = order.map((i) => mus[i] as number);
    const sigmas = new Array<number>(mus.length).fill(span);
    // Each kernel is as wide as the larger gap to its neighbours (the bounds count as neighbours);
    // the end kernels look inwards only.
    for (let k = 0; k < sorted.length; k += 1) {
      const here = sorted[k] as number;
      const left = k === 0 ? undefined : here - (sorted[k - 1] as number);
      const right = k === sorted.length - 1 ? undefined : (sorted[k + 1] as number) - here;
      const sigma =
        left === undefined ? (right ?? span) : right === undefined ? left : Math.max(left, right);
      sigmas[order[k] as number] = sigma;
    }
    sigmas[mus.length - 1] = span;
    // Optuna's "magic clip": kernels never get narrower than the span over the number of kernels.
    const minSigma = span / Math.min(100, 1 + mus.length);
    for (let i = 0; i < sigmas.length; i += 1) {
      sigmas[i] = Math.min(span, Math.max(minSigma, sigmas[i] as number));
    }
    const total = rawWeights.reduce((a, b) => a + b, 0);
    this.#mus = mus;
    this.#sigmas = sigmas;
    this.#weights = rawWeights.map((w) => w / total);
    this.#logWeights = this.#weights.map((w) => Math.log(w));
    this.#logNorms = mus.map((mu, i) => {
      const s = sigmas[i] as number;
      return Math.log(Math.max(1e-300, normalCdf((high - mu) / s) - normalCdf((low - mu) / s)));
    });
  }

  sample(rng: Rng): number {
    const k = rng.weighted(this.#weights);
    const mu = this.#mus[k] as number;
    const sigma = this.#sigmas[k] as number;
    // Every kernel's mean lies inside the bounds, so rejection ends quickly.
    for (let tries = 0; tries < 100; tries += 1) {
      const x = mu + sigma * rng.normal();
      if (x >= this.#low && x <= this.#high) return x;
    }
    return Math.min(this.#high, Math.max(this.#low, mu));
  }

  logPdf(x: number): number {
    const terms = this.#mus.map((mu, i) => {
      const s = this.#sigmas[i] as number;
      const z = (x - mu) / s;
      return (
        (this.#logWeights[i] as number) -
        0.5 * z * z -
        Math.log(s) -
        LOG_SQRT_2PI -
        (this.#logNorms[i] as number)
      );
    });
    return logSumExp(terms);
  }
}

/** Weighted counts over the categories, with the prior spread evenly over them. */
class CategoricalParzen {
  readonly #probabilities: number[];

  constructor(
    indices: readonly number[],
    weights: readonly number[],
    size: number,
    priorWeight: number,
  ) {
    const counts = new Array<number>(size).fill(priorWeight / size);
    indices.forEach((c, i) => {
      counts[c] = (counts[c] ?? 0) + (weights[i] ?? 0);
    });
    const total = counts.reduce((a, b) => a + b, 0);
    this.#probabilities = counts.map((c) => c / total);
  }

  sample(rng: Rng): number {
    return rng.weighted(this.#probabilities);
  }

  logPdf(index: number): number {
    return Math.log(this.#probabilities[index] ?? 0);
  }
}

/** Optuna-style univariate TPE. See the module documentation. */
export class TpeSampler implements Sampler {
  readonly capacity = Infinity;
  readonly #space: SearchSpace;
  readonly #nStartup: number;
  readonly #nCandidates: number;
  readonly #gamma: number | undefined;
  readonly #priorWeight: number;

  constructor(space: SearchSpace, options: TpeOptions = {}) {
    this.#space = space;
    this.#nStartup = options.nStartupTrials ?? 10;
    this.#nCandidates = options.nCandidates ?? 24;
    this.#gamma = options.gamma;
    this.#priorWeight = options.priorWeight ?? 1;
  }

  suggest(_index: number, history: readonly Observation[], rng: Rng): Params {
    if (history.length < this.#nStartup) return sampleRandom(this.#space, rng);
    const ranked = [...history].sort((a, b) => a.loss - b.loss || a.index - b.index);
    const nGood = goodCount(ranked.length, this.#gamma);
    // Within each group, weights depend on age, so order the groups by trial index.
    const byIndex = (a: Observation, b: Observation): number => a.index - b.index;
    const good = ranked.slice(0, nGood).sort(byIndex);
    const bad = ranked.slice(nGood).sort(byIndex);
    const params: Record<string, ParamValue> = {};
    for (const [name, spec] of Object.entries(this.#space)) {
      params[name] = this.#suggestParam(name, spec, good, bad, rng);
    }
    return params;
  }

  #suggestParam(
    name: string,
    spec: ParamSpec,
    good: readonly Observation[],
    bad: readonly Observation[],
    rng: Rng,
  ): ParamValue {
    if (isCategorical(spec)) return this.#suggestCategorical(name, spec, good, bad, rng);
    const bounds = internalBounds(spec);
    const fit = (group: readonly Observation[]): NumericParzen => {
      const values: number[] = [];
      for (const o of group) {
        const v = o.params[name];
        if (typeof v === 'number' && Number.isFinite(v)) values.push(toInternal(spec, v));
      }
      return new NumericParzen(
        values,
        ageWeights(values.length),
        bounds.low,
        bounds.high,
        this.#priorWeight,
      );
    };
    const l = fit(good);
    const g = fit(bad);
    let best: number | undefined;
    let bestScore = -Infinity;
    for (let i = 0; i < this.#nCandidates; i += 1) {
      const x = l.sample(rng);
      const score = l.logPdf(x) - g.logPdf(x);
      if (best === undefined || score > bestScore) {
        best = x;
        bestScore = score;
      }
    }
    return best === undefined ? sampleParam(spec, rng) : fromInternal(spec, best);
  }

  #suggestCategorical(
    name: string,
    spec: ChoiceParam | GridParam,
    good: readonly Observation[],
    bad: readonly Observation[],
    rng: Rng,
  ): ParamValue {
    const fit = (group: readonly Observation[]): CategoricalParzen => {
      const indices: number[] = [];
      for (const o of group) {
        const at = spec.values.indexOf(o.params[name] as ParamValue);
        if (at >= 0) indices.push(at);
      }
      return new CategoricalParzen(
        indices,
        ageWeights(indices.length),
        spec.values.length,
        this.#priorWeight,
      );
    };
    const l = fit(good);
    const g = fit(bad);
    let best = 0;
    let bestScore = -Infinity;
    for (let i = 0; i < this.#nCandidates; i += 1) {
      const c = l.sample(rng);
      const score = l.logPdf(c) - g.logPdf(c);
      if (score > bestScore) {
        best = c;
        bestScore = score;
      }
    }
    return spec.values[best] as ParamValue;
  }
}
