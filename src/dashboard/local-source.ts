/**
 * The dashboard over the local backend. Pages come from the store's indexes (a page of 10,000
 * jobs costs what a page of 100 does); the job page adds the stored task (env values hidden) and
 * the attempts found in the job's directory.
 *
 * Live updates: one watch per server, whatever the number of pages — the events directory (the
 * supervisors touch `events/<job>` when a job ends or restarts), `PRAGMA data_version` every
 * {@link VERSION_POLL_MS} (any commit by another connection: a submit, an admission, a cancel), and
 * once a second an admission pass while jobs are live (it notices dead supervisors). A change is
 * read once: the live jobs, the jobs submitted since the newest seen, the counts; only what looks
 * different is sent on.
 * @module
 */
import { type FSWatcher, readdirSync, statSync, watch } from 'node:fs';
import { join } from 'node:path';
import type { BackendQueueInfo, JobInfo } from '../backends/backend.js';
import { homeLayout } from '../backends/local/home.js';
import { isSettled, jobInfoOf } from '../backends/local/job-info.js';
import type { LocalBackend } from '../backends/local/local-backend.js';
import type { JobRow } from '../backends/local/store.js';
import { attemptOfEntry, rankOfEntry, RANK_FILES } from '../backends/local/protocol.js';
import { JobNotFoundError, UsageError } from '../errors.js';
import { FanOut } from './fan-out.js';
import { JobIndex } from './job-index.js';
import {
  actOn,
  type DashboardSource,
  type JobAction,
  type JobQuery,
  type LogQuery,
} from './source.js';
import type { AttemptView, JobDetail, JobPage, JobsChange, JobView } from './types.js';
import { jobView, redactTask, viewKey } from './views.js';

/** How often the store's change counter is read while pages are open. */
const VERSION_POLL_MS = 200;
/** How often live jobs' supervisors are checked (a killed one leaves no event). */
const LIVENESS_MS = 1000;
/** Events arriving within this long are read as one change. */
const COALESCE_MS = 25;

type Waiting = ReadonlyMap<string, { position: number; reason: string }>;

/** The dashboard's view of a {@link LocalBackend}. */
export class LocalSource implements DashboardSource {
  readonly kind = 'local' as const;
  readonly description: string;
  readonly #backend: LocalBackend;
  readonly #index: JobIndex;
  readonly #jobs: string;
  readonly #events: string;
  readonly #fan: FanOut<JobsChange>;
  /** Backend calls that read the store (refreshes, the queue), beside the index's statements. */
  #backendReads = 0;
  // The watch's state.
  #watcher: FSWatcher | undefined;
  #timers: NodeJS.Timeout[] = [];
  #version = 0;
  #dirty = new Set<string>();
  #keys = new Map<string, string>();
  #live = new Set<string>();
  #names = new Set<string>();
  #newest = 0;
  #scheduled: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;
  #again = false;

