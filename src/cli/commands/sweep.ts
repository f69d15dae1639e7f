/**
 * `konduktor sweep run FILE` (also `konduktor sweep FILE`), `konduktor sweep status [NAME]` and
 * `konduktor sweep rm NAME`.
 * @module
 */
import { resolveBackend } from '../../backends/resolve.js';
import { UsageError } from '../../errors.js';
import { formatDuration, parseDuration } from '../../job/duration.js';
import { sweepJson, trialJson } from '../../sweep/files.js';
import { loadSweepFile } from '../../sweep/load.js';
import { bestTrial, sweep, type SweepProgress } from '../../sweep/run.js';
import type { SweepSpec } from '../../sweep/schema.js';
import { gridSize, type ParamValue } from '../../sweep/space.js';
import { SweepStore, type TrialRecord } from '../../sweep/store.js';
import { stringifyJson } from '../../result/raw-json.js';
import { confirm } from '../confirm.js';
import { type ExitCode, ExitCodes, exitCodeOf } from '../exit-codes.js';
import { formatError, info, isFancy, out, paint } from '../output.js';
import { fitCell, renderTable } from '../table.js';
import { integerOption } from './common.js';

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

const fmt = (n: number): string => String(Number(n.toPrecision(6)));
const fmtValue = (v: ParamValue | undefined): string =>
  typeof v === 'number' ? fmt(v) : String(v ?? '');

function paramsText(params: TrialRecord['params']): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${fmtValue(v)}`)
    .join(' ');
}

function positive(value: string | undefined, flag: string): number | undefined {
  const n = integerOption(value, flag);
  if (n === 0) throw new UsageError(`${flag} must be at least 1, got 0`);
  return n;
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

/** Repaints a table of the trials on a terminal; prints one line per finished trial elsewhere. */
class ProgressView {
  readonly #fancy: boolean;
  readonly #started = Date.now();
  #lines = 0;
  #timer: NodeJS.Timeout | undefined;
  #latest: SweepProgress | undefined;
  readonly #reported = new Map<number, string>();

  constructor() {
    this.#fancy = isFancy();
  }

  update(progress: SweepProgress): void {
    this.#latest = progress;
    if (!this.#fancy) {
      this.#plain(progress);
      return;
    }
    // Repaint at most 10 times a second, however fast trials finish.
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.#paint();
    }, 100);
  }

  #plain(progress: SweepProgress): void {
    const done = progress.succeeded + progress.failed;
    for (const t of progress.trials) {
      const key = `${t.state}:${t.job ?? ''}`;
      if (this.#reported.get(t.index) === key) continue;
      this.#reported.set(t.index, key);
      if (t.state === 'launching') continue;
      const best =
        progress.best?.value === undefined
          ? ''
          : `; best ${fmt(progress.best.value)} (trial ${progress.best.index})`;
      const what =
        t.state === 'succeeded'
          ? `succeeded ${progress.spec.objective}=${fmt(t.value ?? NaN)}`
          : t.state === 'running'
            ? `running as ${t.job ?? '?'} (${paramsText(t.params)})`
            : `${t.state}: ${t.reason ?? ''}`;
      const tally = t.state === 'running' ? '' : ` [${done}/${progress.spec.trials} done${best}]`;
      info(`trial ${t.index} ${what}${tally}`);
    }
  }

  #paint(): void {
    const p = this.#latest;
    if (p === undefined) return;
    const names = Object.keys(p.spec.parameters);
    const rows = p.trials.slice(-20).map((t) => {
      const bestSoFar = bestTrial(
        p.trials.filter((o) => o.index <= t.index),
        p.spec.direction,
      );
      const state =
        t.state === 'succeeded'
          ? paint.green(t.state)
          : t.state === 'failed'
            ? paint.red(t.state)
            : t.state === 'running'
              ? paint.cyan(t.state)
              : paint.yellow(t.state);
      return [
        String(t.index),
        ...names.map((n) => fmtValue(t.params[n])),
        state,
        t.value === undefined
          ? t.state === 'failed'
            ? (t.reason ?? '').slice(0, 40)
            : '-'
          : fmt(t.value),
        bestSoFar?.value === undefined ? '-' : fmt(bestSoFar.value),
      ];
    });
    const elapsed = formatDuration(Date.now() - this.#started);
    const head =
      `${paint.bold(`sweep ${p.spec.name}`)}: ${p.succeeded + p.failed}/${p.spec.trials} done, ` +
      `${p.running} running, ${p.failed} failed · ${elapsed}` +
      (p.best?.value === undefined ? '' : ` · best ${fmt(p.best.value)} (trial ${p.best.index})`);
    const text = `${head}\n${renderTable(['TRIAL', ...names.map((n) => n.toUpperCase()), 'STATE', p.spec.objective.toUpperCase(), 'BEST SO FAR'], rows)}\n`;
    // Move to the start of the previous table and clear it before drawing the new one.
    const clear = this.#lines > 0 ? `\u001b[${this.#lines}F\u001b[0J` : '';
    process.stderr.write(clear + text);
    this.#lines = text.split('\n').length - 1;
  }

  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#fancy) this.#paint();
  }
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
    controller.abort(new DOMException('interrupted', 'AbortError'));
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
      ...(options.outputDir === undefined ? {} : { outputDir: options.outputDir }),
      onUpdate: (progress) => {
        if (progress.resumed && !resumedNoted) {
          resumedNoted = true;
          const done = progress.succeeded + progress.failed;
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
        stringifyJson({
          sweep: result.name,
          state: result.state,
          reason: result.reason ?? null,
          best: best === undefined ? null : trialJson(best),
          succeeded: result.trials.filter((t) => t.state === 'succeeded').length,
          failed: result.trials.filter((t) => t.state === 'failed').length,
          trials: result.trials.length,
          files: result.files ?? null,
        }),
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
    if (code === ExitCodes.INTERRUPTED) {
      info(`sweep ${spec.name} interrupted; run the same command again to resume it`);
      return code;
    }
    throw error;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
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
        const done = trials.filter((t) => t.state === 'succeeded' || t.state === 'failed').length;
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
    const trials = await withJobStatus(store.trials(name), options.backend);
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
    const done = trials.filter((t) => t.state === 'succeeded' || t.state === 'failed').length;
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
 * Trials the store says are running, as their jobs see it: a sweep whose driver is gone shows
 * whether its trials' jobs are still alive.
 */
async function withJobStatus(
  trials: readonly TrialRecord[],
  backendKind: 'local' | 'kubernetes' | undefined,
): Promise<TrialRecord[]> {
  if (!trials.some((t) => t.state === 'running')) return [...trials];
  const backend = await resolveBackend(backendKind);
  return Promise.all(
    trials.map(async (t) => {
      if (t.state !== 'running' || t.job === undefined) return t;
      try {
        const job = await backend.get(t.job);
        return { ...t, reason: `job ${job.status.toLowerCase()}` };
      } catch (error) {
        return { ...t, reason: formatError(error).split('\n')[0] ?? '' };
      }
    }),
  );
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
