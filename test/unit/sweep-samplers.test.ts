import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { Rng } from '../../src/sweep/rng.js';
import {
  createSampler,
  GridSampler,
  RandomSampler,
  type Observation,
  type Sampler,
} from '../../src/sweep/sampler.js';
import { gridSize, type Params, type SearchSpace } from '../../src/sweep/space.js';
import { TpeSampler } from '../../src/sweep/tpe.js';

const mixed: SearchSpace = {
  lr: { type: 'loguniform', low: 1e-4, high: 1e-1 },
  x: { type: 'uniform', low: -1, high: 1 },
  width: { type: 'int', low: 16, high: 256, step: 16 },
  layers: { type: 'int', low: 1, high: 64, log: true },
  opt: { type: 'choice', values: ['adam', 'sgd', 'lion'] },
  seed: { type: 'grid', values: [1, 2] },
};

function checkInSpace(params: Params): void {
  const lr = params['lr'] as number;
  assert.ok(lr >= 1e-4 && lr <= 1e-1, `lr ${lr}`);
  const x = params['x'] as number;
  assert.ok(x >= -1 && x <= 1);
  const width = params['width'] as number;
  assert.ok(
    Number.isInteger(width) && width >= 16 && width <= 256 && width % 16 === 0,
    `width ${width}`,
  );
  const layers = params['layers'] as number;
  assert.ok(Number.isInteger(layers) && layers >= 1 && layers <= 64);
  assert.ok(['adam', 'sgd', 'lion'].includes(params['opt'] as string));
  assert.ok([1, 2].includes(params['seed'] as number));
  assert.deepEqual(Object.keys(params), Object.keys(mixed));
}

/** Runs a sampler on f for `budget` trials; returns the best value found. */
function minimise(
  sampler: Sampler,
  f: (p: Params) => number,
  budget: number,
  seed: number,
): number {
  const history: Observation[] = [];
  let best = Infinity;
  for (let i = 0; i < budget; i += 1) {
    const params = sampler.suggest(i, history, Rng.forTrial(seed, i));
    const loss = f(params);
    best = Math.min(best, loss);
    history.push({ index: i, params, loss });
  }
  return best;
}

const median = (values: number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length / 2;
  return s.length % 2 === 0 ? (s[mid - 1]! + s[mid]!) / 2 : s[Math.floor(mid)]!;
};

// Branin on [-5, 10] x [0, 15]: global minimum 0.397887.
const BRANIN_MIN = 0.397887;
function branin(p: Params): number {
  const x1 = p['x1'] as number;
  const x2 = p['x2'] as number;
  const b = 5.1 / (4 * Math.PI ** 2);
  const c = 5 / Math.PI;
  const t = 1 / (8 * Math.PI);
  return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;
}

// Hartmann-3 on [0, 1]^3: global minimum -3.86278.
const HARTMANN3_MIN = -3.86278;
const H_A = [
  [3, 10, 30],
  [0.1, 10, 35],
  [3, 10, 30],
  [0.1, 10, 35],
];
const H_P = [
  [3689, 1170, 2673],
  [4699, 4387, 7470],
  [1091, 8732, 5547],
  [381, 5743, 8828],
];
const H_ALPHA = [1, 1.2, 3, 3.2];
function hartmann3(p: Params): number {
  const x = [p['x1'] as number, p['x2'] as number, p['x3'] as number];
  let sum = 0;
  for (let i = 0; i < 4; i += 1) {
    let e = 0;
    for (let j = 0; j < 3; j += 1) e += H_A[i]![j]! * (x[j]! - H_P[i]![j]! * 1e-4) ** 2;
    sum += H_ALPHA[i]! * Math.exp(-e);
  }
  return -sum;
}

