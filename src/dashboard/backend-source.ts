/**
 * The dashboard over any backend, through the {@link Backend} interface alone (the Kubernetes
 * backend uses it). The job list is one `list()` shared by every page and refreshed at most once
 * per {@link LIST_TTL_MS}; the live watch lists once per interval, however many pages are open,
 * and sends on the jobs that look different.
 * @module
 */
import type { Backend, BackendQueueInfo, JobInfo } from '../backends/backend.js';
import { globToRegExp } from '../cli/commands/down.js';
import { UsageError } from '../errors.js';
import { FanOut } from './fan-out.js';
import {
  actOn,
  type DashboardSource,
  type JobAction,
  type JobQuery,
  type LogQuery,
} from './source.js';
import type { JobDetail, JobPage, JobsChange, JobView } from './types.js';
import { countStatuses, jobView, viewKey } from './views.js';

/** How long one list of the backend's jobs serves every page. */
const LIST_TTL_MS = 1000;
/** How often the live watch lists the jobs. */
const WATCH_MS = 1000;

/** The dashboard's view of a backend that has no store of its own to query. */
export class BackendSource implements DashboardSource {
  readonly kind: Backend['kind'];
  readonly description: string;
  readonly #backend: Backend;
  readonly #fan: FanOut<JobsChange>;
  #reads = 0;
  #cached: { readonly at: number; readonly jobs: Promise<JobInfo[]> } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #keys = new Map<string, string>();
  #polling = false;

  constructor(backend: Backend) {
    this.#backend = backend;
    this.kind = backend.kind;
    this.description = backend.description;
    this.#fan = new FanOut<JobsChange>(
      () => {
        this.#startWatch();
      },
      () => {
        clearInterval(this.#timer);
        this.#timer = undefined;
        this.#keys.clear();
      },
    );
  }

  get reads(): number {
    return this.#reads;
  }

  /** Every job, newest first, from a list at most {@link LIST_TTL_MS} old. */
  async #list(fresh = false): Promise<JobInfo[]> {
    const now = Date.now();
    if (fresh || this.#cached === undefined || now - this.#cached.at >= LIST_TTL_MS) {
      this.#reads += 1;
      const jobs = this.#backend.list();
      this.#cached = { at: now, jobs };
      jobs.catch(() => {
        if (this.#cached?.jobs === jobs) this.#cached = undefined;
      });
    }
    return this.#cached.jobs;
  }

  async page(query: JobQuery): Promise<JobPage> {
    const all = await this.#list();
    const pattern = query.glob === undefined ? undefined : globToRegExp(query.glob);
    const matching = all.filter(
      (job) =>
        (query.statuses.length === 0 || query.statuses.includes(job.status)) &&
        (pattern === undefined || pattern.test(job.name)),
    );
    return {
      jobs: matching.slice(query.offset, query.offset + query.limit).map(jobView),
      total: matching.length,
      offset: query.offset,
      limit: query.limit,
      counts: countStatuses(all.map((job) => job.status)),
    };
  }

  async detail(name: string): Promise<JobDetail> {
    this.#reads += 1;
    const info = await this.#backend.get(name);
    const ranks = Array.from({ length: info.numNodes }, (_, rank) => rank);
    return {
      job: jobView(info),
      // Earlier attempts' pods are gone once restarted; only the latest attempt has logs.
      attempts: [{ attempt: info.attempt, ranks }],
    };
  }

  async *logs(name: string, query: LogQuery): AsyncGenerator<string> {
    this.#reads += 1;
    const info = await this.#backend.get(name);
    if (query.attempt !== undefined && query.attempt !== info.attempt) {
      throw new UsageError(
        `${this.#backend.kind} keeps the logs of the latest attempt only (${info.attempt}), not of attempt ${query.attempt}`,
      );
    }
    if (query.rank >= info.numNodes) {
      throw new UsageError(`job ${name} has no rank ${query.rank} (it has ${info.numNodes})`);
    }
    yield* this.#backend.logs(name, {
      rank: query.rank,
      follow: query.follow,
      signal: query.signal,
      ...(query.tail === undefined ? {} : { tail: query.tail }),
    });
  }

  async queue(): Promise<BackendQueueInfo | undefined> {
    // Through the optional seam, as `konduktor queue` does: any backend that keeps its own queue
    // shows it, whatever its class.
    if (this.#backend.queue === undefined) return undefined;
    this.#reads += 1;
    return this.#backend.queue();
  }

  async act(action: JobAction, name: string): Promise<void> {
    this.#cached = undefined;
    return actOn(this.#backend, action, name);
  }

  watch(listener: (change: JobsChange) => void): () => void {
    return this.#fan.add(listener);
  }

  #startWatch(): void {
    void this.#poll(true);
    this.#timer = setInterval(() => {
      void this.#poll(false);
    }, WATCH_MS);
  }

  /** Lists once and sends on what changed (the first poll only records what is there). */
  async #poll(first: boolean): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      const all = await this.#list(true);
      const keys = new Map<string, string>();
      const changed: JobView[] = [];
      for (const info of all) {
        const view = jobView(info);
        const key = viewKey(view);
        keys.set(info.name, key);
        if (this.#keys.get(info.name) !== key) changed.push(view);
      }
      const removed = [...this.#keys.keys()].filter((name) => !keys.has(name));
      this.#keys = keys;
      if (first || (changed.length === 0 && removed.length === 0)) return;
      this.#fan.emit({
        changed,
        removed,
        counts: countStatuses(all.map((job) => job.status)),
        total: all.length,
      });
    } catch {
      // The cluster is unreachable for a moment: the next poll tries again.
    } finally {
      this.#polling = false;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
