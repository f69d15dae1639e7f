/**
 * The local queue: capacity, what is in use, and the queued jobs with what each waits for.
 * @module
 */
import type { BackendQueueInfo as QueueInfo } from '../../src/backends/backend.js';
import { get } from './api.js';
import { h, replace } from './dom.js';
import { listen } from './live.js';

const round = (n: number): number => Math.round(n * 100) / 100;

function render(root: HTMLElement, queue: QueueInfo): void {
  const { capacity, used } = queue;
  replace(
    root,
    h('h1', {}, 'Queue'),
    h(
      'table',
      { className: 'grid', id: 'capacity' },
      h(
        'thead',
        {},
        h('tr', {}, ...['resource', 'capacity', 'in use', 'free'].map((t) => h('th', {}, t))),
      ),
      h(
        'tbody',
        {},
        h(
          'tr',
          {},
          h('td', {}, 'cpus'),
          h('td', {}, capacity.cpus),
          h('td', {}, round(used.cpus)),
          h('td', {}, round(capacity.cpus - used.cpus)),
        ),
        h(
          'tr',
          {},
          h('td', {}, 'memory (GiB)'),
          h('td', {}, capacity.memory),
          h('td', {}, round(used.memory)),
          h('td', {}, round(capacity.memory - used.memory)),
        ),
        h(
          'tr',
          {},
          h('td', {}, 'gpus'),
          h('td', {}, capacity.gpus.join(',') || '0'),
          h('td', {}, used.gpus.join(',') || '-'),
          h('td', {}, capacity.gpus.length - used.gpus.length),
        ),
      ),
    ),
    h('p', { id: 'queue-summary' }, `${queue.running} running, ${queue.waiting.length} queued`),
    queue.waiting.length === 0
      ? ''
      : h(
          'table',
          { className: 'grid', id: 'waiting' },
          h('thead', {}, h('tr', {}, ...['#', 'job', 'waiting for'].map((t) => h('th', {}, t)))),
          h(
            'tbody',
            {},
            ...queue.waiting.map((job) =>
              h(
                'tr',
                { 'data-job': job.name },
                h('td', {}, job.position),
                h('td', {}, h('a', { href: `#/job/${encodeURIComponent(job.name)}` }, job.name)),
                h('td', {}, job.reason),
              ),
            ),
          ),
        ),
  );
}

/** Renders the queue into `root` and keeps it live. */
export async function queueView(root: HTMLElement): Promise<void> {
  render(root, await get<QueueInfo>('/api/queue'));
  document.body.dataset['ready'] = 'queue';
  listen({
    queue: (queue) => {
      render(root, queue);
    },
  });
}
