/**
 * The trials of a sweep: the task each one runs (the base task with its parameters as environment
 * variables), what a stored sweep must match to be resumed, the best trial, and the sampler's view
 * of the finished ones.
 * @module
 */
import { createHash } from 'node:crypto';
import { applyOverrides } from '../task/overrides.js';
import type { TaskSpec } from '../task/types.js';
import type { Observation } from './sampler.js';
import type { SweepSpec } from './schema.js';
import { formatParamValue, type Params } from './space.js';
import type { TrialRecord } from './store.js';

/** The best succeeded trial (ties go to the earlier trial). */
export function bestTrial(
  trials: readonly TrialRecord[],
  direction: 'minimize' | 'maximize',
): TrialRecord | undefined {
  let best: TrialRecord | undefined;
  for (const t of trials) {
    if (t.state !== 'succeeded' || t.value === undefined) continue;
    if (best?.value === undefined) best = t;
    else if (direction === 'minimize' ? t.value < best.value : t.value > best.value) best = t;
  }
  return best;
}

/** What must stay the same for a re-run to resume a stored sweep. */
export function sweepFingerprint(spec: SweepSpec): string {
  const text = JSON.stringify(fingerprinted(spec));
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** The parts of a sweep that decide its trials: a stored sweep resumes only when they are equal. */
export function fingerprinted(
  spec: SweepSpec,
): Pick<SweepSpec, 'task' | 'parameters' | 'objective' | 'direction' | 'sampler' | 'seed'> {
  const { task, parameters, objective, direction, sampler, seed } = spec;
  return { task, parameters, objective, direction, sampler, seed };
}

/** The task name of trial `index`: `<sweep>-<index>`; its jobs are `<sweep>-<index>-<hex>`. */
export function trialTaskName(sweepName: string, index: number): string {
  return `${sweepName}-${index}`;
}

/** The base task with the trial's parameters as environment variables. */
export function trialTask(spec: SweepSpec, index: number, params: Params): TaskSpec {
  const env = Object.entries(spec.parameters).map(([name, param]) => {
    const value = params[name];
    return `${param.env}=${value === undefined ? '' : formatParamValue(value)}`;
  });
  env.push(
    `KONDUKTOR_SWEEP=${spec.name}`,
    `KONDUKTOR_TRIAL=${index}`,
    `KONDUKTOR_PARAMS=${JSON.stringify(params)}`,
  );
  return applyOverrides(spec.task, { name: trialTaskName(spec.name, index), env }, {});
}

/** The succeeded trials as the sampler's observations (a loss to minimise), by index. */
export function toObservations(
  trials: Iterable<TrialRecord>,
  direction: 'minimize' | 'maximize',
): Observation[] {
  const out: Observation[] = [];
  for (const t of trials) {
    if (t.state === 'succeeded' && t.value !== undefined) {
      out.push({
        index: t.index,
        params: t.params,
        loss: direction === 'minimize' ? t.value : -t.value,
      });
    }
  }
  return out.sort((a, b) => a.index - b.index);
}
