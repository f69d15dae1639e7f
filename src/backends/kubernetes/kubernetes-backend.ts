/**
 * The Kubernetes backend: every task a JobSet, results through rank 0's termination message,
 * persisted as the `KonduktorResult` condition on the JobSet's status.
 *
 * Waits are watch-based: all waits of one process share one JobSet informer and one pod informer
 * per namespace (see `informers.ts`), and re-read the caches when their job changes. The first
 * konduktor process that sees a job end records its outcome; every other process, now or later,
 * reads the condition (`condition.ts`), so the result outlives the pods.
 * @module
 */
import * as k8s from '@kubernetes/client-node';
import {
  BackendError,
  isKonduktorError,
  JobNotFoundError,
  TaskValidationError,
} from '../../errors.js';
import type { MetricPoint } from '../../metrics/line.js';
import type { Outcome } from '../../result/outcome.js';
import { makeJobName } from '../../task/naming.js';
import type { TaskSpec } from '../../task/types.js';
import {
  type Backend,
  type BackendLogOptions,
  type BackendMetricsOptions,
  type BackendWaitOptions,
  isTerminal,
  refuseEnded,
  type JobInfo,
  type TerminalJobInfo,
} from '../backend.js';
import { suggestNames } from '../../diagnostics/suggest.js';
import { type JobRecord, readCondition, readRecord, withCondition } from './condition.js';
import {
  acquireInformers,
  apiMessage,
  deactivateWorkload,
  loadKubeConfig,
  mergePatch,
  releaseInformers,
  statusOf,
} from './client.js';
import type { InformerStats, NamespaceInformers } from './informers.js';
import {
  infoOf,
  KUEUE_QUEUE_LABEL,
  observedStart,
  pullFailure,
  recordTimes,
  submittedAt,
} from './job-info.js';
import { jobLogs, logStateOf, readPodLogTail } from './logs.js';
import {
  ANNOTATIONS,
  buildJobSet,
  CONTAINER_NAME,
  JOBSET_API,
  LABELS,
  type JobSetManifest,
} from './manifests.js';
import {
  failingPod,
  jobSetAttempt,
  outcomeOf,
  podAttempt,
  podOf,
  settledState,
} from './outcome.js';
import { ORIGINAL_MANAGED_LABEL } from './original-condition.js';
import type { JobSetObject, PodObject } from './types.js';
import { waitForWake } from '../wake.js';
import { localUser } from './user.js';
import { envSecretRefs } from '../../secrets/kubernetes-store.js';

/** Options of {@link KubernetesBackend.connect}. */
export interface KubernetesBackendOptions {
  /** The konduktor home (for config.yaml). */
  readonly home: string;
  /** The kubeconfig context. @default the kubeconfig's current context */
  readonly context?: string;
  /** The namespace. @default the context's, else `default` */
  readonly namespace?: string;
  /** The kubeconfig file. @default $KUBECONFIG, else ~/.kube/config */
  readonly kubeconfig?: string;
}

const NAME_ATTEMPTS = 10;
const STATUS_WRITE_ATTEMPTS = 8;
/** After a failed API call inside a wait, retry after this long (or sooner on an event). */
const RETRY_MS = 1000;

/** The Kubernetes backend. See the module documentation. */
class KubernetesBackendImpl implements Backend {
  readonly kind = 'kubernetes' as const;
  readonly description: string;
  readonly namespace: string;
  readonly #kc: k8s.KubeConfig;
  readonly #custom: k8s.CustomObjectsApi;
  readonly #core: k8s.CoreV1Api;
  #informers: NamespaceInformers | undefined;
  #closed = false;

  constructor(kc: k8s.KubeConfig, namespace: string) {
    this.#kc = kc;
    this.namespace = namespace;
    this.#custom = kc.makeApiClient(k8s.CustomObjectsApi);
    this.#core = kc.makeApiClient(k8s.CoreV1Api);
    this.description = `the kubernetes backend (context ${kc.getCurrentContext()}, namespace ${namespace})`;
  }

