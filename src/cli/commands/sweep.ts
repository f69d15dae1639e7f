/**
 * `konduktor sweep run FILE` (also `konduktor sweep FILE`), `konduktor sweep status [NAME]` and
 * `konduktor sweep rm NAME`.
 * @module
 */
import { resolveBackend } from '../../backends/resolve.js';
import { InterruptedError, UsageError } from '../../errors.js';
import { isTerminal } from '../../backends/backend.js';
import { Job } from '../../job/job.js';
import { endOfEndedJob } from '../../sweep/trial-end.js';
import type { SweepFiles } from '../../sweep/files.js';
import { formatDuration, parseDuration } from '../../job/duration.js';
import { sweepJson, trialJson } from '../../sweep/files.js';
import { loadSweepFile } from '../../sweep/load.js';
import { bestTrial, shellWord, sweep } from '../../sweep/run.js';
import type { SweepSpec } from '../../sweep/schema.js';
import { gridSize } from '../../sweep/space.js';
import { SweepStore, type TrialEnd, type TrialRecord } from '../../sweep/store.js';
import { stringifyJson } from '../../result/raw-json.js';
import { confirm } from '../confirm.js';
import { type ExitCode, ExitCodes, exitCodeOf } from '../exit-codes.js';
import { errorJson, formatError, info, out, paint } from '../output.js';
import { fitCell, renderTable } from '../table.js';
import { integerOption } from './common.js';
import { fmt, fmtValue, paramsText, ProgressView } from './sweep-view.js';

/** The widest REASON cell of `sweep status`: the full reason is in `--json`. */
const REASON_WIDTH = 60;

/** The options of `sweep run`, as commander parses them. */
export interface SweepRunOptions {
  readonly json?: true;
  readonly yes?: true;
  readonly backend?: 'local' | 'kubernetes';
  readonly trials?: string;
  readonly parallelism?: string;
  readonly maxFailures?: string;
  readonly outputDir?: string;
  readonly timeout?: string;
}

function positive(value: string | undefined, flag: string): number | undefined {
  return integerOption(value, flag, 1);
}

/** True when the command line changes the sweep file's settings (a resume must repeat them). */
function hasOverrides(options: SweepRunOptions): boolean {
  return [options.trials, options.parallelism, options.maxFailures, options.outputDir].some(
    (value) => value !== undefined,
  );
}

/** The sweep file with the command-line overrides applied. */
function withOverrides(spec: SweepSpec, options: SweepRunOptions): SweepSpec {
  const trials = positive(options.trials, '--trials');
  const parallelism = positive(options.parallelism, '--parallelism');
  const maxFailures = integerOption(options.maxFailures, '--max-failures');
  const capped =
    trials === undefined
      ? undefined
      : spec.sampler.type === 'grid'
        ? Math.min(trials, gridSize(spec.parameters))
        : trials;
  return {
    ...spec,
    ...(capped === undefined ? {} : { trials: capped }),
    ...(parallelism === undefined ? {} : { parallelism }),
    ...(maxFailures === undefined ? {} : { maxFailures }),
  };
}

function describePlan(spec: SweepSpec, backend: string): string {
  const params = Object.entries(spec.parameters)
    .map(([name, p]) => `${name}→$${p.env}`)
    .join(', ');
  return (
    `sweep ${spec.name}: ${spec.trials} trials of ${spec.task.name}, ${spec.parallelism} at a time, ` +
    `${spec.sampler.type} sampler (seed ${spec.seed}), ${spec.direction} ${spec.objective}; ` +
    `parameters ${params}; on ${backend}`
  );
}

