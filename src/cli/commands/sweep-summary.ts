/**
 * The `--json` summary `konduktor sweep run` prints: of a finished run, and of one that timed out
 * or was interrupted (from what the sweep store kept).
 * @module
 */
import type { SweepFiles } from '../../sweep/files.js';
import { trialJson } from '../../sweep/files.js';
import { bestTrial } from '../../sweep/run.js';
import type { SweepSpec } from '../../sweep/schema.js';
import { SweepStore, type TrialRecord } from '../../sweep/store.js';
import { type ExitCode, ExitCodes } from '../exit-codes.js';
import { errorJson } from '../output.js';

/** The `--json` summary of a sweep run. */
export function summaryJson(
  name: string,
  state: string,
  reason: string | undefined,
  trials: readonly TrialRecord[],
  best: TrialRecord | undefined,
  files: SweepFiles | undefined,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    sweep: name,
    state,
    reason: reason ?? null,
    best: best === undefined ? null : trialJson(best),
    succeeded: trials.filter((t) => t.state === 'succeeded').length,
    failed: trials.filter((t) => t.state === 'failed').length,
    pruned: trials.filter((t) => t.state === 'pruned').length,
    trials: trials.length,
    files: files ?? null,
    ...extra,
  };
}

/** The `--json` summary of a run that timed out or was interrupted, from what the store kept. */
export function stoppedSummaryJson(
  spec: SweepSpec,
  home: string,
  code: ExitCode,
  error: unknown,
): Record<string, unknown> {
  const store = new SweepStore(home);
  try {
    const trials = store.trials(spec.name);
    return summaryJson(
      spec.name,
      code === ExitCodes.TIMEOUT ? 'timed_out' : 'interrupted',
      store.getSweep(spec.name)?.reason,
      trials,
      bestTrial(trials, spec.direction),
      undefined,
      {
        cancelled: trials.filter((t) => t.state === 'cancelled').map((t) => t.index),
        error: errorJson(error),
      },
    );
  } finally {
    store.close();
  }
}