describe('GridSampler', () => {
  it('enumerates every combination, last parameter fastest, in the order of the space', () => {
    const grid = new GridSampler({
      a: { type: 'grid', values: [1, 2] },
      b: { type: 'choice', values: ['x', 'y', 'z'] },
      c: { type: 'int', low: 0, high: 4, step: 2 },
    });
    assert.equal(grid.capacity, 18);
    const all = Array.from({ length: 18 }, (_, i) => grid.suggest(i));
    assert.deepEqual(all[0], { a: 1, b: 'x', c: 0 });
    assert.deepEqual(all[1], { a: 1, b: 'x', c: 2 });
    assert.deepEqual(all[3], { a: 1, b: 'y', c: 0 });
    assert.deepEqual(all[17], { a: 2, b: 'z', c: 4 });
    assert.equal(new Set(all.map((p) => JSON.stringify(p))).size, 18);
    assert.deepEqual(Object.keys(all[5]!), ['a', 'b', 'c']);
  });

  it('walks an int range of 10^12 values without listing them', () => {
    const started = performance.now();
    const grid = new GridSampler({ seed: { type: 'int', low: 0, high: 1e12, step: 1 } });
    assert.equal(grid.capacity, 1e12 + 1);
    assert.deepEqual(grid.suggest(7), { seed: 7 });
    assert.equal(gridSize({ seed: { type: 'int', low: 5, high: 1e12, step: 5 } }), 2e11);
    assert.ok(performance.now() - started < 100, 'computed, not enumerated');
  });

  it('refuses continuous parameters with a hint', () => {
    assert.throws(
      () => new GridSampler({ lr: { type: 'uniform', low: 0, high: 1 } }),
      (err: unknown) =>
        err instanceof UsageError && /lr/.test(err.message) && /grid: \[/.test(err.message),
    );
  });
});

describe('RandomSampler', () => {
  it('is reproducible per (seed, trial) and stays in the space', () => {
    const sampler = new RandomSampler(mixed);
    const a = Array.from({ length: 50 }, (_, i) => sampler.suggest(i, [], Rng.forTrial(3, i)));
    const b = Array.from({ length: 50 }, (_, i) => sampler.suggest(i, [], Rng.forTrial(3, i)));
    assert.deepEqual(a, b);
    a.forEach(checkInSpace);
    const c = sampler.suggest(0, [], Rng.forTrial(4, 0));
    assert.notDeepEqual(a[0], c);
  });

  it('draws loguniform values evenly in the logarithm', () => {
    const sampler = new RandomSampler({ lr: { type: 'loguniform', low: 1e-4, high: 1 } });
    let below = 0;
    for (let i = 0; i < 4000; i += 1) {
      if ((sampler.suggest(i, [], Rng.forTrial(0, i))['lr'] as number) < 1e-2) below += 1;
    }
    assert.ok(Math.abs(below / 4000 - 0.5) < 0.04, `${below}`);
  });
});

describe('TpeSampler', () => {
  it('draws at random during the startup trials, then reproducibly from the history', () => {
    const tpe = new TpeSampler(mixed, { nStartupTrials: 5 });
    const random = new RandomSampler(mixed);
    for (let i = 0; i < 5; i += 1) {
      assert.deepEqual(
        tpe.suggest(i, [], Rng.forTrial(1, i)),
        random.suggest(i, [], Rng.forTrial(1, i)),
      );
    }
    const history: Observation[] = Array.from({ length: 30 }, (_, i) => {
      const params = random.suggest(i, [], Rng.forTrial(9, i));
      return { index: i, params, loss: Math.abs(Math.log10(params['lr'] as number) + 2) };
    });
    const one = tpe.suggest(30, history, Rng.forTrial(1, 30));
    assert.deepEqual(tpe.suggest(30, history, Rng.forTrial(1, 30)), one);
    for (let i = 30; i < 60; i += 1) checkInSpace(tpe.suggest(i, history, Rng.forTrial(1, i)));
  });

  it('concentrates on the good region of a categorical parameter', () => {
    const space: SearchSpace = { opt: { type: 'choice', values: ['a', 'b', 'c', 'd'] } };
    const f = (p: Params): number => (p['opt'] === 'c' ? 0 : 1);
    const tpe = createSampler({ type: 'tpe', nStartupTrials: 8 }, space);
    const history: Observation[] = [];
    let late = 0;
    for (let i = 0; i < 60; i += 1) {
      const params = tpe.suggest(i, history, Rng.forTrial(2, i));
      if (i >= 30 && params['opt'] === 'c') late += 1;
      history.push({ index: i, params, loss: f(params) });
    }
    assert.ok(late >= 20, `chose 'c' ${late} times out of 30`);
  });

  // The done-when test: TPE beats random search on two standard functions within the same budget,
  // in the median over 20 seeds, by a clear margin (regret = best found - global minimum).
  for (const [name, space, f, min] of [
    [
      'Branin',
      { x1: { type: 'uniform', low: -5, high: 10 }, x2: { type: 'uniform', low: 0, high: 15 } },
      branin,
      BRANIN_MIN,
    ],
    [
      'Hartmann-3',
      {
        x1: { type: 'uniform', low: 0, high: 1 },
        x2: { type: 'uniform', low: 0, high: 1 },
        x3: { type: 'uniform', low: 0, high: 1 },
      },
      hartmann3,
      HARTMANN3_MIN,
    ],
  ] as const) {
    it(`finds better ${name} values than random search (median regret over 20 seeds, 100 trials)`, () => {
      const budget = 100;
      const seeds = Array.from({ length: 20 }, (_, i) => i);
      const regret = (kind: 'random' | 'tpe'): number =>
        median(
          seeds.map(
            (seed) => minimise(createSampler({ type: kind }, space), f, budget, seed) - min,
          ),
        );
      const random = regret('random');
      const tpe = regret('tpe');
      console.log(
        `${name}: median regret random ${random.toFixed(4)}, TPE ${tpe.toFixed(4)} (${(random / tpe).toFixed(1)}x)`,
      );
      assert.ok(
        tpe < 0.5 * random,
        `TPE median regret ${tpe} is not under half of random's ${random}`,
      );
    });
  }
});
