/**
 * The live channel (`GET /api/events`): every open page is one Server-Sent Events stream with the
 * topics it wants (`jobs`, `queue`, `sweeps`). The hub subscribes once to the job source and once
 * to the sweeps, serialises each change once, and writes the same text to every stream: fifty
 * open pages cost the store what one does.
 * @module
 */
import type { JobStatus } from '../backends/backend.js';
import { globToRegExp } from '../cli/commands/down.js';
import type { EventStream } from './http.js';
import type { DashboardSource } from './source.js';
import type { SweepSource } from './sweep-source.js';
import type { JobsChange, JobView, SweepDetail } from './types.js';

/** What a page may subscribe to. */
export const TOPICS = ['jobs', 'queue', 'sweeps'] as const;
/** One of {@link TOPICS}. */
export type Topic = (typeof TOPICS)[number];

/** Which jobs a page lists: it is told which changed jobs match. */
export interface JobFilter {
  readonly statuses: readonly JobStatus[];
  readonly glob?: string;
}

interface Client {
  readonly stream: EventStream;
  readonly topics: ReadonlySet<Topic>;
  /** The filter's text: pages with the same filter share one serialised event. */
  readonly filterKey: string;
  readonly matches: (job: JobView) => boolean;
}

/** Fans the changes of one source out to every open stream. */
export class LiveHub {
  readonly #source: DashboardSource;
  readonly #sweeps: SweepSource;
  readonly #clients = new Set<Client>();
  #unwatchJobs: (() => void) | undefined;
  #unwatchSweeps: (() => void) | undefined;
  /** Job changes handed out so far. */
  changes = 0;

  constructor(source: DashboardSource, sweeps: SweepSource) {
    this.#source = source;
    this.#sweeps = sweeps;
  }

  /** Open streams. */
  get clients(): number {
    return this.#clients.size;
  }

  /** Adds a stream until it closes. */
  add(stream: EventStream, topics: ReadonlySet<Topic>, filter: JobFilter): void {
    const pattern = filter.glob === undefined ? undefined : globToRegExp(filter.glob);
    const client: Client = {
      stream,
      topics,
      filterKey: JSON.stringify(filter),
      matches: (job) =>
        (filter.statuses.length === 0 || filter.statuses.includes(job.status)) &&
        (pattern === undefined || pattern.test(job.name)),
    };
    this.#clients.add(client);
    this.#update();
    stream.send('ready', { topics: [...topics] });
  }

  /** Removes a stream (its connection closed). */
  remove(stream: EventStream): void {
    for (const client of this.#clients) if (client.stream === stream) this.#clients.delete(client);
    this.#update();
  }

  #wants(topic: Topic): boolean {
    for (const client of this.#clients) if (client.topics.has(topic)) return true;
    return false;
  }

  /** Watches what some stream wants, and nothing else. */
  #update(): void {
    const jobs = this.#wants('jobs') || this.#wants('queue');
    if (jobs && this.#unwatchJobs === undefined) {
      this.#unwatchJobs = this.#source.watch((change) => {
        void this.#onJobs(change);
      });
    } else if (!jobs && this.#unwatchJobs !== undefined) {
      this.#unwatchJobs();
      this.#unwatchJobs = undefined;
    }
    const sweeps = this.#wants('sweeps');
    if (sweeps && this.#unwatchSweeps === undefined) {
      this.#unwatchSweeps = this.#sweeps.watch((sweep) => {
        this.#onSweep(sweep);
      });
    } else if (!sweeps && this.#unwatchSweeps !== undefined) {
      this.#unwatchSweeps();
      this.#unwatchSweeps = undefined;
    }
  }

  #broadcast(topic: Topic, event: string, json: string): void {
    for (const client of this.#clients) {
      if (client.topics.has(topic)) client.stream.sendRaw(event, json);
    }
  }

  async #onJobs(change: JobsChange): Promise<void> {
    this.changes += 1;
    // Each page is told which changed jobs match its filter; one text per distinct filter.
    const texts = new Map<string, string>();
    for (const client of this.#clients) {
      if (!client.topics.has('jobs')) continue;
      let text = texts.get(client.filterKey);
      if (text === undefined) {
        const matching = change.changed.filter(client.matches).map((job) => job.name);
        text = JSON.stringify({ ...change, matching });
        texts.set(client.filterKey, text);
      }
      client.stream.sendRaw('jobs', text);
    }
    if (!this.#wants('queue')) return;
    try {
      const queue = await this.#source.queue();
      if (queue !== undefined) this.#broadcast('queue', 'queue', JSON.stringify(queue));
    } catch {
      // The queue page keeps its last view until the next change.
    }
  }

  #onSweep(sweep: SweepDetail): void {
    this.#broadcast('sweeps', 'sweep', JSON.stringify(sweep));
  }

  /** Ends every stream and watch. */
  close(): void {
    for (const client of this.#clients) client.stream.close();
    this.#clients.clear();
    this.#update();
  }
}
