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
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import * as k8s from '@kubernetes/client-node';
import {
  BackendError,
  isKonduktorError,
  JobNotFoundError,
  TaskValidationError,
  UsageError,
} from '../../errors.js';
import type { Outcome } from '../../result/outcome.js';
import { makeJobName } from '../../task/naming.js';
import type { TaskSpec } from '../../task/types.js';
import {
  type Backend,
  type BackendLogOptions,
  type BackendWaitOptions,
  isTerminal,
  type JobInfo,
  type JobStatus,
  type TerminalJobInfo,
} from '../backend.js';
import { suggestNames } from '../../diagnostics/suggest.js';
import { CONDITION_TYPE, readCondition, withCondition } from './condition.js';
import { NamespaceInformers, type InformerStats } from './informers.js';
import { followPodLog, readPodLogTail } from './logs.js';
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
  numNodesOf,
  outcomeOf,
  podAttempt,
  podOf,
  podRank,
  settledState,
} from './outcome.js';
import type { JobSetObject, PodObject } from './types.js';
import { waitForWake } from '../wake.js';

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

/** Container waiting reasons that mean the image will not arrive: the wait fails at once. */
const PULL_FAILURES = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName']);
const NAME_ATTEMPTS = 10;
/** The label that puts a JobSet in a Kueue queue. */
const KUEUE_QUEUE_LABEL = 'kueue.x-k8s.io/queue-name';
const STATUS_WRITE_ATTEMPTS = 8;
/** After a failed API call inside a wait, retry after this long (or sooner on an event). */
const RETRY_MS = 1000;

/** Informers shared by every backend of this process, per API server, user and namespace. */
const sharedInformers = new Map<string, { informers: NamespaceInformers; users: number }>();

function acquireInformers(kc: k8s.KubeConfig, namespace: string): NamespaceInformers {
  const key = JSON.stringify([
    kc.getCurrentCluster()?.server,
    kc.getCurrentUser()?.name,
    namespace,
  ]);
  let entry = sharedInformers.get(key);
  if (entry === undefined) {
    entry = { informers: new NamespaceInformers(kc, namespace), users: 0 };
    sharedInformers.set(key, entry);
  }
  entry.users += 1;
  const { informers } = entry;
  return informers;
}

function releaseInformers(informers: NamespaceInformers): void {
  for (const [key, entry] of sharedInformers) {
    if (entry.informers !== informers) continue;
    entry.users -= 1;
    if (entry.users <= 0) {
      entry.informers.stop();
      sharedInformers.delete(key);
    }
  }
}

/** The HTTP status of a client error, when it has one. */
function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'number') return code;
  const statusCode = (err as { statusCode?: unknown }).statusCode;
  return typeof statusCode === 'number' ? statusCode : undefined;
}

/** The API's own message of a client error. */
function apiMessage(err: unknown): string {
  if (err instanceof k8s.ApiException) {
    const body: unknown = err.body;
    if (typeof body === 'string') {
      try {
        const parsed = JSON.parse(body) as { message?: unknown };
        if (typeof parsed.message === 'string') return parsed.message;
      } catch {
        return body.slice(0, 500);
      }
    }
    if (typeof body === 'object' && body !== null) {
      const message = (body as { message?: unknown }).message;
      if (typeof message === 'string') return message;
    }
    return `HTTP ${err.code}`;
  }
  return err instanceof Error ? err.message : String(err);
}

const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env['USER'] ?? 'unknown';
  }
}

