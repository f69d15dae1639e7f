/**
 * A job's page: status and actions, the timeline of its attempts, its result or typed error with
 * every field, the task (env values hidden), and the logs per rank and attempt, followed live.
 * @module
 */
import type { ErrorView, JobDetail, JobView } from '../../src/dashboard/types.js';
import { ApiError, get, jobPath, post } from './api.js';
import { badge, formatDuration, formatTime, h, replace } from './dom.js';
import { listen } from './live.js';
import { navigate, onLeave } from './router.js';

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);
const LOG_TAIL = 1000;

/** Which actions make sense in a state. */
function actionsFor(status: string): readonly string[] {
  if (TERMINAL.has(status)) return ['down'];
  if (status === 'STOPPED') return ['start', 'cancel', 'down'];
  return ['stop', 'cancel', 'down'];
}

const ACTION_TEXT: Readonly<Record<string, string>> = {
  cancel: 'Cancel this job? Its processes are stopped and it ends CANCELLED.',
  stop: 'Stop this job? It is held (STOPPED) until started again, from the start.',
  start: 'Start this job again? It goes to the end of the queue.',
  down: 'Remove this job? It is cancelled if running, and its records and files are deleted.',
};

/** Asks before acting; resolves true on confirmation. */
function confirmAction(action: string, job: string): Promise<boolean> {
  return new Promise((resolve) => {
    const close = (answer: boolean): void => {
      overlay.remove();
      resolve(answer);
    };
    const overlay = h(
      'div',
      { className: 'overlay', id: 'confirm' },
      h(
        'div',
        { className: 'dialog', role: 'dialog' },
        h('p', {}, h('strong', {}, `${action} ${job}`)),
        h('p', {}, ACTION_TEXT[action] ?? ''),
        h(
          'button',
          {
            id: 'confirm-yes',
            className: 'danger',
            onclick: () => {
              close(true);
            },
          },
          action,
        ),
        h(
          'button',
          {
            id: 'confirm-no',
            onclick: () => {
              close(false);
            },
          },
          'keep it',
        ),
      ),
    );
    document.body.append(overlay);
  });
}

function errorBlock(error: ErrorView): HTMLElement {
  const { name, code, message, logTail, ...fields } = error;
  const tail = Array.isArray(logTail) ? (logTail as unknown[]).map(String) : [];
  return h(
    'div',
    { className: 'error-box', id: 'error' },
    h('div', {}, h('strong', { id: 'error-code' }, code), ` (${name})`),
    h('p', { id: 'error-message' }, message),
    h(
      'table',
      { className: 'fields', id: 'error-fields' },
      h(
        'tbody',
        {},
        ...Object.entries(fields).map(([key, value]) =>
          h(
            'tr',
            { 'data-field': key },
            h('th', {}, key),
            h('td', {}, typeof value === 'string' ? value : JSON.stringify(value)),
          ),
        ),
      ),
    ),
    tail.length === 0
      ? ''
      : h('div', {}, h('h3', {}, 'log tail'), h('pre', { id: 'error-log-tail' }, tail.join('\n'))),
  );
}

function outcomeBlock(job: JobView): HTMLElement {
  if (job.resultText !== undefined) {
    let pretty = job.resultText;
    try {
      pretty = JSON.stringify(JSON.parse(job.resultText), null, 2);
    } catch {
      // Shown as written.
    }
    return h('div', {}, h('h2', {}, 'Result'), h('pre', { id: 'result' }, pretty));
  }
  if (job.error !== undefined) return h('div', {}, h('h2', {}, 'Error'), errorBlock(job.error));
  return h(
    'div',
    {},
    h('h2', {}, 'Result'),
    h(
      'p',
      { id: 'no-result-yet' },
      TERMINAL.has(job.status) ? 'none' : 'not yet: the job has not ended',
    ),
  );
}

function facts(job: JobView): HTMLElement {
  const rows: [string, string][] = [
    ['status', job.status],
    ['resources', `${job.resources} (${job.numNodes} node${job.numNodes === 1 ? '' : 's'})`],
    ['submitted', formatTime(job.submittedAt)],
    ['started', formatTime(job.startedAt)],
    ['ended', formatTime(job.endedAt)],
    ['duration', formatDuration(job.startedAt, job.endedAt)],
    ['attempt', String(job.attempt)],
  ];
  if (job.reason !== undefined)
    rows.push([job.status === 'PENDING' ? 'waiting for' : 'reason', job.reason]);
  return h(
    'table',
    { className: 'fields', id: 'facts' },
    h(
      'tbody',
      {},
      ...rows.map(([k, v]) => h('tr', { 'data-field': k }, h('th', {}, k), h('td', {}, v))),
    ),
  );
}

function timeline(detail: JobDetail, job: JobView): HTMLElement {
  const items = [h('li', {}, `${formatTime(job.submittedAt)} submitted`)];
  if (job.startedAt !== undefined) items.push(h('li', {}, `${formatTime(job.startedAt)} started`));
  for (const attempt of detail.attempts) {
    items.push(
      h(
        'li',
        { 'data-attempt': attempt.attempt },
        `${formatTime(attempt.startedAt)} attempt ${attempt.attempt}: ranks ${attempt.ranks.join(', ') || '-'}${attempt.lastOutputAt === undefined ? '' : `, last output ${formatTime(attempt.lastOutputAt)}`}`,
      ),
    );
  }
  if (job.endedAt !== undefined)
    items.push(h('li', {}, `${formatTime(job.endedAt)} ended `, badge(job.status)));
  return h('ol', { className: 'timeline', id: 'timeline' }, ...items);
}

