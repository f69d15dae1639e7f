/**
 * `konduktor sweep run FILE` (also `konduktor sweep FILE`): plans, asks, runs (or resumes) the
 * sweep with a progress view, and prints the best trial.
 * @module
 */
import { resolve } from 'node:path';
import { InterruptedError } from '../../errors.js';
import { parseDuration } from '../../job/duration.js';
import { stringifyJson } from '../../result/raw-json.js';
import { loadSweepFile } from '../../sweep/load.js';
import { shellWord, sweep } from '../../sweep/run.js';
import type { SweepSpec } from '../../sweep/schema.js';
import { gridSize } from '../../sweep/space.js';
import { confirm } from '../confirm.js';
import { type ExitCode, ExitCodes, exitCodeOf } from '../exit-codes.js';
import { onInterrupt } from '../interrupt.js';
import { formatError, info, out, paint } from '../output.js';
import { renderTable } from '../table.js';
import { atCwd, runCwd } from '../io.js';
import type { OptionsOf } from '../options.js';
import { backendOf, resolveTarget } from '../target.js';
import { integerOption } from './common.js';
import { stoppedSummaryJson, summaryJson } from './sweep-summary.js';
import { finishedTrials, fmt, fmtValue, paramsText, ProgressView } from './sweep-view.js';
import { printPlan } from '../plan.js';

/** The options of `sweep run`, as commander parses them. */
type SweepRunOptions = OptionsOf<'sweep run'>;

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

/**
 * Where the files go: `--output-dir`, else the sweep file's `output_dir`, else `sweeps/NAME` in
 * the run's working directory (`sweep()` itself takes the process's).
 */
function outputDirOf(spec: SweepSpec, options: SweepRunOptions): { outputDir?: string } {
  if (options.outputDir !== undefined) return { outputDir: atCwd(options.outputDir) };
  const cwd = runCwd();
  if (spec.outputDir !== undefined || cwd === undefined) return {};
  return { outputDir: resolve(cwd, 'sweeps', spec.name) };
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
  const spec = withOverrides(loadSweepFile(atCwd(file)), options);
  // The trials run where every other command's jobs do: flags, environment and config.yaml.
  const target = await resolveTarget(options);
  const backend = await backendOf(target);
  // The base task: each trial differs only in its parameters' environment variables.
  await printPlan(backend, spec.task, describePlan(spec, backend.description));
  if (options.yes !== true && !(await confirm(`Run sweep ${spec.name}?`))) {
    info('not started');
    return ExitCodes.USAGE;
  }
  const interrupt = onInterrupt({
    onFirst: () => {
      info('stopping: cancelling the running trials (Ctrl+C again to leave them running)');
    },
    onRepeat: () => {
      info('interrupted again: leaving; running trials keep running, resume with the same command');
      // A program reading stdout still gets its one document, with what the store has so far.
      if (options.json === true) {
        const error = new InterruptedError('interrupted (Ctrl+C, twice)');
        out(stringifyJson(stoppedSummaryJson(spec, target.home, ExitCodes.INTERRUPTED, error)));
      }
      return ExitCodes.INTERRUPTED;
    },
  });
  const view = new ProgressView();
  let resumedNoted = false;
  try {
    const result = await sweep(spec, {
      backend,
      home: target.home,
      signal: interrupt.signal,
      ...(timeout === undefined ? {} : { timeout }),
      resumeCommand: `\`konduktor sweep run ${shellWord(file)}\`${hasOverrides(options) ? ' with the same options' : ''}`,
      ...outputDirOf(spec, options),
      onUpdate: (progress) => {
        if (progress.resumed && !resumedNoted) {
          resumedNoted = true;
          info(`resuming sweep ${spec.name}: ${finishedTrials(progress)} trials already finished`);
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
    if (options.json === true) {
      out(stringifyJson(stoppedSummaryJson(spec, target.home, code, error)));
    }
    return code;
  } finally {
    interrupt.dispose();
  }
}