function date(value: string | Date | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

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
    return Promise.resolve(
      buildJobSet(spec, {
        name: makeJobName(spec.name),
        namespace: this.namespace,
        user: localUser(),
      }),
    );
  }

  async submit(spec: TaskSpec): Promise<string> {
    const user = localUser();
    for (let i = 0; i < NAME_ATTEMPTS; i += 1) {
      const name = makeJobName(spec.name);
      const body: JobSetManifest = buildJobSet(spec, {
        name,
        namespace: this.namespace,
        user,
        submittedAt: new Date(),
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
      if (js.metadata.labels?.[LABELS.managed] !== 'true') throw this.#notFound(name, []);
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
   * Computes and records the outcome of a terminal JobSet (rank 0's message of the final attempt),
   * unless a condition exists: then that one is the outcome. Returns what was recorded.
   */
  async #record(
    js: JobSetObject,
    pods: readonly PodObject[],
  ): Promise<{ js: JobSetObject; outcome: Outcome }> {
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
    return this.#writeOutcome(js, outcome);
  }

  /**
   * Writes the `KonduktorResult` condition through the status subresource, guarded by the
   * resourceVersion: when another process wrote one first, its outcome wins.
   */
  async #writeOutcome(
    js: JobSetObject,
    outcome: Outcome,
  ): Promise<{ js: JobSetObject; outcome: Outcome }> {
    let current = js;
    const name = js.metadata.name ?? '';
    for (let i = 0; i < STATUS_WRITE_ATTEMPTS; i += 1) {
      const existing = readCondition(current);
      if (existing !== undefined) return { js: current, outcome: existing };
      try {
        const written = (await this.#custom.replaceNamespacedCustomObjectStatus({
          ...JOBSET_API,
          namespace: this.namespace,
          name,
          body: withCondition(current, outcome),
        })) as JobSetObject;
        return { js: written, outcome: readCondition(written) ?? outcome };
      } catch (err) {
        const status = statusOf(err);
        // Deleted meanwhile: nothing to keep it on. Not allowed to write status: the outcome
        // still holds for this wait, and is recomputed from the pods while they exist.
        if (status === 404 || status === 403) return { js: current, outcome };
        if (status !== 409) throw this.#apiError(err, `record the outcome of ${name}`);
        current = await this.#fetchJobSet(name);
      }
    }
    throw new BackendError(`could not record the outcome of ${name}: the JobSet kept changing`);
  }

  /** A job's info, recording its outcome first when it has ended and nobody recorded it yet. */
  async #evaluate(jsIn: JobSetObject, pods: readonly PodObject[]): Promise<JobInfo> {
    let js = jsIn;
    let outcome = readCondition(js);
    if (outcome === undefined) {
      const annotations = js.metadata.annotations ?? {};
      if (annotations[ANNOTATIONS.cancelled] === 'true') {
        const attempt = jobSetAttempt(js);
        ({ js, outcome } = await this.#writeOutcome(js, {
          kind: 'failed',
          reason: 'the job was cancelled',
          attempt,
          logTail: [],
        }));
      } else if (settledState(js, pods) !== undefined) {
        ({ js, outcome } = await this.#record(js, pods));
      } else {
        const pull = pullFailure(js, pods);
        if (pull !== undefined) {
          ({ js, outcome } = await this.#writeOutcome(js, {
            kind: 'failed',
            reason: pull,
            attempt: jobSetAttempt(js),
            logTail: [],
          }));
          // The kubelet would retry the pull for ever: stop the pods.
          await this.#patch(js.metadata.name ?? '', { spec: { suspend: true } }).catch(
            () => undefined,
          );
        }
      }
    }
    return infoOf(js, pods, outcome);
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
    const pods = readCondition(js) === undefined ? await this.#podsOf(name) : [];
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
      const recorded = readCondition(first);
      if (recorded !== undefined) {
        const info = infoOf(first, [], recorded);
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
    return followPodLog({
      kc: this.#kc,
      core: this.#core,
      namespace: this.namespace,
      container: CONTAINER_NAME,
      rank: options.rank ?? 0,
      follow: options.follow ?? false,
      ...(options.tail === undefined ? {} : { tail: options.tail }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      // The pod of the rank in the job's latest attempt, and whether the job has ended.
      locate: async () => {
        const js = await this.#fetchJobSet(name);
        const attempt = jobSetAttempt(js);
        const pods = await this.#fetchPods(`${LABELS.job}=${name}`);
        const rank = options.rank ?? 0;
        const pod =
          podOf(pods, attempt, rank) ??
          pods.filter((p) => podRank(p) === rank).sort((a, b) => podAttempt(b) - podAttempt(a))[0];
        const ended = readCondition(js) !== undefined || js.status?.terminalState !== undefined;
        return { pod: pod?.metadata?.name, ended };
      },
      subscribe: (listener) => this.informers.subscribe(name, listener),
    });
  }

  async cancel(name: string): Promise<void> {
    const js = await this.#fetchJobSet(name);
    if (readCondition(js) !== undefined || js.status?.terminalState !== undefined) return;
    // Suspending stops the pods (the Job controller deletes them) and keeps the JobSet, which
    // carries the outcome.
    await this.#patch(name, {
      metadata: { annotations: { [ANNOTATIONS.cancelled]: 'true' } },
      spec: { suspend: true },
    });
    await this.#evaluate(await this.#fetchJobSet(name), []);
    if (js.metadata.labels?.[KUEUE_QUEUE_LABEL] !== undefined) await this.#deactivateWorkload(js);
  }

  /**
   * Kueue owns `spec.suspend` of the JobSets it queues and would resume a cancelled one on
   * admission: its Workload is deactivated (`spec.active: false`) as the original's `stop` does.
   * Best effort: without Kueue's API or the right to patch Workloads, the JobSet stays suspended
   * only until Kueue admits it.
   */
  async #deactivateWorkload(js: JobSetObject): Promise<void> {
    const uid = js.metadata.uid;
    if (uid === undefined) return;
    for (const version of ['v1beta2', 'v1beta1']) {
      try {
        const list = (await this.#custom.listNamespacedCustomObject({
          group: 'kueue.x-k8s.io',
          version,
          plural: 'workloads',
          namespace: this.namespace,
        })) as { items?: { metadata?: { name?: string; ownerReferences?: { uid?: string }[] } }[] };
        const owned = (list.items ?? []).filter((w) =>
          w.metadata?.ownerReferences?.some((o) => o.uid === uid),
        );
        for (const workload of owned) {
          await this.#custom.patchNamespacedCustomObject(
            {
              group: 'kueue.x-k8s.io',
              version,
              plural: 'workloads',
              namespace: this.namespace,
              name: workload.metadata?.name ?? '',
              body: { spec: { active: false } },
            },
            mergePatch,
          );
        }
        return;
      } catch {
        // This Kueue version is not served, or Workloads are not ours to patch: try the next.
      }
    }
  }

  async stop(name: string): Promise<void> {
    const info = await this.get(name);
    if (info.status === 'STOPPED') return;
    if (isTerminal(info.status)) {
      throw new UsageError(
        `job ${name} has already ended (${info.status}); only a queued or running job can be stopped`,
      );
    }
    await this.#patch(name, {
      metadata: { annotations: { [ANNOTATIONS.stopped]: 'true' } },
      spec: { suspend: true },
    });
  }

  async start(name: string): Promise<void> {
    const info = await this.get(name);
    if (info.status !== 'STOPPED') return;
    await this.#patch(name, {
      metadata: { annotations: { [ANNOTATIONS.stopped]: null } },
      spec: { suspend: false },
    });
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

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#informers !== undefined) releaseInformers(this.#informers);
    this.#informers = undefined;
    return Promise.resolve();
  }
}

