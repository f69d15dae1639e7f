/**
 * Recording a job's end: the first konduktor process that sees a JobSet end judges its outcome
 * from the pods (rank 0's termination message, the failing rank's log tail) and writes it as the
 * `KonduktorResult` condition (`condition.ts`); every other process, now or later, reads what was
 * written. Reads reconcile: every read of a job goes through {@link JobRecorder.evaluate}.
 * @module
 */
import * as k8s from '@kubernetes/client-node';
import { BackendError } from '../../errors.js';
import { type FinalMetrics, type Outcome, withFinalMetrics } from '../../result/outcome.js';
import type { JobInfo } from '../backend.js';
import type { JobSetApi } from './api.js';
import { statusOf } from './client.js';
import { type JobRecord, readRecord, REASONS, withCondition } from './condition.js';
import { infoOf, pullFailure, recordTimes } from './job-info.js';
import { deactivateWorkload, kueueQueueOf } from './kueue.js';
import { readPodLogTail } from './logs-read.js';
import { ANNOTATIONS, CONTAINER_NAME, endedMarkerName, JOBSET_API, LABELS } from './manifests.js';
import { readFinalMetrics } from './pod-metrics.js';
import { failingPod, jobSetAttempt, outcomeOf, podOf, settledState } from './outcome.js';
import type { JobSetObject, PodObject } from './types.js';

/** How often a status write that conflicts is judged again from the fresh JobSet. */
export const STATUS_WRITE_ATTEMPTS = 8;

/** The end a JobSet has reached, as judged from one version of it and its pods. */
interface Decision {
  readonly outcome: Outcome;
  /** The pods the outcome was read from (fresher than the ones given, when re-read). */
  readonly pods: readonly PodObject[];
  /** True when the pods ended by themselves (then their end times are the job's). */
  readonly podsEnded: boolean;
  /** The pods are to be stopped once the outcome is recorded (they would never end). */
  readonly suspend?: true;
}

/** A JobSet and its pods as a synced informer cache has them (see `informers.ts`). */
export interface CachedView {
  jobset(name: string): JobSetObject | undefined;
  pods(name: string): PodObject[];
}

/** Judges and records the ends of the jobs of one namespace. */
export class JobRecorder {
  readonly #api: JobSetApi;
  /** The synced informers' caches, when there are (read after a conflict before the API). */
  readonly #cache: () => CachedView | undefined;
  /** Ended markers being created after their outcome was recorded (see {@link JobRecorder.settled}). */
  readonly #markers = new Set<Promise<void>>();

  /**
   * @param api the namespace's API
   * @param cache the synced informer caches, when the process has them
   */
  constructor(api: JobSetApi, cache: () => CachedView | undefined = () => undefined) {
    this.#api = api;
    this.#cache = cache;
  }

