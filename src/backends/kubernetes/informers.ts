/**
 * Informers shared by every wait of one process: per namespace, one JobSet informer and one pod
 * informer, both selecting konduktor's label. Waits subscribe to a job name and re-read the
 * caches when woken; fifty waits cost two watch connections, not fifty polling loops.
 *
 * The client's informer re-lists by itself after a 410 Gone, but stops after any other error
 * (`dist/cache.js` `doneHandler`): it is restarted here with a capped exponential backoff, and every
 * subscriber is woken after each successful (re)list, since events may have been missed.
 * @module
 */
import * as k8s from '@kubernetes/client-node';
import { JOBSET_API, LABELS } from './manifests.js';
import type { JobSetObject, PodObject } from './types.js';

const BACKOFF_START_MS = 250;
const BACKOFF_MAX_MS = 5000;
/** How many names of deleted JobSets {@link NamespaceInformers.awaitsJobSet} remembers. */
const DELETED_NAMES_KEPT = 512;

/** Counters, for the benchmark and for tests. */
export interface InformerStats {
  /** Watch connections opened so far (each informer opens one, again after every restart). */
  watchesOpened: number;
  /** List requests made by the informers. */
  lists: number;
  /** Errors that stopped an informer (then restarted). */
  errors: number;
}

type Listener = () => void;

/** One object informer with restart-with-backoff. */
class RestartingInformer<T extends k8s.KubernetesObject> {
  readonly #informer: k8s.Informer<T> & k8s.ObjectCache<T>;
  readonly #stats: InformerStats;
  readonly #onSynced: () => void;
  #backoff = BACKOFF_START_MS;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #failedSinceStart = false;
  #synced = false;
  lastError: unknown;
  /** When the latest list began (`performance.now()`): what came after reaches the watch. */
  listStartedAt = Number.POSITIVE_INFINITY;

  constructor(
    kc: k8s.KubeConfig,
    path: string,
    list: () => Promise<k8s.KubernetesListObject<T>>,
    selector: string,
    stats: InformerStats,
    onChange: (obj: T) => void,
    onSynced: () => void,
    onDelete: (obj: T) => void = () => undefined,
  ) {
    this.#stats = stats;
    this.#onSynced = onSynced;
    this.#informer = k8s.makeInformer<T>(
      kc,
      path,
      () => {
        stats.lists += 1;
        this.listStartedAt = performance.now();
        return list();
      },
      selector,
    );
    this.#informer.on('add', onChange);
    this.#informer.on('update', onChange);
    this.#informer.on('delete', (obj) => {
      onDelete(obj);
      onChange(obj);
    });
    this.#informer.on('connect', () => {
      stats.watchesOpened += 1;
    });
    this.#informer.on('error', (err: unknown) => {
      this.lastError = err;
      this.#failedSinceStart = true;
      stats.errors += 1;
      this.#scheduleRestart();
    });
  }

  get synced(): boolean {
    return this.#synced;
  }

  get cache(): k8s.ObjectCache<T> {
    return this.#informer;
  }

  start(): void {
    this.#stopped = false;
    void this.#run();
  }

  async #run(): Promise<void> {
    if (this.#stopped) return;
    this.#failedSinceStart = false;
    try {
      // Resolves once the list is done and the watch is open, or after an error was emitted.
      await this.#informer.start();
    } catch (err) {
      this.lastError = err;
      this.#failedSinceStart = true;
      this.#stats.errors += 1;
      this.#scheduleRestart();
      return;
    }
    // A stop during the initial list does not stop the watch the client opens after it.
    if (this.#isStopped()) {
      void this.#informer.stop();
      return;
    }
    // The error handler may have run during the await (TypeScript cannot see it).
    if (!this.#healthy()) return;
    {
      this.#backoff = BACKOFF_START_MS;
      this.#synced = true;
      this.lastError = undefined;
      this.#onSynced();
    }
  }

  #isStopped(): boolean {
    return this.#stopped;
  }

  #healthy(): boolean {
    return !this.#failedSinceStart && !this.#stopped;
  }

  #scheduleRestart(): void {
    if (this.#stopped || this.#timer !== undefined) return;
    const delay = this.#backoff;
    this.#backoff = Math.min(this.#backoff * 2, BACKOFF_MAX_MS);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#run();
    }, delay);
  }

  stop(): void {
    this.#stopped = true;
    this.#synced = false;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    void this.#informer.stop();
  }
}

/** The informers of one namespace and the waits subscribed to them. */
export class NamespaceInformers {
  readonly namespace: string;
  readonly stats: InformerStats = { watchesOpened: 0, lists: 0, errors: 0 };
  readonly #jobsets: RestartingInformer<k8s.KubernetesObject>;
  readonly #pods: RestartingInformer<k8s.V1Pod>;
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #syncWaiters = new Set<Listener>();
  /** Listeners of every job's changes (the recorder): given the job, `undefined` after a re-list. */
  readonly #allListeners = new Set<(job: string | undefined) => void>();
  /** Names of the JobSets whose deletion the watch delivered lately (the latest few hundred). */
  readonly #deleted = new Set<string>();
  #started = false;

