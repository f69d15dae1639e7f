/**
 * The jobs list: newest first, a page at a time, filtered by status and name, kept live by the
 * `jobs` events (a changed job is updated in place, a new matching job appears at the top).
 * @module
 */
import type { JobPage, JobView, StatusCounts } from '../../src/dashboard/types.js';
import { get } from './api.js';
import { badge, formatDuration, formatTime, h, replace } from './dom.js';
import { type JobsEvent, listen } from './live.js';
import { navigate } from './router.js';

const STATUSES = ['PENDING', 'RUNNING', 'STOPPED', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
const PAGE = 50;

/** The list's filter and page, as kept in the URL (`#/?status=RUNNING&name=train&page=2`). */
interface ListState {
  readonly statuses: readonly string[];
  readonly name: string;
  readonly page: number;
}

function stateOf(params: URLSearchParams): ListState {
  const status = params.get('status') ?? '';
  return {
    statuses: status === '' ? [] : status.split(','),
    name: params.get('name') ?? '',
    page: Math.max(1, Number(params.get('page') ?? 1) || 1),
  };
}

function href(state: ListState): string {
  const params = new URLSearchParams();
  if (state.statuses.length > 0) params.set('status', state.statuses.join(','));
  if (state.name !== '') params.set('name', state.name);
  if (state.page > 1) params.set('page', String(state.page));
  const query = params.toString();
  return query === '' ? '#/' : `#/?${query}`;
}

/** What a job returned, in one short line. */
function outcomeText(job: JobView): string {
  if (job.resultText !== undefined) {
    const text = job.resultText.trim();
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  }
  if (job.error !== undefined) return job.error.code;
  return job.reason ?? '';
}

function row(job: JobView): HTMLTableRowElement {
  return h(
    'tr',
    { 'data-job': job.name, 'data-status': job.status },
    h('td', {}, h('a', { href: `#/job/${encodeURIComponent(job.name)}` }, job.name)),
    h('td', { className: 'status' }, badge(job.status)),
    h('td', {}, job.resources),
    h('td', {}, formatTime(job.submittedAt)),
    h('td', {}, formatTime(job.startedAt)),
    h('td', {}, formatDuration(job.startedAt, job.endedAt)),
    h('td', { className: job.error === undefined ? 'result' : 'result error' }, outcomeText(job)),
  );
}

/** Renders the jobs list into `root` and keeps it live. */
export async function jobsView(root: HTMLElement, params: URLSearchParams): Promise<void> {
  const state = stateOf(params);
  const offset = (state.page - 1) * PAGE;
  const query = new URLSearchParams({ offset: String(offset), limit: String(PAGE) });
  if (state.statuses.length > 0) query.set('status', state.statuses.join(','));
  if (state.name !== '') query.set('name', state.name);

  const chips = h('div', { className: 'chips', id: 'status-filter' });
  const nameInput = h('input', {
    id: 'name-filter',
    type: 'search',
    placeholder: 'name or glob, e.g. train-*',
    value: state.name,
  });
  let typing: number | undefined;
  nameInput.addEventListener('input', () => {
    window.clearTimeout(typing);
    typing = window.setTimeout(() => {
      navigate(href({ ...state, name: nameInput.value.trim(), page: 1 }));
    }, 250);
  });
  const body = h('tbody');
  const pager = h('div', { className: 'pager', id: 'pager' });
  replace(
    root,
    h('div', { className: 'toolbar' }, chips, nameInput),
    h(
      'table',
      { id: 'jobs', className: 'grid' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['name', 'status', 'resources', 'submitted', 'started', 'duration', 'result'].map(
            (title) => h('th', {}, title),
          ),
        ),
      ),
      body,
    ),
    pager,
  );

  // Subscribed first, then read: a change can never fall between the read and the subscription.
  // A change that arrives while the page is read may or may not be in it: read once more then.
  let loading = true;
  // An object: the flag is set from the channel's callback.
  const race = { seen: false };
  let apply: (change: JobsEvent) => void = () => undefined;
  await new Promise<void>((resolve) => {
    listen(
      {
        ready: resolve,
        jobs: (change) => {
          if (loading) race.seen = true;
          else apply(change);
        },
      },
      { status: state.statuses.join(','), name: state.name },
    );
  });
  let page = await get<JobPage>(`/api/jobs?${query.toString()}`);
  for (let i = 0; race.seen && i < 3; i += 1) {
    race.seen = false;
    page = await get<JobPage>(`/api/jobs?${query.toString()}`);
  }
  loading = false;
  let jobs = [...page.jobs];
  let total = page.total;

  const renderChips = (counts: StatusCounts): void => {
    replace(
      chips,
      ...STATUSES.map((status) => {
        const on = state.statuses.includes(status);
        const next = on ? state.statuses.filter((s) => s !== status) : [...state.statuses, status];
        return h(
          'a',
          {
            className: `chip s-${status.toLowerCase()}${on ? ' on' : ''}`,
            href: href({ ...state, statuses: next, page: 1 }),
            'data-status': status,
          },
          `${status.toLowerCase()} ${counts[status]}`,
        );
      }),
    );
  };
  const render = (): void => {
    replace(body, ...jobs.map(row));
    if (jobs.length === 0) replace(body, h('tr', {}, h('td', { colspan: 7 }, 'no jobs')));
    const last = Math.max(1, Math.ceil(total / PAGE));
    replace(
      pager,
      state.page > 1
        ? h('a', { href: href({ ...state, page: state.page - 1 }), id: 'prev' }, '← newer')
        : '',
      h('span', {}, total === 0 ? '0 jobs' : `${offset + 1}–${offset + jobs.length} of ${total}`),
      state.page < last
        ? h('a', { href: href({ ...state, page: state.page + 1 }), id: 'next' }, 'older →')
        : '',
    );
  };
  renderChips(page.counts);
  render();
  document.body.dataset['ready'] = 'jobs';
  // When the first list is on screen (the benchmark's "first paint of the jobs list").
  requestAnimationFrame(() => {
    if (performance.getEntriesByName('konduktor:jobs-painted').length === 0)
      performance.mark('konduktor:jobs-painted');
  });

  apply = (change) => {
    const matching = new Set(change.matching);
    const newest = (a: JobView, b: JobView): number =>
      a.submittedAt === b.submittedAt
        ? a.name.localeCompare(b.name)
        : a.submittedAt < b.submittedAt
          ? 1
          : -1;
    for (const job of change.changed) {
      const at = jobs.findIndex((j) => j.name === job.name);
      if (at >= 0) {
        if (matching.has(job.name)) jobs[at] = job;
        else {
          jobs.splice(at, 1);
          total -= 1;
        }
      } else if (
        matching.has(job.name) &&
        offset === 0 &&
        (jobs.length < PAGE || newest(job, jobs[jobs.length - 1] as JobView) < 0)
      ) {
        // A new job: on the first page when it is among the newest.
        jobs.push(job);
        total += 1;
      }
    }
    for (const name of change.removed) {
      const at = jobs.findIndex((j) => j.name === name);
      if (at >= 0) {
        jobs.splice(at, 1);
        total -= 1;
      }
    }
    jobs = jobs.sort(newest).slice(0, PAGE);
    page = { ...page, counts: change.counts };
    renderChips(change.counts);
    render();
  };
}
