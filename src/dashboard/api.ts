/**
 * The JSON API under `/api/` (documented in `docs/dashboard.md`): jobs, one job, its logs (JSON,
 * or followed as Server-Sent Events), the actions as POSTs, sweeps, the queue, and the live
 * channel.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { JobStatuses, type JobStatus } from '../backends/backend.js';
import { UsageError } from '../errors.js';
import { errorBody, EventStream, HttpError, sendJson } from './http.js';
import { type JobFilter, type LiveHub, type Topic, TOPICS } from './live.js';
import { JOB_ACTIONS, type DashboardSource, type JobAction } from './source.js';
import type { SweepSource } from './sweep-source.js';
import { nameGlob } from './views.js';

/** The largest page of jobs. */
export const MAX_PAGE = 500;
/** Log lines sent in one event at most, and how long lines wait to be sent with others. */
const LOG_BATCH = 500;
const LOG_BATCH_MS = 50;

/** What the API handlers need. */
export interface ApiContext {
  readonly source: DashboardSource;
  readonly sweeps: SweepSource;
  readonly live: LiveHub;
  /** Whether every request needs the token (the page shows it). */
  readonly tokenOnEveryRequest: boolean;
}

/** True for the requests that change state (they need the token). */
export function changesState(req: IncomingMessage): boolean {
  return req.method !== 'GET' && req.method !== 'HEAD';
}

/** Answers one `/api/…` request. */
export async function handleApi(
  context: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const parts = url.pathname
    .slice('/api/'.length)
    .split('/')
    .map((part) => decodeURIComponent(part));
  // A trailing slash names nothing more.
  if (parts.at(-1) === '') parts.pop();
  const method = req.method ?? 'GET';
  const [first, name, action, extra] = parts;
  const { source, sweeps } = context;

  if (first === 'jobs' && name !== undefined && action !== undefined && extra === undefined) {
    if (action === 'logs') {
      onlyGet(method);
      return logs(context, res, name, url.searchParams);
    }
    if ((JOB_ACTIONS as readonly string[]).includes(action)) {
      if (method !== 'POST')
        throw new HttpError(405, 'METHOD_NOT_ALLOWED', `use POST to ${action}`);
      await source.act(action as JobAction, name);
      sendJson(res, 200, { job: name, action, done: true });
      return;
    }
  }
  onlyGet(method);
  if (first === 'jobs' && name === undefined) {
    sendJson(res, 200, await source.page(pageQuery(url.searchParams)));
    return;
  }
  if (first === 'jobs' && name !== undefined && action === undefined) {
    sendJson(res, 200, await source.detail(name));
    return;
  }
  if (first === 'sweeps' && name === undefined) {
    sendJson(res, 200, { sweeps: sweeps.list() });
    return;
  }
  if (first === 'sweeps' && name !== undefined && action === undefined) {
    const sweep = sweeps.get(name);
    if (sweep === undefined) {
      throw new HttpError(404, 'SWEEP_NOT_FOUND', `no sweep named ${JSON.stringify(name)}`);
    }
    sendJson(res, 200, sweep);
    return;
  }
  if (first === 'queue' && name === undefined) {
    const queue = await source.queue();
    if (queue === undefined) {
      throw new HttpError(
        404,
        'NO_QUEUE',
        `${source.description} keeps no queue of its own: its cluster queues the jobs (a queued job's page says why it waits)`,
      );
    }
    sendJson(res, 200, queue);
    return;
  }
  if (first === 'events' && name === undefined) {
    events(context, req, res, url.searchParams);
    return;
  }
  if (first === 'info' && name === undefined) {
    sendJson(res, 200, {
      backend: source.kind,
      description: source.description,
      tokenOnEveryRequest: context.tokenOnEveryRequest,
    });
    return;
  }
  if (first === 'stats' && name === undefined) {
    sendJson(res, 200, {
      storeReads: source.reads,
      sweepReads: sweeps.reads,
      changes: context.live.changes,
      clients: context.live.clients,
    });
    return;
  }
  throw new HttpError(404, 'NOT_FOUND', `no API at ${url.pathname}`);
}