  constructor(backend: LocalBackend) {
    this.#backend = backend;
    this.description = backend.description;
    // Opening the backend's store first creates the database the index reads.
    backend.count();
    const layout = homeLayout(backend.home);
    this.#jobs = layout.jobs;
    this.#events = layout.events;
    this.#index = new JobIndex(layout.database);
    this.#fan = new FanOut<JobsChange>(
      () => {
        this.#startWatch();
      },
      () => {
        this.#stopWatch();
      },
    );
  }

  get reads(): number {
    return this.#index.reads + this.#backendReads;
  }

  async page(query: JobQuery): Promise<JobPage> {
    const filter = {
      statuses: query.statuses,
      ...(query.glob === undefined ? {} : { glob: query.glob }),
    };
    const rows = this.#index.page({ ...filter, offset: query.offset, limit: query.limit });
    const total = this.#index.count(filter);
    const counts = this.#index.counts();
    const jobs: JobView[] = [];
    for (const row of rows) {
      const info = await this.#current(row);
      if (info !== undefined) jobs.push(jobView(info));
    }
    return { jobs, total, offset: query.offset, limit: query.limit, counts };
  }

  /** A listed job as it is now: a job that may still change is refreshed by the backend. */
  async #current(row: JobRow): Promise<JobInfo | undefined> {
    if (isSettled(row.status)) return jobInfoOf(row);
    try {
      this.#backendReads += 1;
      return await this.#backend.get(row.name);
    } catch (error) {
      if (error instanceof JobNotFoundError) return undefined;
      throw error;
    }
  }

  async detail(name: string): Promise<JobDetail> {
    this.#backendReads += 1;
    const info = await this.#backend.get(name);
    const row = this.#index.get(name);
    const spec = this.#index.spec(name);
    return {
      job: jobView(info),
      ...(spec === undefined || spec === '' ? {} : { task: redactTask(JSON.parse(spec)) }),
      attempts: attemptsOf(join(this.#jobs, name)),
      ...(row === undefined
        ? {}
        : {
            placement: {
              priority: row.priority,
              ...(row.demand === null ? {} : { demand: JSON.parse(row.demand) as unknown }),
              ...(row.allocation === null
                ? {}
                : { gpus: JSON.parse(row.allocation) as number[][] }),
            },
          }),
    };
  }

  async *logs(name: string, query: LogQuery): AsyncGenerator<string> {
    this.#backendReads += 1;
    const info = await this.#backend.get(name);
    if (query.rank >= info.numNodes) {
      throw new UsageError(
        `job ${name} has ${info.numNodes} rank${info.numNodes === 1 ? '' : 's'} (0 to ${info.numNodes - 1}); there is no rank ${query.rank}`,
      );
    }
    // The backend reads the chosen attempt (or the latest), following on across restarts.
    yield* this.#backend.logs(name, {
      rank: query.rank,
      follow: query.follow,
      signal: query.signal,
      ...(query.attempt === undefined ? {} : { attempt: query.attempt }),
      ...(query.tail === undefined ? {} : { tail: query.tail }),
    });
  }

  async queue(): Promise<BackendQueueInfo> {
    this.#backendReads += 1;
    return this.#backend.queue();
  }

  async act(action: JobAction, name: string): Promise<void> {
    return actOn(this.#backend, action, name);
  }

  watch(listener: (change: JobsChange) => void): () => void {
    return this.#fan.add(listener);
  }

  #startWatch(): void {
    this.#version = this.#index.dataVersion();
    this.#names = new Set(this.#index.names());
    this.#newest = this.#index.page({ offset: 0, limit: 1 })[0]?.submitted_at ?? 0;
    const waiting = this.#waiting(this.#index.live());
    for (const row of this.#index.live()) {
      this.#live.add(row.name);
      this.#keys.set(row.name, viewKey(jobView(describe(row, waiting))));
    }
    try {
      this.#watcher = watch(this.#events, { persistent: false }, (_event, filename) => {
        if (filename !== null) this.#dirty.add(filename);
        this.#schedule();
      });
      this.#watcher.on('error', () => {
        // The store's change counter still sees every recorded change, a moment later.
        this.#watcher?.close();
        this.#watcher = undefined;
      });
    } catch {
      this.#watcher = undefined;
    }
    this.#timers = [
      setInterval(() => {
        if (this.#index.dataVersion() !== this.#version) this.#schedule();
      }, VERSION_POLL_MS),
      setInterval(() => {
        if (this.#live.size === 0) return;
        this.#backendReads += 1;
        try {
          this.#backend.admitPending();
        } catch {
          // A busy store: the next second tries again.
        }
      }, LIVENESS_MS),
    ];
  }

  #stopWatch(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    if (this.#scheduled !== undefined) clearTimeout(this.#scheduled);
    this.#scheduled = undefined;
    this.#keys.clear();
    this.#live.clear();
    this.#names.clear();
  }

  #schedule(): void {
    if (this.#ticking !== undefined) {
      this.#again = true;
      return;
    }
    if (this.#scheduled !== undefined || this.#fan.size === 0) return;
    this.#scheduled = setTimeout(() => {
      this.#scheduled = undefined;
      this.#ticking = this.#tick()
        .catch(() => {
          // A failed read (a busy or full disk) is retried with the next change or poll.
        })
        .finally(() => {
          this.#ticking = undefined;
          if (this.#again) {
            this.#again = false;
            this.#schedule();
          }
        });
    }, COALESCE_MS);
  }

  /** Reads what changed, once, and hands it to every listener. */
  async #tick(): Promise<void> {
    this.#version = this.#index.dataVersion();
    const removed = new Set<string>();
    // A job whose supervisor touched its event file may have ended: the backend records it.
    const dirty = [...this.#dirty];
    this.#dirty.clear();
    for (const name of dirty) {
      if (!this.#live.has(name)) {
        if (this.#names.has(name) && this.#index.get(name) === undefined) removed.add(name);
        continue;
      }
      try {
        this.#backendReads += 1;
        await this.#backend.get(name);
      } catch (error) {
        if (error instanceof JobNotFoundError) removed.add(name);
      }
    }
    const live = this.#index.live();
    const candidates = new Map<string, JobRow>(live.map((row) => [row.name, row]));
    const fresh = this.#index.since(this.#newest);
    for (const row of fresh) candidates.set(row.name, row);
    for (const name of this.#live) {
      if (candidates.has(name)) continue;
      const row = this.#index.get(name);
      if (row === undefined) removed.add(name);
      else candidates.set(name, row);
    }
    const total = this.#index.count();
    const added = fresh.filter((row) => !this.#names.has(row.name)).length;
    const known = [...removed].filter((name) => this.#names.has(name)).length;
    if (total !== this.#names.size + added - known) {
      // Jobs were removed that were not live (a `down` of ended jobs): find which, once.
      const all = new Set(this.#index.names());
      for (const name of this.#names) if (!all.has(name)) removed.add(name);
      this.#names = all;
    } else {
      for (const row of fresh) this.#names.add(row.name);
      for (const name of removed) this.#names.delete(name);
    }
    const waiting = this.#waiting([...candidates.values()]);
    const changed: JobView[] = [];
    const keys = new Map<string, string>();
    for (const row of candidates.values()) {
      const view = jobView(describe(row, waiting));
      const key = viewKey(view);
      keys.set(row.name, key);
      if (this.#keys.get(row.name) !== key) changed.push(view);
    }
    this.#keys = keys;
    this.#live = new Set(live.map((row) => row.name));
    this.#newest = Math.max(this.#newest, ...fresh.map((row) => row.submitted_at));
    if (changed.length === 0 && removed.size === 0) return;
    changed.sort((a, b) => (a.submittedAt < b.submittedAt ? 1 : -1));
    this.#fan.emit({ changed, removed: [...removed], counts: this.#index.counts(), total });
  }

  /** Why each queued job waits, when any of `rows` is queued (one queue read). */
  #waiting(rows: readonly JobRow[]): Waiting {
    if (!rows.some((row) => row.status === 'PENDING')) return new Map();
    this.#backendReads += 1;
    return new Map(this.#backend.queue().waiting.map((entry) => [entry.name, entry]));
  }

  async close(): Promise<void> {
    this.#stopWatch();
    if (this.#ticking !== undefined) await this.#ticking;
    this.#index.close();
  }
}

/** A row as the backend would describe it: a queued job says its place and what it waits for. */
function describe(row: JobRow, waiting: Waiting): JobInfo {
  const info = jobInfoOf(row);
  if (info.status !== 'PENDING') return info;
  const why = waiting.get(row.name);
  return {
    ...info,
    reason: why === undefined ? 'starting' : `queued #${why.position}: ${why.reason}`,
  };
}

/** The attempts found in a job's directory, with their ranks and times. */
function attemptsOf(dir: string): AttemptView[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const attempts: AttemptView[] = [];
  for (const entry of entries) {
    const attempt = attemptOfEntry(entry);
    if (attempt === undefined) continue;
    const attemptDir = join(dir, entry);
    const ranks: number[] = [];
    let lastOutput = 0;
    for (const rankEntry of safeReaddir(attemptDir)) {
      const rank = rankOfEntry(rankEntry);
      if (rank === undefined) continue;
      ranks.push(rank);
      try {
        lastOutput = Math.max(
          lastOutput,
          statSync(join(attemptDir, rankEntry, RANK_FILES.log)).mtimeMs,
        );
      } catch {
        // No output yet.
      }
    }
    ranks.sort((a, b) => a - b);
    const stat = statSync(attemptDir, { throwIfNoEntry: false });
    const born = stat === undefined ? 0 : stat.birthtimeMs || stat.ctimeMs;
    attempts.push({
      attempt,
      ranks,
      ...(born > 0 ? { startedAt: new Date(born).toISOString() } : {}),
      ...(lastOutput > 0 ? { lastOutputAt: new Date(lastOutput).toISOString() } : {}),
    });
  }
  return attempts.sort((a, b) => a.attempt - b.attempt);
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
