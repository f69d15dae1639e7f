/**
 * The API calls of the Kubernetes backend: konduktor's JobSets and their pods in one namespace,
 * with the API's failures turned into konduktor's errors (a cluster without JobSet, missing RBAC,
 * an unreachable server, an unknown job). Every other module of the backend reads and writes the
 * cluster through {@link JobSetApi}.
 * @module
 */
import * as k8s from '@kubernetes/client-node';
import { BackendError, isKonduktorError, JobNotFoundError } from '../../errors.js';
import { suggestNames } from '../../diagnostics/suggest.js';
import { JOB_NAME_SUFFIX_LENGTH } from '../../task/naming.js';
import { apiMessage, mergePatch, statusOf } from './client.js';
import { DEFAULT_TTL_SECONDS, type LaunchLog } from './expiry.js';
import { JOBSET_API, LABELS, type JobSetManifest } from './manifests.js';
import { ORIGINAL_MANAGED_LABEL } from './original-condition.js';
import type { JobSetObject, PodObject } from './types.js';

/**
 * A name of the form konduktor gives jobs: a task name, `-`, 4 hex digits (`task/naming.ts`).
 * The original's names (`<task>-<4 hex>` too) match as well.
 */
const JOB_NAME_FORM = new RegExp(
  `^[a-z](?:[a-z0-9-]*[a-z0-9])?-[0-9a-f]{${JOB_NAME_SUFFIX_LENGTH}}$`,
);

/** How many JobSets created by this process {@link JobSetApi.takeCreated} keeps at most. */
const MAX_CREATED_KEPT = 1024;

/** konduktor's JobSets and pods in one namespace of one cluster. */
export class JobSetApi {
  readonly kc: k8s.KubeConfig;
  readonly namespace: string;
  /** Where jobs live, for messages (see `Backend.description`). */
  readonly description: string;
  readonly custom: k8s.CustomObjectsApi;
  readonly core: k8s.CoreV1Api;
  /** The jobs launched from this konduktor home, when there is one (see `expiry.ts`). */
  readonly launched: LaunchLog | undefined;
  /**
   * JobSets this process created, as created, with when the API's answer came
   * (`performance.now()`), until a wait takes them (see {@link JobSetApi.takeCreated}).
   */
  readonly #created = new Map<string, { jobSet: JobSetObject; createdBy: number }>();

  /** Seconds a finished job is kept (`kubernetes.ttl` of this process), for messages. */
  readonly ttlSeconds: number;

  /**
   * @param kc the kubeconfig, its context current
   * @param namespace the namespace
   * @param launched the jobs launched from this konduktor home
   * @param ttlSeconds `kubernetes.ttl` in seconds
   */
  constructor(
    kc: k8s.KubeConfig,
    namespace: string,
    launched?: LaunchLog,
    ttlSeconds: number = DEFAULT_TTL_SECONDS,
  ) {
    this.ttlSeconds = ttlSeconds;
    this.launched = launched;
    this.kc = kc;
    this.namespace = namespace;
    this.custom = kc.makeApiClient(k8s.CustomObjectsApi);
    this.core = kc.makeApiClient(k8s.CoreV1Api);
    this.description = `the kubernetes backend (context ${kc.getCurrentContext()}, namespace ${namespace})`;
  }

  /**
   * Checks that the API answers and serves JobSets.
   * @throws {BackendError} when it does not (see {@link JobSetApi.error}).
   */
  async probe(): Promise<void> {
    try {
      await this.custom.listNamespacedCustomObject({
        ...JOBSET_API,
        namespace: this.namespace,
        limit: 1,
      });
    } catch (err) {
      throw this.error(err, 'list JobSets');
    }
  }

