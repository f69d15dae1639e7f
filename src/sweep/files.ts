/**
 * A sweep's files: `trials.csv`, `trials.json` and `report.html` in its output directory.
 * @module
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RawJson, stringifyJson } from '../result/raw-json.js';
import { renderReport } from './report.js';
import type { SweepSpec } from './schema.js';
import type { TrialRecord } from './store.js';
import type { TrialCurve } from './curves.js';

/** The paths of the files written. */
export interface SweepFiles {
  readonly dir: string;
  readonly csv: string;
  readonly json: string;
  readonly html: string;
}

/** A trial as plain JSON data, the form of `trials.json` and `--json` output. */
export interface TrialJson {
  readonly trial: number;
  readonly state: TrialRecord['state'];
  readonly params: TrialRecord['params'];
  readonly objective: number | null;
  readonly job: string | null;
  /**
   * The trial's result document: a {@link RawJson} (written digit for digit by
   * {@link stringifyJson}; plain `JSON.stringify` gives the parsed value), or null.
   */
  readonly result: unknown;
  readonly reason: string | null;
  readonly error_code: string | null;
  /** The metric step at which a pruned trial was stopped (its `objective` is the value there). */
  readonly pruned_step: number | null;
  /** `[step, value]` of the objective from the trial's metric lines (thinned to 200 points). */
  readonly curve: TrialCurve | null;
  readonly started_at: string | null;
  readonly ended_at: string | null;
  readonly duration_s: number | null;
}

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

/** The trial's result document, carried as its own text (see {@link stringifyJson}). */
function resultOf(text: string | undefined): unknown {
  if (text === undefined) return null;
  try {
    JSON.parse(text);
    return new RawJson(text);
  } catch {
    return text;
  }
}

/** One trial as JSON data. */
export function trialJson(t: TrialRecord): TrialJson {
  return {
    trial: t.index,
    state: t.state,
    params: t.params,
    objective: t.value ?? null,
    job: t.job ?? null,
    result: resultOf(t.result),
    reason: t.reason ?? null,
    error_code: t.errorCode ?? null,
    pruned_step: t.prunedStep ?? null,
    curve: t.curve ?? null,
    started_at: iso(t.startedAt),
    ended_at: iso(t.endedAt),
    duration_s:
      t.startedAt === undefined || t.endedAt === undefined
        ? null
        : (t.endedAt - t.startedAt) / 1000,
  };
}

/** The whole sweep as JSON data: what it searched, the best trial, every trial. */
export function sweepJson(
  spec: SweepSpec,
  trials: readonly TrialRecord[],
  best: TrialRecord | undefined,
): Record<string, unknown> {
  return {
    sweep: spec.name,
    objective: spec.objective,
    direction: spec.direction,
    sampler: spec.sampler,
    seed: spec.seed,
    parameters: spec.parameters,
    trials_planned: spec.trials,
    succeeded: trials.filter((t) => t.state === 'succeeded').length,
    failed: trials.filter((t) => t.state === 'failed').length,
    pruned: trials.filter((t) => t.state === 'pruned').length,
    pruner: spec.pruner ?? null,
    best: best === undefined ? null : trialJson(best),
    trials: trials.map(trialJson),
  };
}

function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  // Quote what would break the row, and what a spreadsheet would run as a formula.
  const safe = /^[=+\-@\t\r]/.test(text) && !/^-?\d/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The trials as CSV: one row per trial, one column per parameter. */
export function trialsCsv(spec: SweepSpec, trials: readonly TrialRecord[]): string {
  const names = Object.keys(spec.parameters);
  const header = [
    'trial',
    'state',
    'objective',
    ...names,
    'job',
    'reason',
    'pruned_step',
    'started_at',
    'ended_at',
    'duration_s',
  ];
  const rows = trials.map((t) => {
    const j = trialJson(t);
    return [
      j.trial,
      j.state,
      j.objective,
      ...names.map((n) => t.params[n]),
      j.job,
      j.reason,
      j.pruned_step,
      j.started_at,
      j.ended_at,
      j.duration_s,
    ];
  });
  return [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\n') + '\n';
}

/**
 * The `.konduktorignore` written into every sweep output directory: a sweep's files are results,
 * not code, and a task with `workdir: .` run from the same directory must not ship them to the
 * cluster with every later launch (the way a Python venv's `.gitignore` keeps it out of git).
 */
export const SWEEP_DIR_IGNORE =
  "# Written by konduktor: a sweep's output is not shipped with a task's workdir.\n*\n";

/**
 * Writes the CSV, JSON and HTML report into `dir` (created if needed), with a `.konduktorignore`
 * ({@link SWEEP_DIR_IGNORE}) unless the directory already has one.
 */
export function writeSweepFiles(
  dir: string,
  spec: SweepSpec,
  trials: readonly TrialRecord[],
  best: TrialRecord | undefined,
): SweepFiles {
  mkdirSync(dir, { recursive: true });
  const ignoreFile = join(dir, '.konduktorignore');
  if (!existsSync(ignoreFile)) writeFileSync(ignoreFile, SWEEP_DIR_IGNORE);
  const files: SweepFiles = {
    dir,
    csv: join(dir, 'trials.csv'),
    json: join(dir, 'trials.json'),
    html: join(dir, 'report.html'),
  };
  writeFileSync(files.csv, trialsCsv(spec, trials));
  writeFileSync(files.json, `${stringifyJson(sweepJson(spec, trials, best), 2)}\n`);
  writeFileSync(files.html, renderReport(spec, trials, best));
  return files;
}
