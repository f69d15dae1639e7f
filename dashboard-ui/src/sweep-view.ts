/**
 * Sweeps: the list, and a sweep's page (its best so far, the objective per trial, the learning curves, the parameters
 * against the objective, the trials), live while the sweep runs. The charts' library loads only
 * on a sweep's page.
 * @module
 */
import type { SweepDetail, SweepSummary } from '../../src/dashboard/types.js';
import { get } from './api.js';
import { badge, formatNumber, formatTime, h, replace } from './dom.js';
import { listen } from './live.js';
import { onLeave } from './router.js';

function progress(sweep: SweepSummary): string {
  const states = Object.entries(sweep.trialStates).map(([state, n]) => `${n} ${state}`);
  return `${states.join(', ') || 'no trials yet'} (of ${sweep.planned})`;
}

function bestText(sweep: SweepSummary): string {
  return sweep.best === undefined
    ? 'no trial succeeded yet'
    : `trial ${sweep.best.index}: ${sweep.objective} = ${formatNumber(sweep.best.value)}`;
}

function sweepRow(sweep: SweepSummary): HTMLTableRowElement {
  return h(
    'tr',
    { 'data-sweep': sweep.name },
    h('td', {}, h('a', { href: `#/sweep/${encodeURIComponent(sweep.name)}` }, sweep.name)),
    h('td', {}, badge(sweep.state)),
    h('td', {}, `${sweep.direction} ${sweep.objective}`),
    h('td', {}, progress(sweep)),
    h('td', {}, bestText(sweep)),
    h('td', {}, formatTime(sweep.updatedAt)),
  );
}

/** Renders the sweeps list into `root` and keeps it live. */
export async function sweepsView(root: HTMLElement): Promise<void> {
  const { sweeps } = await get<{ sweeps: SweepSummary[] }>('/api/sweeps');
  const body = h('tbody', {}, ...sweeps.map(sweepRow));
  replace(
    root,
    h('h1', {}, 'Sweeps'),
    sweeps.length === 0 ? h('p', {}, 'no sweeps yet: konduktor sweep FILE') : '',
    h(
      'table',
      { className: 'grid', id: 'sweeps' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['sweep', 'state', 'objective', 'trials', 'best', 'updated'].map((t) =>
            h('th', {}, t),
          ),
        ),
      ),
      body,
    ),
  );
  document.body.dataset['ready'] = 'sweeps';
  listen({
    sweep: (sweep) => {
      const existing = body.querySelector(`tr[data-sweep="${CSS.escape(sweep.name)}"]`);
      if (existing === null) body.prepend(sweepRow(sweep));
      else existing.replaceWith(sweepRow(sweep));
    },
  });
}

function trialsTable(sweep: SweepDetail): HTMLElement {
  const names = Object.keys(sweep.parameters);
  return h(
    'table',
    { className: 'grid', id: 'trials' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['trial', 'state', sweep.objective, ...names, 'job', 'reason'].map((t) =>
          h('th', {}, t),
        ),
      ),
    ),
    h(
      'tbody',
      {},
      ...sweep.trials.map((trial) =>
        h(
          'tr',
          {
            'data-trial': trial.index,
            className: trial.index === sweep.best?.index ? `best ${trial.state}` : trial.state,
          },
          h('td', {}, trial.index),
          h('td', {}, trial.state),
          h('td', {}, trial.value === undefined ? '' : formatNumber(trial.value)),
          ...names.map((n) => {
            const v = trial.params[n];
            return h('td', {}, typeof v === 'number' ? formatNumber(v) : String(v ?? ''));
          }),
          h(
            'td',
            {},
            trial.job === undefined
              ? ''
              : h('a', { href: `#/job/${encodeURIComponent(trial.job)}` }, trial.job),
          ),
          h('td', {}, trial.reason ?? ''),
        ),
      ),
    ),
  );
}

/** Renders a sweep's page into `root` and keeps it live. */
export async function sweepView(root: HTMLElement, name: string): Promise<void> {
  const [sweep, charts] = await Promise.all([
    get<SweepDetail>(`/api/sweeps/${encodeURIComponent(name)}`),
    import('./charts.js'),
  ]);
  const summary = h('div', { id: 'sweep-summary', className: 'muted' });
  const best = h('div', { className: 'best-box', id: 'best' });
  const objective = h('div', { className: 'chart', id: 'objective-chart' });
  const params = h('div', { className: 'chart', id: 'params-chart' });
  const curves = h('div', { className: 'chart', id: 'curves-chart' });
  const table = h('div');
  replace(
    root,
    h('h1', {}, `sweep ${sweep.name} `, h('span', { id: 'sweep-state' })),
    summary,
    best,
    h('h2', {}, 'Objective per trial (line: best so far)'),
    objective,
    h('h2', {}, 'Learning curves (from the metric lines; dashed, ▲: pruned trials)'),
    curves,
    h('h2', {}, 'Parameters against the objective'),
    params,
    h('h2', {}, 'Trials'),
    table,
  );
  const drawn = charts.sweepCharts(objective, params, curves);
  onLeave(() => {
    drawn.dispose();
  });
  const render = (next: SweepDetail): void => {
    replace(root.querySelector('#sweep-state') as HTMLElement, badge(next.state));
    summary.textContent = `${next.direction} ${next.objective} · ${progress(next)}`;
    best.textContent = `best: ${bestText(next)}`;
    drawn.update(next);
    replace(table, trialsTable(next));
  };
  render(sweep);
  document.body.dataset['ready'] = 'sweep';
  listen({
    sweep: (next) => {
      if (next.name === name) render(next);
    },
  });
}