/**
 * When the job was submitted: konduktor's annotation (milliseconds), else the creation timestamp
 * (whole seconds, too coarse to order jobs launched together).
 */
function submittedAt(js: JobSetObject): Date {
  return (
    date(js.metadata.annotations?.[ANNOTATIONS.submittedAt]) ??
    date(js.metadata.creationTimestamp) ??
    new Date(0)
  );
}

/** Why the job cannot start because of its image, when a pod says so. */
function pullFailure(js: JobSetObject, pods: readonly PodObject[]): string | undefined {
  const attempt = jobSetAttempt(js);
  for (const pod of pods) {
    if (podAttempt(pod) !== attempt) continue;
    for (const status of pod.status?.containerStatuses ?? []) {
      const waiting = status.state?.waiting;
      if (waiting?.reason !== undefined && PULL_FAILURES.has(waiting.reason)) {
        const image = (status as { image?: string }).image ?? 'the image';
        return `the image ${image} could not be pulled (${waiting.reason}${waiting.message === undefined ? '' : `: ${waiting.message}`}); check resources.image_id`;
      }
    }
  }
  return undefined;
}

/** Why pods of the current attempt are not running, in a sentence. */
function pendingReason(js: JobSetObject, pods: readonly PodObject[]): string | undefined {
  const attempt = jobSetAttempt(js);
  const current = pods.filter((p) => podAttempt(p) === attempt);
  for (const pod of current) {
    const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable')
      return `unschedulable: ${scheduled.message ?? 'no node fits'}`;
  }
  for (const pod of current) {
    for (const status of pod.status?.containerStatuses ?? []) {
      const waiting = status.state?.waiting;
      if (waiting?.reason !== undefined && waiting.reason !== 'ContainerCreating')
        return `${waiting.reason}${waiting.message === undefined ? '' : `: ${waiting.message}`}`;
    }
  }
  if (current.length === 0) return 'waiting for pods to be created';
  return 'starting';
}

