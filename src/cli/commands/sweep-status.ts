/**
 * `konduktor sweep status [NAME]`: the stored sweeps, or one sweep and its trials (asking the
 * backend how the trials the store still calls running are doing).
 * @module
 */
import { isTerminal } from '../../backends/backend.js';
import { UsageError } from '../../errors.js';
import { formatDuration } from '../../job/duration.js';
import { Job } from '../../job/job.js';
import { stringifyJson } from '../../result/raw-json.js';
import { sweepJson } from '../../sweep/files.js';
import { bestTrial } from '../../sweep/run.js';
import type { SweepSpec } from '../../sweep/schema.js';
import { SweepStore, type TrialEnd, type TrialRecord } from '../../sweep/store.js';
import { endOfEndedJob } from '../../sweep/trial-end.js';
import { type ExitCode, ExitCodes } from '../exit-codes.js';
import { formatError, info, out } from '../output.js';
import { fitCell, renderTable } from '../table.js';
import type { OptionsOf } from '../options.js';
import { backendOf, resolveTarget, type Target } from '../target.js';
import { fmt, fmtValue } from './sweep-view.js';

/** The widest REASON cell of `sweep status`: the full reason is in `--json`. */
const REASON_WIDTH = 60;

/** Runs `sweep status [NAME]` and returns the exit code. */
export async function runSweepStatus(
  name: string | undefined,
  options: OptionsOf<'sweep status'>,
): Promise<ExitCode> {
  // Resolved up front: a bad --context is an error whether or not a trial needs the backend.
  const target = await resolveTarget(options);
  const store = new SweepStore(target.home);
  try {
    if (name === undefined) {
      const sweeps = store.listSweeps();
      const rows = sweeps.map((s) => {
        const spec = JSON.parse(s.spec) as SweepSpec;
        const trials = store.trials(s.name);
        const best = bestTrial(trials, spec.direction);
        const done = trials.filter((t) =>
          ['succeeded', 'failed', 'pruned'].includes(t.state),
        ).length;
        return { s, spec, done, best };
      });
      if (options.json === true) {
        out(
          JSON.stringify(
            rows.map(({ s, spec, done, best }) => ({
              sweep: s.name,
              state: s.state,
              done,
              trials: spec.trials,
              best: best?.value ?? null,
              updated_at: new Date(s.updatedAt).toISOString(),
            })),
          ),
        );
      } else if (rows.length === 0) {
        info('no sweeps yet; start one with: konduktor sweep run SWEEP.yaml');
      } else {
        out(
          renderTable(
            ['NAME', 'STATE', 'TRIALS', 'OBJECTIVE', 'BEST', 'UPDATED'],
            rows.map(({ s, spec, done, best }) => [
              s.name,
              s.state,
              `${done}/${spec.trials}`,
              `${spec.direction} ${spec.objective}`,
              best?.value === undefined ? '-' : fmt(best.value),
              `${formatDuration(Date.now() - s.updatedAt)} ago`,
            ]),
          ),
        );
      }
      return ExitCodes.SUCCESS;
    }
    const record = store.getSweep(name);
    if (record === undefined) {
      const known = store.listSweeps().map((s) => s.name);
      throw new UsageError(
        `no sweep named ${JSON.stringify(name)}${known.length === 0 ? '' : ` (known: ${known.slice(0, 10).join(', ')})`}`,
      );
    }
    const spec = JSON.parse(record.spec) as SweepSpec;
    const trials = await withJobStatus(store, spec, store.trials(name), target);
    const best = bestTrial(trials, spec.direction);
    if (options.json === true) {
      out(
        stringifyJson({
          state: record.state,
          reason: record.reason ?? null,
          output_dir: record.outputDir ?? null,
          ...sweepJson(spec, trials, best),
        }),
      );
      return ExitCodes.SUCCESS;
    }
    const done = trials.filter((t) => ['succeeded', 'failed', 'pruned'].includes(t.state)).length;
    info(
      `sweep ${name}: ${record.state}${record.reason === undefined ? '' : ` (${record.reason})`}, ${done}/${spec.trials} trials done, ` +
        `${spec.direction} ${spec.objective}` +
        (best?.value === undefined ? '' : `; best ${fmt(best.value)} (trial ${best.index})`) +
        (record.outputDir === undefined ? '' : `; files in ${record.outputDir}`),
    );
    const names = Object.keys(spec.parameters);
    out(
      renderTable(
        [
          'TRIAL',
          'STATE',
          spec.objective.toUpperCase(),
          ...names.map((n) => n.toUpperCase()),
          'JOB',
          'REASON',
        ],
        trials.map((t) => [
          String(t.index),
          t.state,
          t.value === undefined ? '-' : fmt(t.value),
          ...names.map((n) => fmtValue(t.params[n])),
          t.job ?? '-',
          fitCell(t.reason ?? '', REASON_WIDTH),
        ]),
      ),
    );
    return ExitCodes.SUCCESS;
  } finally {
    store.close();
  }
}

/**
 * Trials the store says are running, as their jobs see it: a sweep whose driver went away before
 * it recorded its trials' ends shows (and records) how each ended job came out, and the state of
 * each job still going.
 */
async function withJobStatus(
  store: SweepStore,
  spec: SweepSpec,
  trials: readonly TrialRecord[],
  target: Target,
): Promise<TrialRecord[]> {
  if (!trials.some((t) => t.state === 'running')) return [...trials];
  const backend = await backendOf(target);
  return Promise.all(
    trials.map(async (t) => {
      if (t.state !== 'running' || t.job === undefined) return t;
      try {
        const current = await backend.get(t.job);
        if (!isTerminal(current.status))
          return { ...t, reason: `job ${current.status.toLowerCase()}` };
        const end = await endOfEndedJob(new Job(t.job, backend), spec.objective);
        store.markEnded(spec.name, t.index, end, current.endedAt?.getTime() ?? Date.now());
        return recordedTrial(t, end);
      } catch (error) {
        return { ...t, reason: formatError(error).split('\n')[0] ?? '' };
      }
    }),
  );
}

/** A trial record with its end applied, as the store now holds it. */
function recordedTrial(trial: TrialRecord, end: TrialEnd): TrialRecord {
  const { value: _value, result: _result, reason: _reason, errorCode: _code, ...rest } = trial;
  return {
    ...rest,
    state: end.state,
    ...(end.value === undefined ? {} : { value: end.value }),
    ...(end.result === undefined ? {} : { result: end.result }),
    ...(end.reason === undefined ? {} : { reason: end.reason }),
    ...(end.errorCode === undefined ? {} : { errorCode: end.errorCode }),
  };
}