function onlyGet(method: string): void {
  if (method !== 'GET' && method !== 'HEAD') {
    throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed here; use GET`);
  }
}

/** A non-negative integer query parameter. */
function integer(params: URLSearchParams, key: string, fallback?: number): number | undefined {
  const text = params.get(key);
  if (text === null || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    throw new UsageError(`${key} must be a non-negative integer, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** The `status` and `name` filter of a jobs list. */
function jobFilter(params: URLSearchParams): JobFilter {
  const statuses = (params.get('status') ?? '')
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter((s) => s !== '');
  for (const status of statuses) {
    if (!(status in JobStatuses)) {
      throw new UsageError(
        `status ${JSON.stringify(status)} is not a job state; use ${Object.keys(JobStatuses).join(', ')}`,
      );
    }
  }
  const name = params.get('name')?.trim() ?? '';
  return { statuses: statuses as JobStatus[], ...(name === '' ? {} : { glob: nameGlob(name) }) };
}

function pageQuery(params: URLSearchParams): Parameters<DashboardSource['page']>[0] {
  const limit = integer(params, 'limit', 50) ?? 50;
  if (limit < 1 || limit > MAX_PAGE) {
    throw new UsageError(`limit must be between 1 and ${MAX_PAGE}, got ${limit}`);
  }
  return { ...jobFilter(params), offset: integer(params, 'offset', 0) ?? 0, limit };
}

/** `GET /api/jobs/NAME/logs`: JSON lines, or with `follow=1` an event stream until the job ends. */
async function logs(
  context: ApiContext,
  res: ServerResponse,
  name: string,
  params: URLSearchParams,
): Promise<void> {
  const rank = integer(params, 'rank', 0) ?? 0;
  const attempt = integer(params, 'attempt');
  const tail = integer(params, 'tail');
  const follow = params.get('follow') === '1' || params.get('follow') === 'true';
  const abort = new AbortController();
  res.on('close', () => {
    abort.abort();
  });
  const query = {
    rank,
    follow,
    signal: abort.signal,
    ...(attempt === undefined ? {} : { attempt }),
    ...(tail === undefined ? {} : { tail }),
  };
  const lines = context.source.logs(name, query)[Symbol.asyncIterator]();
  if (!follow) {
    const all: string[] = [];
    for (let next = await lines.next(); next.done !== true; next = await lines.next()) {
      all.push(next.value);
    }
    sendJson(res, 200, {
      job: name,
      rank,
      ...(attempt === undefined ? {} : { attempt }),
      lines: all,
    });
    return;
  }
  // The job must exist before the stream starts, so an unknown job is a 404, not an event.
  await context.source.detail(name);
  const stream = new EventStream(res);
  let batch: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    clearTimeout(timer);
    timer = undefined;
    if (batch.length > 0) stream.send('lines', batch);
    batch = [];
  };
  try {
    for (let next = await lines.next(); next.done !== true; next = await lines.next()) {
      batch.push(next.value);
      if (batch.length >= LOG_BATCH) flush();
      else timer ??= setTimeout(flush, LOG_BATCH_MS);
    }
    flush();
    stream.send('end', { job: name });
  } catch (error) {
    flush();
    // Headers are sent: the error becomes the stream's last event.
    if (!abort.signal.aborted) stream.send('failure', errorBody(error));
  } finally {
    clearTimeout(timer);
    stream.close();
  }
}

/** `GET /api/events?topics=jobs,queue,sweeps`: the live channel. */
function events(
  context: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  params: URLSearchParams,
): void {
  const asked = (params.get('topics') ?? 'jobs').split(',').filter((t) => t !== '');
  for (const topic of asked) {
    if (!(TOPICS as readonly string[]).includes(topic)) {
      throw new UsageError(`topic ${JSON.stringify(topic)} is not one of ${TOPICS.join(', ')}`);
    }
  }
  const filter = jobFilter(params);
  const stream = new EventStream(res);
  context.live.add(stream, new Set(asked as Topic[]), filter);
  req.on('close', () => {
    context.live.remove(stream);
  });
}