  /**
   * A failed API call as a {@link BackendError} that says what to do: install JobSet (404 on
   * the CRD), grant the RBAC (401/403), check the connection (no HTTP status).
   * @param what the action that failed, e.g. `list JobSets`.
   */
  error(err: unknown, what: string): BackendError {
    const status = statusOf(err);
    const server = this.kc.getCurrentCluster()?.server ?? '?';
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
        `cannot reach the Kubernetes API at ${server} (context ${this.kc.getCurrentContext()}): ${apiMessage(err)}`,
        { cause: err },
      );
    }
    return new BackendError(`could not ${what}: ${apiMessage(err)}`, { cause: err });
  }

  /**
   * A {@link JobNotFoundError} for `name`, suggesting the job names nearest to it; a
   * job that expired ({@link JobNotFoundError.expiredAfterSeconds}) when it was launched from this
   * konduktor home and the cluster deleted it.
   */
  async notFound(name: string): Promise<JobNotFoundError> {
    // Launched from here and gone: the cluster deleted it after its time to live.
    const ttl = this.launched?.ttlOf(name);
    if (ttl !== undefined)
      return new JobNotFoundError(name, this.description, [], { expiredAfterSeconds: ttl });
    if (this.launched?.removedHere(name) === true)
      return new JobNotFoundError(name, this.description, [], { removedHere: true });
    const names = await this.names().catch(() => []);
    // Launched elsewhere, it may have expired: nothing is left on the cluster to tell, so a name
    // of the form konduktor makes gets the hint, with the time to live configured here.
    const mayHaveExpired = JOB_NAME_FORM.test(name) ? this.ttlSeconds : undefined;
    return new JobNotFoundError(name, this.description, suggestNames(name, names), {
      mayHaveExpiredAfterSeconds: mayHaveExpired,
    });
  }

  /**
   * Creates a JobSet.
   * @returns `undefined` when its name is taken (409), else the JobSet as created (with its uid).
   * @throws {BackendError} on any other refusal; a 400/422 is returned to the caller as is.
   */
  async create(body: JobSetManifest): Promise<JobSetObject | undefined> {
    let created: JobSetObject;
    try {
      created = (await this.custom.createNamespacedCustomObject({
        ...JOBSET_API,
        namespace: this.namespace,
        body,
      })) as JobSetObject;
    } catch (err) {
      if (statusOf(err) === 409) return undefined;
      throw err;
    }
    const name = created.metadata.name ?? '';
    this.#created.set(name, { jobSet: created, createdBy: performance.now() });
    // Jobs never waited on (`launch -d` in a loop) must not pile up.
    for (const old of this.#created.keys()) {
      if (this.#created.size <= MAX_CREATED_KEPT) break;
      this.#created.delete(old);
    }
    return created;
  }

  /**
   * The JobSet as this process created it, and when the API said it was created
   * (`performance.now()`), once: a wait that starts right after `submit` reads it instead of
   * asking the API while the watch has not delivered the JobSet yet.
   */
  takeCreated(name: string): { jobSet: JobSetObject; createdBy: number } | undefined {
    const created = this.#created.get(name);
    this.#created.delete(name);
    return created;
  }

  /** True when this process created job `name` and no wait has taken it yet. */
  createdHere(name: string): boolean {
    return this.#created.has(name);
  }

  /**
   * The JobSet of a konduktor job.
   * @throws {JobNotFoundError} when there is none, or the JobSet is not konduktor's.
   * @throws {BackendError} when the API fails.
   */
  async jobSet(name: string): Promise<JobSetObject> {
    try {
      const js = (await this.custom.getNamespacedCustomObject({
        ...JOBSET_API,
        namespace: this.namespace,
        name,
      })) as JobSetObject;
      // The original's JobSets are read too (`konduktor result` of a job it launched).
      const labels = js.metadata.labels ?? {};
      if (labels[LABELS.managed] !== 'true' && labels[ORIGINAL_MANAGED_LABEL] !== 'true')
        throw new JobNotFoundError(name, this.description, []);
      return js;
    } catch (err) {
      if (isKonduktorError(err)) throw err;
      if (statusOf(err) === 404) throw await this.notFound(name);
      throw this.error(err, `read job ${name}`);
    }
  }

  /** Every konduktor JobSet of the namespace. @throws {BackendError} */
  async jobSets(): Promise<JobSetObject[]> {
    try {
      const list = (await this.custom.listNamespacedCustomObject({
        ...JOBSET_API,
        namespace: this.namespace,
        labelSelector: `${LABELS.managed}=true`,
      })) as { items?: JobSetObject[] };
      return list.items ?? [];
    } catch (err) {
      throw this.error(err, 'list JobSets');
    }
  }

  /** The names of every konduktor job of the namespace. @throws {BackendError} */
  async names(): Promise<string[]> {
    return (await this.jobSets()).map((js) => js.metadata.name ?? '');
  }

  /** The pods matching a label selector. @throws {BackendError} */
  async pods(selector: string): Promise<PodObject[]> {
    try {
      const list = await this.core.listNamespacedPod({
        namespace: this.namespace,
        labelSelector: selector,
      });
      return list.items;
    } catch (err) {
      throw this.error(err, 'list pods');
    }
  }

  /** The pods of one job, from the API. @throws {BackendError} */
  async podsOfJob(name: string): Promise<PodObject[]> {
    return this.pods(`${LABELS.job}=${name}`);
  }

  /** The pods of every konduktor job, from the API. @throws {BackendError} */
  async allPods(): Promise<PodObject[]> {
    return this.pods(`${LABELS.managed}=true`);
  }

  /**
   * Replaces a JobSet's status, guarded by the resourceVersion of `body`.
   * @returns the JobSet as written.
   * @throws the client's error unchanged (the caller tells a 409 conflict from a failure).
   */
  async replaceStatus(name: string, body: JobSetObject): Promise<JobSetObject> {
    return (await this.custom.replaceNamespacedCustomObjectStatus({
      ...JOBSET_API,
      namespace: this.namespace,
      name,
      body,
    })) as JobSetObject;
  }

  /**
   * Applies a JSON merge patch to a JobSet (`null` deletes a key).
   * @throws {JobNotFoundError} when the JobSet is gone.
   * @throws {BackendError} when the API refuses.
   */
  async patch(name: string, body: object): Promise<void> {
    try {
      await this.custom.patchNamespacedCustomObject(
        { ...JOBSET_API, namespace: this.namespace, name, body },
        mergePatch,
      );
    } catch (err) {
      if (statusOf(err) === 404) throw await this.notFound(name);
      throw this.error(err, `update job ${name}`);
    }
  }

  /**
   * Deletes a JobSet and, in the background, its Jobs and pods. A JobSet already gone is fine.
   * @throws {BackendError} when the API refuses.
   */
  async delete(name: string): Promise<void> {
    try {
      await this.custom.deleteNamespacedCustomObject({
        ...JOBSET_API,
        namespace: this.namespace,
        name,
        propagationPolicy: 'Background',
      });
    } catch (err) {
      if (statusOf(err) === 404) return;
      throw this.error(err, `delete job ${name}`);
    }
  }
}
