/**
 * The page's one live channel (`/api/events`): the view in front subscribes to the topics it
 * shows; the channel is opened again only when the jobs filter changes.
 * @module
 */
import type { JobsChange, SweepDetail } from '../../src/dashboard/types.js';
import type { BackendQueueInfo as QueueInfo } from '../../src/backends/backend.js';

/** A `jobs` event: the change, and which changed jobs match this page's filter. */
export type JobsEvent = JobsChange & { readonly matching: readonly string[] };

/** What a view listens to. */
export interface LiveHandlers {
  /** The channel is subscribed: every change from now on will arrive. */
  readonly ready?: () => void;
  readonly jobs?: (change: JobsEvent) => void;
  readonly queue?: (queue: QueueInfo) => void;
  readonly sweep?: (sweep: SweepDetail) => void;
}

let source: EventSource | undefined;
let sourceUrl = '';
let handlers: LiveHandlers = {};
let isReady = false;

/** Points the channel at `handlers`, with the jobs filter (status list, name) of the view. */
export function listen(
  next: LiveHandlers,
  filter: { readonly status?: string; readonly name?: string } = {},
): void {
  handlers = next;
  const params = new URLSearchParams({ topics: 'jobs,queue,sweeps' });
  if (filter.status !== undefined && filter.status !== '') params.set('status', filter.status);
  if (filter.name !== undefined && filter.name !== '') params.set('name', filter.name);
  const url = `/api/events?${params.toString()}`;
  if (source !== undefined && url === sourceUrl) {
    if (isReady) queueMicrotask(() => next.ready?.());
    return;
  }
  source?.close();
  sourceUrl = url;
  isReady = false;
  source = new EventSource(url);
  source.addEventListener('jobs', (event) => {
    handlers.jobs?.(JSON.parse((event as MessageEvent<string>).data) as JobsEvent);
  });
  source.addEventListener('queue', (event) => {
    handlers.queue?.(JSON.parse((event as MessageEvent<string>).data) as QueueInfo);
  });
  source.addEventListener('sweep', (event) => {
    handlers.sweep?.(JSON.parse((event as MessageEvent<string>).data) as SweepDetail);
  });
  source.addEventListener('ready', () => {
    isReady = true;
    document.body.dataset['live'] = 'open';
    handlers.ready?.();
  });
  source.addEventListener('error', () => {
    isReady = false;
    document.body.dataset['live'] = 'reconnecting';
  });
}
