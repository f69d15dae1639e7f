/**
 * The Kubernetes backend: every task a JobSet, results through rank 0's termination message,
 * persisted as the `KonduktorResult` condition on the JobSet's status.
 *
 * This class is a façade over the backend's concerns, each in its own module:
 * - `api.ts` ({@link JobSetApi}): every API call, and the API's failures as konduktor's errors;
 *   `client.ts`: the kubeconfig (the connection) and reading the client's errors.
 * - `informer-registry.ts`, `informers.ts`: one JobSet and one pod informer per namespace, shared
 *   by every wait of the process.
 * - `status.ts` ({@link JobStatusReader}), `job-info.ts`: reading jobs and waiting for their end.
 * - `recording.ts` ({@link JobRecorder}), `condition.ts`, `outcome.ts`: judging an end and
 *   recording it, so the result outlives the pods. The first process that sees a job end records
 *   its outcome; every other process, now or later, reads the condition.
 * - `lifecycle.ts` ({@link JobSetLifecycle}), `kueue.ts`: submit, cancel, stop, start, remove.
 * - `manifests.ts`, `container-script.ts`: the JobSet a task becomes; `logs.ts`: reading logs.
 * - `shipping/`: the task's workdir and file mounts, packed and sent to the pods.
 * @module
 */
import type { MetricPoint } from '../../metrics/line.js';
import type { TaskSpec } from '../../task/types.js';
import {
  type Backend,
  type BackendLogOptions,
  type BackendMetricsOptions,
  type BackendWaitOptions,
  isTerminal,
  type JobInfo,
  type TerminalJobInfo,
} from '../backend.js';
import { JobSetApi } from './api.js';
import { LaunchLog } from './expiry.js';
import { loadKubeConfig } from './client.js';
import { BackendInformers } from './informer-registry.js';
import type { InformerStats, NamespaceInformers } from './informers.js';
import { placementWarning } from './fit.js';
import { JobSetLifecycle } from './lifecycle.js';
import { jobLogs } from './logs.js';
import { logStateOf } from './logs-attempt.js';
import { jobMetrics, type JobMetricsOptions } from './pod-metrics.js';
import { CONTAINER_NAME } from './manifests.js';
import { JobRecorder } from './recording.js';
import { JobStatusReader } from './status.js';
import type { StorageConfig } from '../../config.js';
import { CodeShipping } from './shipping/index.js';
import type { ArchiveStoreStats, S3ArchiveStore } from './shipping/storage.js';

/** Options of {@link KubernetesBackend.connect}. */
export interface KubernetesBackendOptions {
  /** The konduktor home (for config.yaml, and the remembered archives of shipped code). */
  readonly home: string;
  /** The kubeconfig context. @default the kubeconfig's current context */
  readonly context?: string;
  /** The namespace. @default the context's, else `default` */
  readonly namespace?: string;
  /** The kubeconfig file. @default $KUBECONFIG, else ~/.kube/config */
  readonly kubeconfig?: string;
  /**
   * Seconds a finished job's JobSet is kept before the cluster deletes it (`kubernetes.ttl`).
   * @default 604800 (7 days)
   */
  readonly ttlSeconds?: number;
  /** `kubernetes.storage`: the bucket large shipped code goes through. @default none */
  readonly storage?: StorageConfig;
}

/** The Kubernetes backend. See the module documentation. */
class KubernetesBackendImpl implements Backend {
  readonly kind = 'kubernetes' as const;
  readonly description: string;
  readonly namespace: string;
  readonly #api: JobSetApi;
  readonly #informers: BackendInformers;
  readonly #recorder: JobRecorder;
  readonly #status: JobStatusReader;
  readonly #lifecycle: JobSetLifecycle;

  readonly #archives: S3ArchiveStore | undefined;
  readonly #shipping: CodeShipping;

  constructor(
    api: JobSetApi,
    shipping: CodeShipping,
    archives?: S3ArchiveStore,
    ttlSeconds?: number,
  ) {
    this.#api = api;
    this.#archives = archives;
    this.#shipping = shipping;
    this.namespace = api.namespace;
    this.description = api.description;
    this.#informers = new BackendInformers(api.kc, api.namespace);
    this.#recorder = new JobRecorder(api, () => this.#informers.synced);
    this.#status = new JobStatusReader(api, this.#informers, this.#recorder);
    this.#lifecycle = new JobSetLifecycle(api, this.#status, this.#recorder, shipping, ttlSeconds);
  }

  /** The shared informers of this backend's namespace, started on first use (for benchmarks). */
  get informers(): NamespaceInformers {
    return this.#informers.started;
  }

  /** Watch and list counters of the shared informers (for benchmarks). */
  get informerStats(): InformerStats {
    return this.#informers.started.stats;
  }

  /** Checks that the API answers and serves JobSets. @throws {BackendError} */
  probe(): Promise<void> {
    return this.#api.probe();
  }