  constructor(kc: k8s.KubeConfig, namespace: string) {
    this.namespace = namespace;
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const selector = `${LABELS.managed}=true`;
    const jobOf = (obj: k8s.KubernetesObject): string | undefined =>
      obj.metadata?.labels?.[LABELS.job] ?? obj.metadata?.name;
    const onSynced = (): void => {
      if (!this.synced) return;
      for (const waiter of [...this.#syncWaiters]) waiter();
      // Events may have been missed while the watch was down: everyone re-reads.
      for (const set of this.#listeners.values()) for (const listener of [...set]) listener();
      for (const listener of [...this.#allListeners]) listener(undefined);
    };
    this.#jobsets = new RestartingInformer<k8s.KubernetesObject>(
      kc,
      `/apis/${JOBSET_API.group}/${JOBSET_API.version}/namespaces/${namespace}/${JOBSET_API.plural}`,
      async () =>
        (await custom.listNamespacedCustomObject({
          ...JOBSET_API,
          namespace,
          labelSelector: selector,
        })) as k8s.KubernetesListObject<k8s.KubernetesObject>,
      selector,
      this.stats,
      (obj) => {
        this.#notify(obj.metadata?.name);
      },
      onSynced,
      (obj) => {
        const name = obj.metadata?.name;
        if (name === undefined) return;
        this.#deleted.add(name);
        for (const old of this.#deleted) {
          if (this.#deleted.size <= DELETED_NAMES_KEPT) break;
          this.#deleted.delete(old);
        }
      },
    );
    this.#pods = new RestartingInformer<k8s.V1Pod>(
      kc,
      `/api/v1/namespaces/${namespace}/pods`,
      () => core.listNamespacedPod({ namespace, labelSelector: selector }),
      selector,
      this.stats,
      (pod) => {
        this.#notify(jobOf(pod));
      },
      onSynced,
    );
  }

  /** True once both informers have listed at least once. */
  get synced(): boolean {
    return this.#jobsets.synced && this.#pods.synced;
  }

  /** The error that stopped an informer most recently, while it is being restarted. */
  get lastError(): unknown {
    return this.#jobsets.lastError ?? this.#pods.lastError;
  }

  #notify(job: string | undefined): void {
    if (job === undefined) return;
    for (const listener of [...(this.#listeners.get(job) ?? [])]) listener();
    for (const listener of [...this.#allListeners]) listener(job);
  }

  #start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#jobsets.start();
    this.#pods.start();
  }

  /** Resolves once both informers have listed (rejects with the signal's reason on abort). */
  async ready(signal?: AbortSignal): Promise<void> {
    this.#start();
    if (this.synced) return;
    signal?.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      const done = (): void => {
        this.#syncWaiters.delete(done);
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        this.#syncWaiters.delete(done);
        reject(signal?.reason as Error);
      };
      this.#syncWaiters.add(done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Calls `listener` whenever the job's JobSet or one of its pods changes. The informers start with
   * {@link NamespaceInformers.ready} and run while anyone is subscribed: the last unsubscribe stops them, so a settled wait leaves no watch
   * connection keeping the process alive.
   */
  subscribe(job: string, listener: Listener): () => void {
    let set = this.#listeners.get(job);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(job, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(job);
      this.#stopWhenUnused();
    };
  }

  /**
   * Calls `listener` with the job's name whenever any job's JobSet or pod changes, and with
   * `undefined` after every (re-)list, when events may have been missed. Keeps the informers
   * running like {@link NamespaceInformers.subscribe}.
   */
  subscribeAll(listener: (job: string | undefined) => void): () => void {
    this.#allListeners.add(listener);
    return () => {
      this.#allListeners.delete(listener);
      this.#stopWhenUnused();
    };
  }

  #stopWhenUnused(): void {
    if (this.#listeners.size === 0 && this.#allListeners.size === 0 && this.#syncWaiters.size === 0)
      this.stop();
  }

  /** The cached JobSet of a job. */
  jobset(name: string): JobSetObject | undefined {
    return this.#jobsets.cache.get(name, this.namespace) as JobSetObject | undefined;
  }

  /**
   * True when the JobSet informer has yet to deliver job `name`, which the API said was created
   * by `createdBy` (`performance.now()`): that answer came after the informer's latest list
   * began, so the JobSet is in the cache or its watch event is still to come, and no deletion of
   * it came. (A JobSet created before that list began was in the list: absent now, it is gone.)
   */
  awaitsJobSet(name: string, createdBy: number): boolean {
    return (
      this.jobset(name) === undefined &&
      createdBy >= this.#jobsets.listStartedAt &&
      !this.#deleted.has(name)
    );
  }

  /** Every cached konduktor JobSet. */
  jobsets(): JobSetObject[] {
    return this.#jobsets.cache.list(this.namespace) as JobSetObject[];
  }

  /** The cached pods of a job. */
  pods(job: string): PodObject[] {
    return (this.#pods.cache.list(this.namespace) as readonly PodObject[]).filter(
      (pod) => pod.metadata?.labels?.[LABELS.job] === job,
    );
  }

  /** Number of waits subscribed. */
  get subscribers(): number {
    let n = 0;
    for (const set of this.#listeners.values()) n += set.size;
    return n;
  }

  /** Stops both informers. */
  stop(): void {
    if (!this.#started) return;
    this.#jobsets.stop();
    this.#pods.stop();
    this.#started = false;
  }
}