/** Renders a job's page into `root` and keeps it live. */
export async function jobView(root: HTMLElement, name: string): Promise<void> {
  let detail = await get<JobDetail>(jobPath(name));
  let job = detail.job;
  const header = h('div', { className: 'job-header' });
  const factsBox = h('div');
  const timelineBox = h('div');
  const outcomeBox = h('div');
  const rankSelect = h('select', { id: 'log-rank' });
  const attemptSelect = h('select', { id: 'log-attempt' });
  const follow = h('input', { type: 'checkbox', id: 'log-follow' });
  const log = h('pre', { id: 'log', className: 'log' });
  const logState = h('span', { id: 'log-state', className: 'muted' });
  let stream: EventSource | undefined;
  onLeave(() => stream?.close());

  const renderHeader = (): void => {
    replace(
      header,
      h('h1', { id: 'job-name' }, job.name),
      h('span', { id: 'job-status' }, badge(job.status)),
      h(
        'span',
        { className: 'actions' },
        ...actionsFor(job.status).map((action) =>
          h(
            'button',
            {
              id: `action-${action}`,
              className: action === 'start' ? '' : 'danger',
              onclick: () => {
                void act(action);
              },
            },
            action,
          ),
        ),
      ),
    );
  };
  const act = async (action: string): Promise<void> => {
    if (!(await confirmAction(action, job.name))) return;
    try {
      await post(jobPath(job.name, `/${action}`));
      if (action === 'down') navigate('#/');
    } catch (error) {
      window.alert(
        error instanceof ApiError ? `${error.view.code}: ${error.message}` : String(error),
      );
    }
  };
  const renderAll = (): void => {
    renderHeader();
    replace(factsBox, facts(job));
    replace(timelineBox, h('h2', {}, 'Timeline'), timeline(detail, job));
    replace(outcomeBox, outcomeBlock(job));
  };
  const fillSelectors = (): void => {
    const rank = rankSelect.value;
    replace(
      rankSelect,
      ...Array.from({ length: job.numNodes }, (_, r) => h('option', { value: r }, `rank ${r}`)),
    );
    if (rank !== '') rankSelect.value = rank;
    const attempts =
      detail.attempts.length === 0 ? [job.attempt] : detail.attempts.map((a) => a.attempt);
    replace(attemptSelect, ...attempts.map((a) => h('option', { value: a }, `attempt ${a}`)));
    attemptSelect.value = String(attempts.includes(job.attempt) ? job.attempt : attempts.at(-1));
  };
  const loadLog = async (): Promise<void> => {
    stream?.close();
    stream = undefined;
    log.textContent = '';
    const attempt = Number(attemptSelect.value);
    const latest = attempt === job.attempt;
    const query = new URLSearchParams({ rank: rankSelect.value || '0', tail: String(LOG_TAIL) });
    if (!latest) query.set('attempt', String(attempt));
    if (follow.checked && latest && !TERMINAL.has(job.status)) {
      query.set('follow', '1');
      logState.textContent = 'following';
      const source = new EventSource(jobPath(job.name, `/logs?${query.toString()}`));
      stream = source;
      source.addEventListener('lines', (event) => {
        const lines = JSON.parse((event as MessageEvent<string>).data) as string[];
        const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
        log.append(`${lines.join('\n')}\n`);
        if (atBottom) log.scrollTop = log.scrollHeight;
      });
      source.addEventListener('end', () => {
        source.close();
        logState.textContent = 'the job ended';
      });
      source.addEventListener('failure', (event) => {
        source.close();
        logState.textContent = (
          JSON.parse((event as MessageEvent<string>).data) as { error: ErrorView }
        ).error.message;
      });
      return;
    }
    logState.textContent = '';
    const body = await get<{ lines: string[] }>(jobPath(job.name, `/logs?${query.toString()}`));
    log.textContent = body.lines.length === 0 ? '' : `${body.lines.join('\n')}\n`;
    document.body.dataset['log'] = 'loaded';
  };
  for (const control of [rankSelect, attemptSelect, follow]) {
    control.addEventListener('change', () => {
      void loadLog();
    });
  }
  follow.checked = !TERMINAL.has(job.status);
  replace(
    root,
    header,
    factsBox,
    outcomeBox,
    timelineBox,
    h('h2', {}, 'Logs'),
    h(
      'div',
      { className: 'toolbar' },
      rankSelect,
      attemptSelect,
      h('label', {}, follow, ' follow'),
      logState,
    ),
    log,
    detail.task === undefined
      ? ''
      : h(
          'div',
          {},
          h('h2', {}, 'Task (env values hidden)'),
          h('pre', { id: 'task' }, JSON.stringify(detail.task, null, 2)),
        ),
  );
  renderAll();
  fillSelectors();
  await loadLog();
  document.body.dataset['ready'] = 'job';

  listen({
    jobs: (change) => {
      if (change.removed.includes(name)) {
        replace(outcomeBox, h('p', { id: 'removed' }, 'this job was removed'));
        return;
      }
      const next = change.changed.find((j) => j.name === name);
      if (next === undefined) return;
      const restarted = next.attempt !== job.attempt;
      job = next;
      renderAll();
      if (restarted) {
        void get<JobDetail>(jobPath(name)).then((fresh) => {
          detail = fresh;
          job = fresh.job;
          renderAll();
          fillSelectors();
          void loadLog();
        });
      }
    },
  });
}
