/**
 * The sweep driver: {@link sweep} runs the trials of a sweep as ordinary konduktor jobs, a few at
 * a time, records every step in `$KONDUKTOR_HOME/sweeps.db`, and resumes a stored sweep of the
 * same name where it stopped.
 *
 * @example
 * ```ts
 * import { sweep } from 'konduktor';
 *
 * const result = await sweep('examples/sweep-branin.yaml', { signal: AbortSignal.timeout(600_000) });
 * console.log(result.best?.params, result.best?.value);
 * ```
 * @module
 */
import { parseDuration } from '../job/duration.js';
import { Driver } from './driver.js';
import { loadSweepFile, resolveSweep, type SweepDefinition } from './load.js';
import type { SweepOptions, SweepResult } from './options.js';
import { Rng } from './rng.js';
import type { SweepSpec } from './schema.js';
import { sampleRandom } from './space.js';
import { SweepStore } from './store.js';
import { trialTask } from './trials.js';

export type { SweepOptions, SweepProgress, SweepResult } from './options.js';
export { bestTrial, sweepFingerprint, trialTask, trialTaskName } from './trials.js';

/**
 * Runs a sweep to its end, or resumes the stored sweep of the same name: finished trials are kept,
 * trials whose jobs still run are re-attached, and interrupted ones run again with the same
 * parameters.
 *
 * @param definition - a sweep file path, a sweep object, or a validated spec.
 * @returns the best trial and every trial. A sweep where more than `max_failures` trials failed
 *   resolves with `state: 'stopped'`.
 * @throws {TaskValidationError} when the sweep is invalid; nothing is launched.
 * @throws {StateConflictError} when a stored sweep of that name has a different configuration.
 * @throws `signal.reason` when aborted (running trials are cancelled first).
 * @throws {SweepTimeoutError} when `timeout` ran out (running trials are cancelled first; the
 *   error lists them).
 */
export async function sweep(
  definition: string | SweepDefinition | SweepSpec,
  options: SweepOptions = {},
): Promise<SweepResult> {
  const spec =
    typeof definition === 'string'
      ? loadSweepFile(definition)
      : isSweepSpec(definition)
        ? definition
        : resolveSweep(
            definition,
            options.baseDir === undefined ? {} : { baseDir: options.baseDir },
          );
  // Fail before launching anything when the trials' task cannot be built.
  trialTask(spec, 0, sampleRandom(spec.parameters, Rng.forTrial(spec.seed, 0)));
  const timeoutMs = options.timeout === undefined ? undefined : parseDuration(options.timeout);
  const store = new SweepStore(options.home);
  try {
    // How the timeout message tells to resume: the same file, or the same call.
    const resume =
      options.resumeCommand ??
      (typeof definition === 'string'
        ? `\`konduktor sweep run ${shellWord(definition)}\``
        : 'calling sweep() again with the same definition');
    return await new Driver(spec, store, options, timeoutMs, resume).run();
  } finally {
    store.close();
  }
}

/** A path as a shell word: quoted only when it needs to be. */
export function shellWord(path: string): string {
  return /^[\w./@%+=:,-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}

function isSweepSpec(value: SweepDefinition | SweepSpec): value is SweepSpec {
  return (
    typeof value.sampler === 'object' &&
    'maxFailures' in value &&
    typeof value.trials === 'number' &&
    Object.values(value.parameters).every((p) => typeof p.env === 'string') &&
    typeof value.task === 'object' &&
    'numNodes' in value.task
  );
}
