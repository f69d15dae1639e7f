/**
 * Early stopping of a sweep's trials on their metric lines (spec §9): Optuna's MedianPruner and
 * asynchronous successive halving (ASHA, Optuna's SuccessiveHalvingPruner). A pruner sees each
 * trial's intermediate objective values, step by step, and says when a trial should stop.
 * @module
 */

import { parseObjectivePath } from './objective.js';

/**
 * The objective's key in metric lines, which are flat: the objective itself when it names a
 * top-level key (`val_loss`), else its last part (`metrics.acc` → `acc`).
 */
export function metricKeyOf(objective: string): string {
  const parsed = parseObjectivePath(objective);
  const last = parsed.ok ? parsed.segments.at(-1) : undefined;
  return typeof last === 'string' ? last : objective;
}

/** A pruner as the sweep file gives it, validated. */
export type PrunerSpec =
  | {
      readonly type: 'median';
      /** Trials that must have succeeded before any is pruned. @default 5 */
      readonly nStartupTrials: number;
      /** Steps of each trial never pruned at (step < this). @default 0 */
      readonly nWarmupSteps: number;
      /** Prune only at every this-many steps after the warm-up. @default 1 */
      readonly intervalSteps: number;
    }
  | {
      readonly type: 'asha';
      /** The step of the first rung. @default 1 */
      readonly minResource: number;
      /** Rung k is at `minResource × reductionFactor^k`; 1 in reductionFactor goes on. @default 3 */
      readonly reductionFactor: number;
    };

/** Why a trial was pruned: the step and value it was judged on. */
export interface PruneDecision {
  readonly step: number;
  readonly value: number;
  /** For people: `val_loss 0.52 at step 3 is worse than the median 0.41 of 6 trials`. */
  readonly reason: string;
}

/**
 * The state of one sweep's pruning: every trial's intermediate values (of this run of the driver)
 * and, for ASHA, the values recorded at each rung.
 */
export class Pruner {
  readonly #spec: PrunerSpec;
  readonly #minimize: boolean;
  readonly #key: string;
  /** Intermediate values by trial, then step. */
  readonly #curves = new Map<number, Map<number, number>>();
  readonly #succeeded = new Set<number>();
  /** ASHA: values recorded at each rung; and the next rung of each trial. */
  readonly #rungs = new Map<number, number[]>();
  readonly #nextRung = new Map<number, number>();

  constructor(spec: PrunerSpec, direction: 'minimize' | 'maximize', key: string) {
    this.#spec = spec;
    this.#minimize = direction === 'minimize';
    this.#key = key;
  }

  /** Records that a trial succeeded: its curve now counts for the median. */
  succeeded(trial: number): void {
    this.#succeeded.add(trial);
  }

  /** Records a trial's value at a step; returns a decision when the trial should stop now. */
  report(trial: number, step: number, value: number): PruneDecision | undefined {
    let curve = this.#curves.get(trial);
    if (curve === undefined) {
      curve = new Map();
      this.#curves.set(trial, curve);
    }
    curve.set(step, value);
    return this.#spec.type === 'median'
      ? this.#median(this.#spec, trial, step, curve)
      : this.#asha(this.#spec, trial, step, value);
  }

  #better(a: number, b: number): boolean {
    return this.#minimize ? a < b : a > b;
  }

  // Optuna's MedianPruner: the trial's best value so far against the median of the succeeded
  // trials' values at the same step.
  #median(
    spec: Extract<PrunerSpec, { type: 'median' }>,
    trial: number,
    step: number,
    curve: Map<number, number>,
  ): PruneDecision | undefined {
    if (this.#succeeded.size < spec.nStartupTrials || step < spec.nWarmupSteps) return undefined;
    if ((step - spec.nWarmupSteps) % spec.intervalSteps !== 0) return undefined;
    const others: number[] = [];
    for (const done of this.#succeeded) {
      const value = done === trial ? undefined : this.#curves.get(done)?.get(step);
      if (value !== undefined) others.push(value);
    }
    if (others.length === 0) return undefined;
    const median = medianOf(others);
    let best = Infinity * (this.#minimize ? 1 : -1);
    for (const value of curve.values()) if (this.#better(value, best)) best = value;
    if (!this.#better(median, best)) return undefined;
    return {
      step,
      value: curve.get(step) ?? best,
      reason: `${this.#key} ${best} (its best by step ${step}) is worse than the median ${median} of ${others.length} finished trials at that step`,
    };
  }

  // Asynchronous successive halving: at each rung a trial goes on only when its value is among
  // the best 1/reduction_factor of the values recorded at that rung so far (Optuna's rule).
  #asha(
    spec: Extract<PrunerSpec, { type: 'asha' }>,
    trial: number,
    step: number,
    value: number,
  ): PruneDecision | undefined {
    let rung = this.#nextRung.get(trial) ?? 0;
    let decision: PruneDecision | undefined;
    while (step >= spec.minResource * spec.reductionFactor ** rung) {
      const values = this.#rungs.get(rung) ?? [];
      values.push(value);
      this.#rungs.set(rung, values);
      const sorted = [...values].sort((a, b) => (this.#minimize ? a - b : b - a));
      const keep = Math.max(Math.floor(sorted.length / spec.reductionFactor) - 1, 0);
      const bar = sorted[keep] ?? value;
      rung += 1;
      if (this.#better(bar, value)) {
        decision = {
          step,
          value,
          reason: `${this.#key} ${value} at step ${step} is not among the best 1/${spec.reductionFactor} of ${sorted.length} trials at rung ${rung - 1} (needed ${bar})`,
        };
        break;
      }
    }
    this.#nextRung.set(trial, rung);
    return decision;
  }
}

function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? NaN)
    : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2;
}