  dryRun(spec: TaskSpec): Promise<unknown> {
    return this.#lifecycle.manifest(spec);
  }

  describeCode(spec: TaskSpec): Promise<string | undefined> {
    return this.#lifecycle.describeCode(spec);
  }

  placementWarning(spec: TaskSpec): Promise<string | undefined> {
    return placementWarning(this.#api.core, spec);
  }

  submit(spec: TaskSpec): Promise<string> {
    return this.#lifecycle.submit(spec);
  }

  get(name: string): Promise<JobInfo> {
    return this.#status.get(name);
  }

  waitTerminal(name: string, options: BackendWaitOptions = {}): Promise<TerminalJobInfo> {
    return this.#status.waitTerminal(name, options);
  }

  list(options: { readonly limit?: number } = {}): Promise<JobInfo[]> {
    return this.#status.list(options);
  }

  logs(name: string, options: BackendLogOptions = {}): AsyncIterable<string> {
    return jobLogs({
      ...this.#logSource(name, options.signal),
      rank: options.rank ?? 0,
      follow: options.follow ?? false,
      ...(options.attempt === undefined ? {} : { attempt: options.attempt }),
      ...(options.tail === undefined ? {} : { tail: options.tail }),
    });
  }

  /** Rank 0's metric lines, out of its container log (see `pod-metrics.ts`). */
  metrics(name: string, options: BackendMetricsOptions = {}): AsyncIterable<MetricPoint> {
    return jobMetrics({
      ...this.#logSource(name, options.signal),
      follow: options.follow ?? false,
      ...(options.attempt === undefined ? {} : { attempt: options.attempt }),
      ...(options.onWarning === undefined ? {} : { onWarning: options.onWarning }),
    });
  }

  /** Where a log reader of job `name` reads from, and how it sees the job. */
  #logSource(
    name: string,
    signal: AbortSignal | undefined,
  ): Omit<JobMetricsOptions, 'follow' | 'attempt' | 'onWarning'> {
    return {
      kc: this.#api.kc,
      core: this.#api.core,
      namespace: this.namespace,
      container: CONTAINER_NAME,
      jobName: name,
      ...(signal === undefined ? {} : { signal }),
      observe: async () => {
        const js = await this.#status.jobSet(name);
        const pods = await this.#status.pods(name);
        // Evaluating records an end nobody recorded yet (a follower may be the only watcher).
        const info = await this.#recorder.evaluate(js, pods);
        const state = logStateOf(js, pods);
        return isTerminal(info.status) ? { ...state, ended: true } : state;
      },
      subscribe: (listener) => this.#informers.started.subscribe(name, listener),
    };
  }

  cancel(name: string): Promise<void> {
    return this.#lifecycle.cancel(name);
  }

  stop(name: string): Promise<void> {
    return this.#lifecycle.stop(name);
  }

  start(name: string): Promise<void> {
    return this.#lifecycle.start(name);
  }

  remove(name: string): Promise<void> {
    return this.#lifecycle.remove(name);
  }

  get closed(): boolean {
    return this.#informers.closed;
  }

  /** How often this backend packed code, and skipped packing unchanged files. */
  get shippingStats(): CodeShipping['stats'] {
    return this.#shipping.stats;
  }

  /** Upload counters of the `kubernetes.storage` bucket, when one is configured. */
  get archiveStats(): ArchiveStoreStats | undefined {
    return this.#archives?.stats;
  }

  /** Stops the informers; resolves once the ended markers of recorded outcomes are created. */
  async close(): Promise<void> {
    this.#informers.close();
    this.#archives?.close();
    await this.#recorder.settled();
  }
}

/** The Kubernetes backend. */
export const KubernetesBackend = {
  /**
   * Connects to the cluster of the kubeconfig context and checks that it serves JobSets.
   * @throws {BackendError} when the kubeconfig, the context, the cluster or the JobSet CRD is missing.
   */
  async connect(options: KubernetesBackendOptions): Promise<Backend> {
    const { kc, namespace } = loadKubeConfig(options);
    // The S3 client is loaded only when a bucket is configured.
    const archives =
      options.storage === undefined
        ? undefined
        : new (await import('./shipping/storage.js')).S3ArchiveStore(options.storage);
    const launched = new LaunchLog(options.home, kc.getCurrentCluster()?.server ?? '', namespace);
    const backend = new KubernetesBackendImpl(
      new JobSetApi(kc, namespace, launched, options.ttlSeconds),
      new CodeShipping({ home: options.home, store: archives }),
      archives,
      options.ttlSeconds,
    );
    await backend.probe();
    return backend;
  },
};

/** The concrete class, for tests and benchmarks that read informer counters. */
export type KubernetesBackendInstance = KubernetesBackendImpl;

/** True when `backend` is a Kubernetes backend (its informers and evaluation are reachable). */
export function isKubernetesBackend(backend: Backend): backend is KubernetesBackendInstance {
  return backend instanceof KubernetesBackendImpl;
}