  /**
   * A job's info, recording its outcome first when it has ended and nobody recorded it yet.
   *
   * The record is written through the status subresource, guarded by the resourceVersion of the
   * JobSet it was judged from. When that write conflicts, the JobSet changed since (a `stop`, a
   * `start`, a restart, another process's record): the job is judged again from the fresh JobSet
   * and pods, never recorded from the stale view — a stopped run's ending pods read through a
   * JobSet cache that had not yet seen the `stop` would otherwise be taken for the job's end.
   * @throws {JobNotFoundError} when the JobSet is deleted while being judged again.
   * @throws {BackendError} when the API fails, or the JobSet kept changing.
   */
  async evaluate(jsIn: JobSetObject, podsIn: readonly PodObject[]): Promise<JobInfo> {
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
        const written = await this.#api.replaceStatus(name, withCondition(js, record));
        // Until the JobSet says it is terminal, it would recreate a deleted Job and run it again.
        // The marker is made only from an outcome that won the write (one judged from a stale
        // view would stop a resumed run's pods), and off the wait's path: the outcome is durable
        // once written, so the wait resolves now; `settled()` (the backend's close, and a process
        // that exits when its loop is empty) lets the marker's request finish.
        if (written.status?.terminalState === undefined)
          this.#track(this.#markEnded(written, record));
        if (decided.suspend === true) await this.#stopPods(js);
        return infoOf(written, decided.pods, readRecord(written) ?? record);
      } catch (err) {
        const status = statusOf(err);
        // Deleted meanwhile: nothing to keep it on. Not allowed to write status: the outcome
        // still holds for this wait, and is recomputed from the pods while they exist.
        if (status === 404 || status === 403) return infoOf(js, decided.pods, record);
        if (status !== 409) throw this.#api.error(err, `record the outcome of ${name}`);
        // The change that conflicted (most often the JobSet controller's own status update
        // as the pods end) has usually reached the cache already: a newer version there is
        // judged without asking the API.
        const cache = this.#cache();
        const cached = cache?.jobset(name);
        if (
          cache !== undefined &&
          cached !== undefined &&
          cached.metadata.resourceVersion !== js.metadata.resourceVersion
        ) {
          js = cached;
          pods = cache.pods(name);
        } else {
          js = await this.#api.jobSet(name);
          pods = await this.#api.podsOfJob(name);
        }
      }
    }
    throw new BackendError(`could not record the outcome of ${name}: the JobSet kept changing`);
  }

  /**
   * The end a JobSet has reached, judged from this version of it and these pods, or `undefined`
   * while it runs: a cancel, the pods' settled state, an image that cannot be pulled.
   */
  async #decide(js: JobSetObject, pods: readonly PodObject[]): Promise<Decision | undefined> {
    const attempt = jobSetAttempt(js);
    if (js.metadata.annotations?.[ANNOTATIONS.cancelled] === 'true') {
      const outcome: Outcome = {
        kind: 'failed',
        reason: 'the job was cancelled',
        attempt,
        logTail: [],
        // Rank 0's pod may still be there (its deletion takes a moment).
        ...withFinalMetrics(await this.#finalMetrics(pods, attempt)),
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
    if (hasEnded !== true) current = await this.#api.podsOfJob(name);
    let logTail: string[] = [];
    if (settledState(js, current) !== 'Completed') {
      const failing = failingPod(current, attempt);
      if (failing?.metadata?.name !== undefined) logTail = await this.#tail(failing.metadata.name);
    }
    let outcome: Outcome = {
      ...outcomeOf(js, current, logTail),
      ...withFinalMetrics(await this.#finalMetrics(current, attempt)),
    };
    // A job that reported nothing often failed inside a pipeline (`train | tee log` exits 0):
    // rank 0's last lines say why.
    const rank0 = podOf(current, attempt, 0)?.metadata?.name;
    if (outcome.kind === 'no_result' && rank0 !== undefined) {
      const tail = await this.#tail(rank0);
      if (tail.length > 0) outcome = { ...outcome, logTail: tail };
    }
    return { outcome, pods: current };
  }

  /** Rank 0's last metric line of the attempt, out of its pod's log. */
  async #finalMetrics(
    pods: readonly PodObject[],
    attempt: number,
  ): Promise<FinalMetrics | undefined> {
    const rank0 = podOf(pods, attempt, 0)?.metadata?.name;
    if (rank0 === undefined) return undefined;
    return readFinalMetrics(this.#api.core, this.#api.namespace, rank0, CONTAINER_NAME);
  }

  /**
   * Stops the pods of a job konduktor ended (they would never end by themselves): Kueue, which
   * would resume the JobSet, is told first (its Workload deactivated, its quota freed), then the
   * JobSet is suspended. Best effort: the outcome is already recorded.
   */
  async #stopPods(js: JobSetObject): Promise<void> {
    if (kueueQueueOf(js) !== undefined)
      await deactivateWorkload(this.#api.custom, this.#api.namespace, js);
    await this.#api
      .patch(js.metadata.name ?? '', { spec: { suspend: true } })
      .catch(() => undefined);
  }

  /**
   * Creates the job's ended marker (`endedMarkerName`), owned by the JobSet: every pod started
   * after this reads it and runs nothing. Best effort (another process made it, or no right to
   * create ConfigMaps: then only the JobSet's own Completed, seconds later, closes the window).
   */
  async #markEnded(js: JobSetObject, record: JobRecord): Promise<void> {
    const name = js.metadata.name ?? '';
    await this.#api.core
      .createNamespacedConfigMap({
        namespace: this.#api.namespace,
        // client-node's models are classes; the API takes their plain-data shape.
        body: Object.assign(new k8s.V1ConfigMap(), {
          metadata: Object.assign(new k8s.V1ObjectMeta(), {
            name: endedMarkerName(name),
            labels: { [LABELS.job]: name },
            ownerReferences: [
              Object.assign(new k8s.V1OwnerReference(), {
                apiVersion: `${JOBSET_API.group}/${JOBSET_API.version}`,
                kind: 'JobSet',
                name,
                uid: js.metadata.uid ?? '',
              }),
            ],
          }),
          data: { outcome: REASONS[record.outcome.kind] },
        }),
      })
      .catch(() => undefined);
  }

  /**
   * Resolves once every ended marker this recorder began has been created (or given up on).
   * Never rejects.
   */
  async settled(): Promise<void> {
    while (this.#markers.size > 0) await Promise.all([...this.#markers]);
  }

  #track(marker: Promise<void>): void {
    this.#markers.add(marker);
    void marker.finally(() => this.#markers.delete(marker));
  }

  #tail(pod: string): Promise<string[]> {
    return readPodLogTail(this.#api.core, this.#api.namespace, pod, CONTAINER_NAME);
  }
}
