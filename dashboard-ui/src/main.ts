/**
 * konduktor's dashboard page: a router over the views, one live channel, and the header.
 * @module
 */
import { ApiError, get } from './api.js';
import { h, replace } from './dom.js';
import { jobView } from './job-view.js';
import { jobsView } from './jobs-view.js';
import { queueView } from './queue-view.js';
import { currentRoute, leave } from './router.js';
import { sweepsView, sweepView } from './sweep-view.js';

const main = document.getElementById('main') as HTMLElement;
const where = document.getElementById('where') as HTMLElement;

/** Shows the view of the current route. */
async function show(): Promise<void> {
  const { parts, params } = currentRoute();
  const [view, name] = parts;
  leave();
  delete document.body.dataset['ready'];
  for (const link of document.querySelectorAll('nav a')) {
    link.classList.toggle('on', link.getAttribute('data-view') === (view ?? 'jobs'));
  }
  try {
    if (view === undefined || view === 'jobs') await jobsView(main, params);
    else if (view === 'job' && name !== undefined) await jobView(main, name);
    else if (view === 'sweeps') await sweepsView(main);
    else if (view === 'sweep' && name !== undefined) await sweepView(main, name);
    else if (view === 'queue') await queueView(main);
    else replace(main, h('p', {}, 'no such page'));
  } catch (error) {
    const view = error instanceof ApiError ? error.view : undefined;
    replace(
      main,
      h(
        'div',
        { className: 'error-box', id: 'page-error' },
        h('strong', {}, view?.code ?? 'ERROR'),
        ': ',
        error instanceof Error ? error.message : String(error),
      ),
    );
    document.body.dataset['ready'] = 'error';
  }
}

window.addEventListener('hashchange', () => {
  void show();
});
void get<{ description: string }>('/api/info').then((info) => {
  where.textContent = info.description;
});
void show();
