/**
 * The pruners' rules (Optuna's MedianPruner and SuccessiveHalvingPruner), step by step.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { metricKeyOf, Pruner } from '../../src/sweep/pruner.js';

describe('median pruner', () => {
  const spec = { type: 'median', nStartupTrials: 2, nWarmupSteps: 2, intervalSteps: 2 } as const;

  it('prunes only after the startup trials, past the warm-up, at interval steps', () => {
    const p = new Pruner(spec, 'minimize', 'loss');
    for (const trial of [0, 1]) for (let s = 0; s < 8; s += 1) p.report(trial, s, 1 + trial);
    // One succeeded trial is fewer than n_startup_trials: nothing is pruned yet.
    p.succeeded(0);
    assert.equal(p.report(2, 4, 9), undefined);
    p.succeeded(1);
    assert.equal(p.report(3, 1, 9), undefined, 'warm-up');
    assert.equal(p.report(3, 3, 9), undefined, 'not an interval step');
    const decision = p.report(3, 4, 9);
    assert.equal(decision?.step, 4);
    assert.equal(decision?.value, 9);
    assert.match(decision?.reason ?? '', /median 1\.5 of 2/);
    // Better than the median (1.5): goes on.
    assert.equal(p.report(4, 4, 1.2), undefined);
  });

  it('judges a trial by its best value so far, and follows the direction', () => {
    const p = new Pruner(spec, 'maximize', 'acc');
    p.report(0, 2, 0.5);
    p.report(1, 2, 0.7);
    p.succeeded(0);
    p.succeeded(1);
    p.report(2, 0, 0.9);
    assert.equal(p.report(2, 2, 0.1), undefined, 'its best (0.9) beats the median');
    assert.ok(p.report(3, 2, 0.55));
  });
});

describe('ASHA pruner', () => {
  it('keeps the best 1/reduction_factor at each rung (the best one when fewer)', () => {
    const p = new Pruner({ type: 'asha', minResource: 1, reductionFactor: 2 }, 'minimize', 'l');
    assert.equal(p.report(0, 1, 5), undefined, 'the first at a rung is the best there');
    assert.ok(p.report(1, 1, 6), 'worse than the only other value at rung 0');
    assert.equal(p.report(2, 1, 4), undefined);
    // Rung 0 then holds 5, 6, 4, 3.5: keep the best 2 (bar: 4).
    assert.equal(p.report(3, 1, 3.5), undefined);
    assert.ok(p.report(4, 1, 4.5));
    // A trial is judged once per rung, at the first step that reaches it.
    assert.equal(p.report(0, 1, 99), undefined);
    assert.equal(p.report(0, 2, 5), undefined, 'first at rung 1 (step 2)');
    assert.ok(p.report(2, 3, 6), 'rung 1 holds 5 and 6: 6 is not the best');
  });
});

describe('metricKeyOf', () => {
  it('reads the flat key of an objective path', () => {
    assert.equal(metricKeyOf('val_loss'), 'val_loss');
    assert.equal(metricKeyOf('metrics.acc'), 'acc');
    assert.equal(metricKeyOf('["eval.loss"]'), 'eval.loss');
  });
});
