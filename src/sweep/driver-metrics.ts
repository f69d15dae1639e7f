/**
 * What a sweep's driver learns from its running trials' metric lines: each trial's learning curve,
 * and — when the sweep has a pruner — the decision to stop a trial early, after which its job is
 * cancelled.
 * @module
 */
import type { Job } from '../job/job.js';
import { CurveBuilder, type TrialCurve } from './curves.js';
import { metricKeyOf, Pruner, type PruneDecision } from './pruner.js';
import type { SweepSpec } from './schema.js';

/** How long a trial that ended waits for its metric follower to read its last lines. */
const CURVE_END_WAIT_MS = 5000;

/** Follows the metric lines of a sweep's running trials, by trial index. */
export class TrialMetrics {
  readonly #pruner: Pruner | undefined;
  /** The objective's key in metric lines. */
  readonly #metricKey: string;
  /** Trials the pruner stopped, set before their job is cancelled. */
  readonly #pruned = new Map<number, PruneDecision>();
  /** The curves of the trials running now, by trial index. */
  readonly #curves = new Map<number, CurveBuilder>();

  /** For the sweep's objective, direction and pruner (none: curves only). */
  constructor(spec: Pick<SweepSpec, 'objective' | 'direction' | 'pruner'>) {
    this.#metricKey = metricKeyOf(spec.objective);
    this.#pruner =
      spec.pruner === undefined
        ? undefined
        : new Pruner(spec.pruner, spec.direction, this.#metricKey);
  }

  /**
   * Feeds the trial's metric lines to its curve and to the pruner while its job runs, until
   * `signal` aborts or the job's metrics end; cancels the job when the pruner says so (recording
   * why first, so the wait that ends with the cancel knows: {@link prunedBy}). Never rejects: a
   * trial whose metrics cannot be read runs to its end unpruned.
   */
  async watch(index: number, job: Job, signal: AbortSignal): Promise<void> {
    const pruner = this.#pruner;
    const curve = new CurveBuilder();
    this.#curves.set(index, curve);
    try {
      for await (const point of job.metrics({ follow: true, signal })) {
        const value = point.values[this.#metricKey];
        if (value === undefined) continue;
        curve.add(point.step, value);
        if (pruner === undefined) continue;
        const decision = pruner.report(index, point.step, value);
        if (decision === undefined) continue;
        this.#pruned.set(index, decision);
        await job.cancel();
        return;
      }
    } catch {
      // Aborted because the trial ended, or its metrics cannot be read (a Kubernetes pod deleted
      // by hand): the trial runs to its end unpruned.
    }
  }

  /**
   * Ends a trial's {@link watch} once its job has ended: unless `hurry` (a stopped sweep), first
   * lets the follower read the job's last lines (the curve's end) for up to 5 s.
   * @param watching what {@link watch} returned; `stop` aborts its signal.
   */
  async finish(watching: Promise<void>, stop: AbortController, hurry: boolean): Promise<void> {
    if (!hurry) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        watching,
        new Promise((resolve) => (timer = setTimeout(resolve, CURVE_END_WAIT_MS))),
      ]);
      clearTimeout(timer);
    }
    stop.abort();
    await watching;
  }

  /** Why the pruner stopped the trial, if it did. */
  prunedBy(index: number): PruneDecision | undefined {
    return this.#pruned.get(index);
  }

  /**
   * Takes the trial's curve as it ended (undefined when no point arrived), and tells the pruner
   * of a trial that succeeded (its values then count for the median pruner).
   */
  end(index: number, succeeded: boolean): TrialCurve | undefined {
    const curve = this.#curves.get(index)?.curve();
    this.#curves.delete(index);
    if (succeeded) this.#pruner?.succeeded(index);
    return curve;
  }
}