/** Runs `sweep run FILE` and returns the exit code. */
export async function runSweepRun(file: string, options: SweepRunOptions): Promise<ExitCode> {
  const timeout =
    options.timeout === undefined ? undefined : parseDuration(options.timeout, '--timeout');
  const spec = withOverrides(loadSweepFile(file), options);
  const backendKind =
    options.backend ?? (process.env['KONDUKTOR_BACKEND'] === 'kubernetes' ? 'kubernetes' : 'local');
  info(`${paint.bold('plan')}: ${describePlan(spec, backendKind)}`);
  if (options.yes !== true && !(await confirm(`Run sweep ${spec.name}?`))) {
    info('not started');
    return ExitCodes.USAGE;
  }
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (): void => {
    interrupts += 1;
    if (interrupts > 1) {
      info('interrupted again: leaving; running trials keep running, resume with the same command');
      process.exit(ExitCodes.INTERRUPTED);
    }
    info('stopping: cancelling the running trials (Ctrl+C again to leave them running)');
    controller.abort(new InterruptedError('interrupted (Ctrl+C)'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const view = new ProgressView();
  let resumedNoted = false;
  try {
    const result = await sweep(spec, {
      backend: backendKind,
      signal: controller.signal,
      ...(timeout === undefined ? {} : { timeout }),
      resumeCommand: `\`konduktor sweep run ${shellWord(file)}\`${hasOverrides(options) ? ' with the same options' : ''}`,
      ...(options.outputDir === undefined ? {} : { outputDir: options.outputDir }),
      onUpdate: (progress) => {
        if (progress.resumed && !resumedNoted) {
          resumedNoted = true;
          const done = progress.succeeded + progress.failed + progress.pruned;
          info(`resuming sweep ${spec.name}: ${done} trials already finished`);
        }
        view.update(progress);
      },
    });
    view.stop();
    const best = result.best;
    if (result.files !== undefined) {
      info(`files: ${result.files.csv}, ${result.files.json}, ${result.files.html}`);
    }
    if (result.state === 'stopped') info(`${paint.red('sweep stopped')}: ${result.reason ?? ''}`);
    if (best?.value === undefined) info(paint.red('no trial succeeded'));
    else {
      info(
        `${paint.green('best')}: trial ${best.index}, ${spec.objective}=${fmt(best.value)} (${paramsText(best.params)}), job ${best.job ?? '?'}`,
      );
    }
    if (options.json === true) {
      out(
        stringifyJson(
          summaryJson(result.name, result.state, result.reason, result.trials, best, result.files),
        ),
      );
    } else if (best?.value !== undefined) {
      const names = Object.keys(spec.parameters);
      out(
        renderTable(
          ['TRIAL', spec.objective.toUpperCase(), ...names.map((n) => n.toUpperCase()), 'JOB'],
          [
            [
              String(best.index),
              fmt(best.value),
              ...names.map((n) => fmtValue(best.params[n])),
              best.job ?? '-',
            ],
          ],
        ),
      );
    }
    return result.state === 'completed' && best !== undefined
      ? ExitCodes.SUCCESS
      : ExitCodes.JOB_FAILED;
  } catch (error) {
    view.stop();
    const code = exitCodeOf(error);
    if (code !== ExitCodes.INTERRUPTED && code !== ExitCodes.TIMEOUT) throw error;
    info(
      code === ExitCodes.INTERRUPTED
        ? `sweep ${spec.name} interrupted: its running trials were cancelled; run the same command again to resume it`
        : formatError(error),
    );
    if (options.json === true) out(stringifyJson(stoppedSummaryJson(spec, code, error)));
    return code;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

/** The `--json` summary of a sweep run. */
function summaryJson(
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
function stoppedSummaryJson(
  spec: SweepSpec,
  code: ExitCode,
  error: unknown,
): Record<string, unknown> {
  const store = new SweepStore();
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

/** Runs `sweep status [NAME]` and returns the exit code. */
export async function runSweepStatus(
  name: string | undefined,
  options: { readonly json?: true; readonly backend?: 'local' | 'kubernetes' },
): Promise<ExitCode> {
  const store = new SweepStore();
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
    const trials = await withJobStatus(store, spec, store.trials(name), options.backend);
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
  backendKind: 'local' | 'kubernetes' | undefined,
): Promise<TrialRecord[]> {
  if (!trials.some((t) => t.state === 'running')) return [...trials];
  const backend = await resolveBackend(backendKind);
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

/** Runs `sweep rm NAME...`: forgets stored sweeps (their jobs and files stay). */
export async function runSweepRm(
  names: readonly string[],
  options: { readonly yes?: true },
): Promise<ExitCode> {
  if (names.length === 0) throw new UsageError('give the name of the sweep to remove');
  if (
    options.yes !== true &&
    !(await confirm(`Forget sweep${names.length === 1 ? '' : 's'} ${names.join(', ')}?`))
  ) {
    return ExitCodes.USAGE;
  }
  const store = new SweepStore();
  try {
    let code: ExitCode = ExitCodes.SUCCESS;
    for (const name of names) {
      if (store.deleteSweep(name)) info(`removed sweep ${name} (its jobs and files are kept)`);
      else {
        info(formatError(new UsageError(`no sweep named ${JSON.stringify(name)}`)));
        code = ExitCodes.USAGE;
      }
    }
    return code;
  } finally {
    store.close();
  }
}