  /** The shared informers of this backend's namespace, started on first use. */
  get informers(): NamespaceInformers {
    if (this.#closed) throw new BackendError('the kubernetes backend was closed');
    this.#informers ??= acquireInformers(this.#kc, this.namespace);
    return this.#informers;
  }

  /** Watch and list counters of the shared informers (for benchmarks). */
  get informerStats(): InformerStats {
    return this.informers.stats;
  }

  /** Checks that the API answers and serves JobSets. */
  async probe(): Promise<void> {
    try {
      await this.#custom.listNamespacedCustomObject({
        ...JOBSET_API,
        namespace: this.namespace,
        limit: 1,
      });
    } catch (err) {
      throw this.#apiError(err, 'list JobSets');
    }
  }

  #apiError(err: unknown, what: string): BackendError {
    const status = statusOf(err);
    const server = this.#kc.getCurrentCluster()?.server ?? '?';
    if (status === 404) {
      return new BackendError(
        `the cluster at ${server} does not serve ${JOBSET_API.plural}.${JOBSET_API.group}/${JOBSET_API.version}: install JobSet (https://jobset.sigs.k8s.io) in the cluster`,
        { cause: err },
      );
    }
    if (status === 401 || status === 403) {
      return new BackendError(
        `not allowed to ${what} in namespace ${this.namespace} on ${server}: ${apiMessage(err)}; see docs/kubernetes.md for the RBAC konduktor needs`,
        { cause: err },
      );
    }
    if (status === undefined) {
      return new BackendError(
        `cannot reach the Kubernetes API at ${server} (context ${this.#kc.getCurrentContext()}): ${apiMessage(err)}`,
        { cause: err },
      );
    }
    return new BackendError(`could not ${what}: ${apiMessage(err)}`, { cause: err });
  }

  async dryRun(spec: TaskSpec): Promise<unknown> {
    const user = localUser();
    return buildJobSet(spec, {
      name: makeJobName(spec.name),
      namespace: this.namespace,
      user,
      envSecrets: await envSecretRefs(this.#core, this.namespace, user),
    });
  }

  async submit(spec: TaskSpec): Promise<string> {
    const user = localUser();
    const envSecrets = await envSecretRefs(this.#core, this.namespace, user);
    for (let i = 0; i < NAME_ATTEMPTS; i += 1) {
      const name = makeJobName(spec.name);
      const body: JobSetManifest = buildJobSet(spec, {
        name,
        namespace: this.namespace,
        user,
        submittedAt: new Date(),
        envSecrets,
      });
      try {
        await this.#custom.createNamespacedCustomObject({
          ...JOBSET_API,
          namespace: this.namespace,
          body,
        });
        return name;
      } catch (err) {
        const status = statusOf(err);
        if (status === 409) continue; // the name is taken: draw another suffix
        if (status === 422 || status === 400) {
          throw new TaskValidationError([
            { path: '', message: `the cluster refused the JobSet: ${apiMessage(err)}` },
          ]);
        }
        throw this.#apiError(err, 'create the JobSet');
      }
    }
    throw new BackendError(
      `could not find a free job name for ${spec.name} after ${NAME_ATTEMPTS} tries`,
    );
  }

  /** The JobSet of a job from the API. @throws {JobNotFoundError} */
  async #fetchJobSet(name: string): Promise<JobSetObject> {
    try {
      const js = (await this.#custom.getNamespacedCustomObject({
        ...JOBSET_API,
        namespace: this.namespace,
        name,
      })) as JobSetObject;
      // The original's JobSets are read too (`konduktor result` of a job it launched).
      const labels = js.metadata.labels ?? {};
      if (labels[LABELS.managed] !== 'true' && labels[ORIGINAL_MANAGED_LABEL] !== 'true')
        throw this.#notFound(name, []);
      return js;
    } catch (err) {
      if (isKonduktorError(err)) throw err;
      if (statusOf(err) === 404) throw this.#notFound(name, await this.#names().catch(() => []));
      throw this.#apiError(err, `read job ${name}`);
    }
  }

  #notFound(name: string, names: readonly string[]): JobNotFoundError {
    return new JobNotFoundError(name, this.description, suggestNames(name, [...names]));
  }

  async #names(): Promise<string[]> {
    return (await this.#listJobSets()).map((js) => js.metadata.name ?? '');
  }

  async #listJobSets(): Promise<JobSetObject[]> {
    try {
      const list = (await this.#custom.listNamespacedCustomObject({
        ...JOBSET_API,
        namespace: this.namespace,
        labelSelector: `${LABELS.managed}=true`,
      })) as { items?: JobSetObject[] };
      return list.items ?? [];
    } catch (err) {
      throw this.#apiError(err, 'list JobSets');
    }
  }

  async #fetchPods(selector: string): Promise<PodObject[]> {
    try {
      const list = await this.#core.listNamespacedPod({
        namespace: this.namespace,
        labelSelector: selector,
      });
      return list.items;
    } catch (err) {
      throw this.#apiError(err, 'list pods');
    }
  }

  /** The pods of a job: from the informer when it is synced, else from the API. */
  async #podsOf(name: string): Promise<PodObject[]> {
    const informers = this.#informers;
    if (informers?.synced === true) return informers.pods(name);
    return this.#fetchPods(`${LABELS.job}=${name}`);
  }

  /**
   * The outcome of a terminal JobSet from its pods (rank 0's message of the final attempt, the
   * failing rank's log tail), with the pods it was read from.
   */
  async #settledOutcome(
    js: JobSetObject,
    pods: readonly PodObject[],
  ): Promise<{ outcome: Outcome; pods: readonly PodObject[] }> {
    const name = js.metadata.name ?? '';
    const attempt = jobSetAttempt(js);
    let current = pods;
    // The pod watch and the JobSet watch are separate streams: the reporter's final state may not
    // be in the cache yet when the JobSet already says Completed.
    const reporter = podOf(current, attempt, 0);
    const hasEnded = reporter?.status?.containerStatuses?.some(
      (s) => s.state?.terminated !== undefined,
    );
    if (hasEnded !== true) current = await this.#fetchPods(`${LABELS.job}=${name}`);
    let logTail: string[] = [];
    if (settledState(js, current) !== 'Completed') {
      const failing = failingPod(current, attempt);
      if (failing?.metadata?.name !== undefined)
        logTail = await readPodLogTail(
          this.#core,
          this.namespace,
          failing.metadata.name,
          CONTAINER_NAME,
        );
    }
    let outcome = outcomeOf(js, current, logTail);
    // A job that reported nothing often failed inside a pipeline (`train | tee log` exits 0):
    // rank 0's last lines say why.
    const rank0 = podOf(current, attempt, 0)?.metadata?.name;
    if (outcome.kind === 'no_result' && rank0 !== undefined) {
      const tail = await readPodLogTail(this.#core, this.namespace, rank0, CONTAINER_NAME);
      if (tail.length > 0) outcome = { ...outcome, logTail: tail };
    }
    return { outcome, pods: current };
  }

  /**
   * The end a JobSet has reached, judged from this version of it and these pods, or `undefined`
   * while it runs: a cancel, the pods' settled state, an image that cannot be pulled.
   */
  async #decide(
    js: JobSetObject,
    pods: readonly PodObject[],
  ): Promise<
    { outcome: Outcome; pods: readonly PodObject[]; podsEnded: boolean; suspend?: true } | undefined
  > {
    const attempt = jobSetAttempt(js);
    if (js.metadata.annotations?.[ANNOTATIONS.cancelled] === 'true') {
      const outcome: Outcome = {
        kind: 'failed',
        reason: 'the job was cancelled',
        attempt,
        logTail: [],
      };
      return { outcome, pods, podsEnded: false };
    }
    if (settledState(js, pods) !== undefined)
      return { ...(await this.#settledOutcome(js, pods)), podsEnded: true };
    const pull = pullFailure(js, pods);
    if (pull === undefined) return undefined;
    // The kubelet would retry the pull for ever: the pods are stopped once this is recorded.
    const outcome: Outcome = { kind: 'failed', reason: pull, attempt, logTail: [] };
    return { outcome, pods, podsEnded: false, suspend: true };
  }

  /**
   * A job's info, recording its outcome first when it has ended and nobody recorded it yet.
   *
   * The record is written through the status subresource, guarded by the resourceVersion of the
   * JobSet it was judged from. When that write conflicts, the JobSet changed since (a `stop`, a
   * `start`, a restart, another process's record): the job is judged again from the fresh JobSet
   * and pods, never recorded from the stale view — a stopped run's ending pods read through a
   * JobSet cache that had not yet seen the `stop` would otherwise be taken for the job's end.
   */
  async #evaluate(jsIn: JobSetObject, podsIn: readonly PodObject[]): Promise<JobInfo> {
    let js = jsIn;
    let pods = podsIn;
    const name = js.metadata.name ?? '';
    for (let i = 0; i < STATUS_WRITE_ATTEMPTS; i += 1) {
      const existing = readRecord(js);
      if (existing !== undefined) return infoOf(js, pods, existing);
      // A JobSet the original launched is only read: its own controller records its outcome.
      if (js.metadata.labels?.[LABELS.managed] !== 'true') return infoOf(js, pods, undefined);
      const decided = await this.#decide(js, pods);
      if (decided === undefined) return infoOf(js, pods, undefined);
      const record: JobRecord = {
        outcome: decided.outcome,
        ...recordTimes(js, decided.pods, { now: new Date(), podsEnded: decided.podsEnded }),
      };
      try {
        const written = (await this.#custom.replaceNamespacedCustomObjectStatus({
          ...JOBSET_API,
          namespace: this.namespace,
          name,
          body: withCondition(js, record),
        })) as JobSetObject;
        if (decided.suspend === true)
          await this.#patch(name, { spec: { suspend: true } }).catch(() => undefined);
        return infoOf(written, decided.pods, readRecord(written) ?? record);
      } catch (err) {
        const status = statusOf(err);
        // Deleted meanwhile: nothing to keep it on. Not allowed to write status: the outcome
        // still holds for this wait, and is recomputed from the pods while they exist.
        if (status === 404 || status === 403) return infoOf(js, decided.pods, record);
        if (status !== 409) throw this.#apiError(err, `record the outcome of ${name}`);
        js = await this.#fetchJobSet(name);
        pods = await this.#fetchPods(`${LABELS.job}=${name}`);
      }
    }
    throw new BackendError(`could not record the outcome of ${name}: the JobSet kept changing`);
  }

  async #patch(name: string, body: object): Promise<void> {
    try {
      await this.#custom.patchNamespacedCustomObject(
        { ...JOBSET_API, namespace: this.namespace, name, body },
        mergePatch,
      );
    } catch (err) {
      if (statusOf(err) === 404) throw this.#notFound(name, await this.#names().catch(() => []));
      throw this.#apiError(err, `update job ${name}`);
    }
  }

  async get(name: string): Promise<JobInfo> {
    const cached = this.#informers?.synced === true ? this.#informers.jobset(name) : undefined;
    const js = cached ?? (await this.#fetchJobSet(name));
    // A record with times says all; an older one needs the pods for the times.
    const pods = readRecord(js)?.endedAt === undefined ? await this.#podsOf(name) : [];
    return this.#evaluate(js, pods);
  }

  async waitTerminal(name: string, options: BackendWaitOptions = {}): Promise<TerminalJobInfo> {
    const { signal, onUpdate } = options;
    signal?.throwIfAborted();
    const informers = this.informers;
    let events = 0;
    let wake: () => void = () => undefined;
    // Subscribe first, then read: an end between the two is never missed.
    const unsubscribe = informers.subscribe(name, () => {
      events += 1;
      wake();
    });
    try {
      // A job that already ended (condition recorded) resolves without waiting for the informers.
      const first = await this.#fetchJobSet(name);
      const recorded = readRecord(first);
      if (recorded !== undefined) {
        const pods = recorded.endedAt === undefined ? await this.#podsOf(name) : [];
        const info = infoOf(first, pods, recorded);
        onUpdate?.(info);
        return info as TerminalJobInfo;
      }
      await informers.ready(signal);
      let lastKey = '';
      for (;;) {
        // An abort during an API call below has no listener yet: check at every turn.
        signal?.throwIfAborted();
        const seen = events;
        let retryIn: number | undefined;
        try {
          // Right after submit the watch may not have delivered the JobSet yet: read it directly.
          const js = informers.jobset(name) ?? (await this.#fetchJobSet(name));
          const info = await this.#evaluate(js, informers.pods(name));
          const key = `${info.status}/${info.attempt}/${info.reason ?? ''}`;
          if (key !== lastKey) {
            lastKey = key;
            onUpdate?.(info);
          }
          if (isTerminal(info.status) && info.outcome !== undefined) return info as TerminalJobInfo;
        } catch (err) {
          // An unknown job is final; an unreachable API is not (the informers reconnect and wake us).
          if (err instanceof JobNotFoundError) throw err;
          if (!(err instanceof BackendError)) throw err;
          retryIn = RETRY_MS;
        }
        if (events !== seen) continue;
        await waitForWake(
          (next) => {
            wake = next;
          },
          { ms: retryIn, signal },
        );
      }
    } finally {
      unsubscribe();
    }
  }

  async list(options: { readonly limit?: number } = {}): Promise<JobInfo[]> {
    const jobsets = await this.#listJobSets();
    jobsets.sort(
      (a, b) =>
        submittedAt(b).getTime() - submittedAt(a).getTime() ||
        (b.metadata.name ?? '').localeCompare(a.metadata.name ?? ''),
    );
    const limited =
      options.limit === undefined || options.limit < 0 ? jobsets : jobsets.slice(0, options.limit);
    // One request for every job's pods: the running ones need them, and all show start times.
    const pods = limited.length === 0 ? [] : await this.#fetchPods(`${LABELS.managed}=true`);
    return Promise.all(
      limited.map((js) =>
        this.#evaluate(
          js,
          pods.filter((p) => p.metadata?.labels?.[LABELS.job] === js.metadata.name),
        ),
      ),
    );
  }

  logs(name: string, options: BackendLogOptions = {}): AsyncIterable<string> {
    return jobLogs({
      kc: this.#kc,
      core: this.#core,
      namespace: this.namespace,
      container: CONTAINER_NAME,
      jobName: name,
      rank: options.rank ?? 0,
      follow: options.follow ?? false,
      ...(options.attempt === undefined ? {} : { attempt: options.attempt }),
      ...(options.tail === undefined ? {} : { tail: options.tail }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      observe: async () => {
        const informers = this.#informers;
        const cached = informers?.synced === true ? informers.jobset(name) : undefined;
        const js = cached ?? (await this.#fetchJobSet(name));
        const pods = await this.#podsOf(name);
        // Evaluating records an end nobody recorded yet (a follower may be the only watcher).
        const info = await this.#evaluate(js, pods);
        const state = logStateOf(js, pods);
        return isTerminal(info.status) ? { ...state, ended: true } : state;
      },
      subscribe: (listener) => this.informers.subscribe(name, listener),
    });
  }

  // Not yet: the pod wrapper does not copy metric lines out of the pod (spec §9, issue 16).
  // eslint-disable-next-line require-yield
  async *metrics(name: string, options: BackendMetricsOptions = {}): AsyncGenerator<MetricPoint> {
    options.signal?.throwIfAborted();
    await this.get(name);
    throw new BackendError(
      `metrics of job ${name} cannot be read on Kubernetes yet: konduktor reads metrics.jsonl ` +
        'on the local backend only; report what you need in result.json',
    );
  }

  async cancel(name: string): Promise<void> {
    const js = await this.#fetchJobSet(name);
    if (readCondition(js) !== undefined || js.status?.terminalState !== undefined) return;
    // The pods as they were, for the record's start time: suspending deletes them.
    const pods = await this.#podsOf(name);
    // Suspending stops the pods (the Job controller deletes them) and keeps the JobSet, which
    // carries the outcome.
    await this.#patch(name, {
      metadata: { annotations: { [ANNOTATIONS.cancelled]: 'true' } },
      spec: { suspend: true },
    });
    await this.#evaluate(await this.#fetchJobSet(name), pods);
    if (js.metadata.labels?.[KUEUE_QUEUE_LABEL] !== undefined)
      await deactivateWorkload(this.#custom, this.namespace, js);
  }

  /**
   * Holds the job: suspends the JobSet (the Job controller deletes its pods). When the run had
   * started, the attempt `start` resumes with (one more) and the run's start time are kept on the
   * JobSet, so the resumed run is numbered and judged apart from the stopped one, as locally.
   */
  async stop(name: string): Promise<void> {
    const js = await this.#fetchJobSet(name);
    const pods = await this.#podsOf(name);
    const info = await this.#evaluate(js, pods);
    if (info.status === 'STOPPED') return;
    refuseEnded(name, info.status, 'stop');
    const attempt = jobSetAttempt(js);
    // Bound to a node: its container may have run, and its end would read as this attempt's.
    const ran = pods.some(
      (p) =>
        podAttempt(p) === attempt &&
        (p.spec?.nodeName !== undefined || p.status?.startTime !== undefined),
    );
    const annotations = js.metadata.annotations ?? {};
    const started = observedStart(js, pods);
    await this.#patch(name, {
      metadata: {
        annotations: {
          [ANNOTATIONS.stopped]: 'true',
          ...(ran ? { [ANNOTATIONS.resumeAttempt]: String(attempt + 1) } : {}),
          ...(started === undefined || annotations[ANNOTATIONS.startedAt] !== undefined
            ? {}
            : { [ANNOTATIONS.startedAt]: started.toISOString() }),
        },
      },
      spec: { suspend: true },
    });
  }

  /**
   * Resumes a stopped job. A run that had started is resumed as the next attempt: `status.restarts`
   * is moved on first (JobSet then replaces the stopped run's Jobs by new ones with the new
   * `restart-attempt`, as for its own restarts, without using up `max_restarts`), and only then is
   * the JobSet unsuspended, so no reader ever sees the stopped run's ending pods as the new run's.
   */
  async start(name: string): Promise<void> {
    const js = await this.#fetchJobSet(name);
    const info = await this.#evaluate(js, await this.#podsOf(name));
    refuseEnded(name, info.status, 'start');
    if (info.status !== 'STOPPED') return;
    const target = Number(js.metadata.annotations?.[ANNOTATIONS.resumeAttempt]);
    if (Number.isInteger(target) && target > jobSetAttempt(js)) await this.#moveAttempt(js, target);
    await this.#patch(name, {
      metadata: { annotations: { [ANNOTATIONS.stopped]: null, [ANNOTATIONS.resumeAttempt]: null } },
      spec: { suspend: false },
    });
  }

  /** Sets `status.restarts` to `attempt` (never lowers it), guarded by the resourceVersion. */
  async #moveAttempt(jsIn: JobSetObject, attempt: number): Promise<void> {
    let js = jsIn;
    const name = js.metadata.name ?? '';
    for (let i = 0; i < STATUS_WRITE_ATTEMPTS; i += 1) {
      if (jobSetAttempt(js) >= attempt) return;
      try {
        await this.#custom.replaceNamespacedCustomObjectStatus({
          ...JOBSET_API,
          namespace: this.namespace,
          name,
          body: { ...js, status: { ...js.status, restarts: attempt } },
        });
        return;
      } catch (err) {
        if (statusOf(err) !== 409)
          throw this.#apiError(
            err,
            `resume job ${name} as attempt ${attempt} (update jobsets/status)`,
          );
        js = await this.#fetchJobSet(name);
      }
    }
    throw new BackendError(`could not resume ${name}: the JobSet kept changing`);
  }

  async remove(name: string): Promise<void> {
    await this.#fetchJobSet(name);
    try {
      await this.#custom.deleteNamespacedCustomObject({
        ...JOBSET_API,
        namespace: this.namespace,
        name,
        propagationPolicy: 'Background',
      });
    } catch (err) {
      if (statusOf(err) === 404) return;
      throw this.#apiError(err, `delete job ${name}`);
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#informers !== undefined) releaseInformers(this.#informers);
    this.#informers = undefined;
    return Promise.resolve();
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
    const backend = new KubernetesBackendImpl(kc, namespace);
    await backend.probe();
    return backend;
  },
};

/** The concrete class, for tests and benchmarks that read informer counters. */
export type KubernetesBackendInstance = KubernetesBackendImpl;