/** A JobSet (and its pods) as a {@link JobInfo}. */
function infoOf(
  js: JobSetObject,
  pods: readonly PodObject[],
  outcome: Outcome | undefined,
): JobInfo {
  const meta = js.metadata;
  const annotations = meta.annotations ?? {};
  const attempt = outcome?.attempt ?? jobSetAttempt(js);
  const terminalState = js.status?.terminalState;
  const conditions = js.status?.conditions ?? [];
  const current = pods.filter((p) => podAttempt(p) === attempt);
  let status: JobStatus;
  let reason: string | undefined;
  if (annotations[ANNOTATIONS.cancelled] === 'true') {
    status = 'CANCELLED';
    reason = 'the job was cancelled';
  } else if (terminalState === 'Completed') status = 'SUCCEEDED';
  else if (terminalState === 'Failed') status = 'FAILED';
  else if (outcome !== undefined) status = outcome.kind === 'failed' ? 'FAILED' : 'SUCCEEDED';
  else if (js.spec?.suspend === true) {
    if (annotations[ANNOTATIONS.stopped] === 'true') {
      status = 'STOPPED';
      reason = 'stopped with `konduktor stop`; resume with `konduktor start`';
    } else {
      status = 'PENDING';
      reason =
        meta.labels?.[KUEUE_QUEUE_LABEL] === undefined
          ? 'suspended'
          : `suspended: waiting for admission by Kueue (queue ${meta.labels[KUEUE_QUEUE_LABEL]})`;
    }
  } else if (
    current.some(
      (p) =>
        p.status?.phase === 'Running' ||
        p.status?.phase === 'Succeeded' ||
        p.status?.phase === 'Failed',
    )
  )
    status = 'RUNNING';
  else {
    status = 'PENDING';
    reason = pendingReason(js, pods);
  }
  if (outcome?.kind === 'failed' && reason === undefined) reason = outcome.reason;
  const endCondition =
    conditions.find((c) => c.type === CONDITION_TYPE) ??
    conditions.find((c) => (c.type === 'Completed' || c.type === 'Failed') && c.status === 'True');
  const starts = pods
    .map((p) => date(p.status?.startTime)?.getTime())
    .filter((t): t is number => t !== undefined);
  const startedAt = starts.length === 0 ? undefined : new Date(Math.min(...starts));
  const endedAt = isTerminal(status) ? date(endCondition?.lastTransitionTime) : undefined;
  const numNodes = numNodesOf(js);
  return {
    name: meta.name ?? '',
    backend: 'kubernetes',
    status,
    numNodes,
    resources: annotations[ANNOTATIONS.resources] ?? '',
    submittedAt: submittedAt(js),
    ...(startedAt === undefined ? {} : { startedAt }),
    ...(endedAt === undefined ? {} : { endedAt }),
    attempt,
    ...(reason === undefined ? {} : { reason }),
    ...(outcome === undefined ? {} : { outcome }),
  };
}

/** The Kubernetes backend. */
export const KubernetesBackend = {
  /**
   * Connects to the cluster of the kubeconfig context and checks that it serves JobSets.
   * @throws {BackendError} when the kubeconfig, the context, the cluster or the JobSet CRD is missing.
   */
  async connect(options: KubernetesBackendOptions): Promise<Backend> {
    const kc = new k8s.KubeConfig();
    try {
      if (options.kubeconfig !== undefined) {
        if (!existsSync(options.kubeconfig))
          throw new BackendError(`no kubeconfig at ${options.kubeconfig}`);
        kc.loadFromFile(options.kubeconfig);
      } else {
        kc.loadFromDefault();
      }
    } catch (err) {
      if (isKonduktorError(err)) throw err;
      throw new BackendError(`could not read the kubeconfig: ${apiMessage(err)}`, { cause: err });
    }
    if (options.context !== undefined) {
      if (kc.getContextObject(options.context) === null) {
        const known = kc.getContexts().map((c) => c.name);
        throw new BackendError(
          `no context ${JSON.stringify(options.context)} in the kubeconfig (contexts: ${known.join(', ') || 'none'})`,
        );
      }
      kc.setCurrentContext(options.context);
    }
    if (kc.getCurrentCluster() === null) {
      throw new BackendError(
        'the kubeconfig names no cluster: set KUBECONFIG, or pass --context (see docs/kubernetes.md)',
      );
    }
    const namespace =
      options.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
    const backend = new KubernetesBackendImpl(kc, namespace);
    await backend.probe();
    return backend;
  },
};

/** The concrete class, for tests and benchmarks that read informer counters. */
export type KubernetesBackendInstance = KubernetesBackendImpl;
