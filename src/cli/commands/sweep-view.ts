/**
 * How `konduktor sweep` shows a running sweep: a table repainted on a terminal, one line per
 * finished trial elsewhere; and the number formats its tables share.
 * @module
 */
import { formatDuration } from '../../job/duration.js';
import { bestTrial, type SweepProgress } from '../../sweep/run.js';
import type { ParamValue } from '../../sweep/space.js';
import type { TrialRecord } from '../../sweep/store.js';
import { info, isFancy, paint } from '../output.js';
import { renderTable } from '../table.js';

/** A number as the sweep tables show it (6 significant digits). */
export const fmt = (n: number): string => String(Number(n.toPrecision(6)));
/** A parameter value as the sweep tables show it. */
export const fmtValue = (v: ParamValue | undefined): string =>
  typeof v === 'number' ? fmt(v) : String(v ?? '');

/** `lr=0.01 width=128`. */
export function paramsText(params: TrialRecord['params']): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${fmtValue(v)}`)
    .join(' ');
}

/**
 * How many trials have finished: succeeded, failed or pruned (a pruned trial ran its course as far
 * as the sweep is concerned, and `sweep status` counts it done too).
 */
export function finishedTrials(progress: SweepProgress): number {
  return progress.succeeded + progress.failed + progress.pruned;
}

/** `3/8 done (1 pruned)`: the finished trials out of the sweep's, with the pruned among them. */
export function doneText(progress: SweepProgress): string {
  const pruned = progress.pruned > 0 ? ` (${progress.pruned} pruned)` : '';
  return `${finishedTrials(progress)}/${progress.spec.trials} done${pruned}`;
}

/** Repaints a table of the trials on a terminal; prints one line per finished trial elsewhere. */
export class ProgressView {
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
      const tally = t.state === 'running' ? '' : ` [${doneText(progress)}${best}]`;
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
      `${paint.bold(`sweep ${p.spec.name}`)}: ${doneText(p)}, ` +
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
