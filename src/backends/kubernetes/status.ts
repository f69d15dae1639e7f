/**
 * Reading jobs on Kubernetes: a job's info (`get`, `list`) and the wait for its end, from the
 * informers' caches when they are synced and from the API otherwise. Every read goes through the
 * {@link JobRecorder}, so a read is also what records an end nobody recorded yet.
 * @module
 */
import { BackendError, JobNotFoundError } from '../../errors.js';
import type { BackendWaitOptions, JobInfo, TerminalJobInfo } from '../backend.js';
import { waitUntilTerminal } from '../shared/wait.js';
import type { JobSetApi } from './api.js';
import { readRecord } from './condition.js';
import type { BackendInformers } from './informer-registry.js';
import { selfEndedExpiry } from './expiry.js';
import { awaitedQueue, infoOf, submittedAt, withAdmission } from './job-info.js';
import { admissionMessages } from './kueue.js';
import { LABELS } from './manifests.js';
import type { JobRecorder } from './recording.js';
import type { JobSetObject, PodObject } from './types.js';

/** After a failed API call inside a wait, retry after this long (or sooner on an event). */
const RETRY_MS = 1000;

/**
 * Kueue's Workload changes send no event on the JobSet, so a wait re-reads a job Kueue holds on
 * its own to pass on why: first after this long, then twice as long each time, up to
 * {@link KUEUE_REREAD_MAX_MS}.
 */
const KUEUE_REREAD_MS = 2000;
const KUEUE_REREAD_MAX_MS = 60_000;

/** Reads of Kueue's Workloads this close together share one request (many waits at once). */
const ADMISSION_SHARED_MS = 1000;

/** Reads the jobs of one namespace. */
export class JobStatusReader {
  readonly #api: JobSetApi;
  readonly #informers: BackendInformers;
  readonly #recorder: JobRecorder;
  #admissions: { readonly at: number; readonly messages: Promise<Map<string, string>> } | undefined;

  constructor(api: JobSetApi, informers: BackendInformers, recorder: JobRecorder) {
    this.#api = api;
    this.#informers = informers;
    this.#recorder = recorder;
  }

  /** A job's JobSet: from the informer when it is synced and has it, else from the API. */
  async jobSet(name: string): Promise<JobSetObject> {
    return this.#informers.synced?.jobset(name) ?? (await this.#api.jobSet(name));
  }

  /** The pods of a job: from the informer when it is synced, else from the API. */
  async pods(name: string): Promise<PodObject[]> {
    const synced = this.#informers.synced;
    if (synced !== undefined) return synced.pods(name);
    return this.#api.podsOfJob(name);
  }

  /**
   * Why Kueue holds the namespace's jobs, by JobSet uid (see `admissionMessages`); never throws.
   * Asked only for jobs that wait for Kueue, which are few, and shared by reads close together.
   */
  #admissionMessages(): Promise<Map<string, string>> {
    const now = Date.now();
    if (this.#admissions === undefined || now - this.#admissions.at >= ADMISSION_SHARED_MS)
      this.#admissions = {
        at: now,
        messages: admissionMessages(this.#api.custom, this.#api.namespace),
      };
    return this.#admissions.messages;
  }

  /** A job's info, with Kueue's word on why it is not admitted when it waits for Kueue. */
  async #evaluate(js: JobSetObject, pods: readonly PodObject[]): Promise<JobInfo> {
    const info = await this.#recorder.evaluate(js, pods);
    if (awaitedQueue(js, info) === undefined) return info;
    const messages = await this.#admissionMessages();
    return withAdmission(js, info, messages.get(js.metadata.uid ?? ''));
  }

  /**
   * Deletes a job konduktor ended itself once its time to live has run out (`selfEndedExpiry`):
   * from then on it reads as expired, as a job the JobSet controller deleted does.
   * @throws {JobNotFoundError} (expired) when it was due.
   */
  async #expireIfDue(js: JobSetObject): Promise<void> {
    const at = selfEndedExpiry(js);
    if (at === undefined || Date.now() < at) return;
    const name = js.metadata.name ?? '';
    // Without the right to delete, it stays on the cluster, but reads as expired all the same.
    await this.#api.delete(name).catch(() => undefined);
    throw new JobNotFoundError(name, this.#api.description, [], {
      expiredAfterSeconds: js.spec?.ttlSecondsAfterFinished,
    });
  }

  /**
   * A job's info, recording its end first when it has ended unrecorded.
   * @throws {JobNotFoundError} when there is no such job, or it expired (then it is deleted).
   */
  async get(name: string): Promise<JobInfo> {
    const js = await this.jobSet(name);
    await this.#expireIfDue(js);
    // A record with times says all; an older one needs the pods for the times.
    const pods = readRecord(js)?.endedAt === undefined ? await this.pods(name) : [];
    return this.#evaluate(js, pods);
  }

  /** Jobs, newest first (by konduktor's submission time, then name). */
  async list(options: { readonly limit?: number } = {}): Promise<JobInfo[]> {
    const jobsets = [];
    for (const js of await this.#api.jobSets()) {
      try {
        await this.#expireIfDue(js);
        jobsets.push(js);
      } catch (err) {
        // Expired: deleted now, and no longer listed.
        if (!(err instanceof JobNotFoundError)) throw err;
      }
    }
    jobsets.sort(
      (a, b) =>
        submittedAt(b).getTime() - submittedAt(a).getTime() ||
        (b.metadata.name ?? '').localeCompare(a.metadata.name ?? ''),
    );
    const limited =
      options.limit === undefined || options.limit < 0 ? jobsets : jobsets.slice(0, options.limit);
    // One request for every job's pods: the running ones need them, and all show start times.
    const pods = limited.length === 0 ? [] : await this.#api.allPods();
    return Promise.all(
      limited.map((js) =>
        this.#evaluate(
          js,
          pods.filter((p) => p.metadata?.labels?.[LABELS.job] === js.metadata.name),
        ),
      ),
    );
  }

  /** See `Backend.waitTerminal`: watch-based, on the namespace's shared informers. */
  waitTerminal(name: string, options: BackendWaitOptions = {}): Promise<TerminalJobInfo> {
    const informers = this.#informers.started;
    let kueueRereadMs: number | undefined;
    return waitUntilTerminal(
      {
        get idleMs() {
          return kueueRereadMs;
        },
        subscribe: (listener) => informers.subscribe(name, listener),
        prepare: async (signal) => {
          // Synced caches (a sweep's later waits) answer the first read without a request, and
          // a job this process has just created has not ended.
          if (informers.synced || this.#api.createdHere(name)) {
            await informers.ready(signal);
            return undefined;
          }
          // A job that already ended (condition recorded) resolves without waiting for the informers.
          const first = await this.#api.jobSet(name);
          await this.#expireIfDue(first);
          const recorded = readRecord(first);
          if (recorded !== undefined) {
            const pods = recorded.endedAt === undefined ? await this.pods(name) : [];
            return infoOf(first, pods, recorded) as TerminalJobInfo;
          }
          await informers.ready(signal);
          return undefined;
        },
        read: async () => {
          // Right after submit the watch has seldom delivered the JobSet yet. When it is sure to
          // (created after the informer's list began, no deletion seen), the JobSet as this process
          // created it stands in, once: the watch's event for it wakes the next read. Else the
          // API is asked.
          const created = this.#api.takeCreated(name);
          const js =
            informers.jobset(name) ??
            (created !== undefined && informers.awaitsJobSet(name, created.createdBy)
              ? created.jobSet
              : await this.#api.jobSet(name));
          await this.#expireIfDue(js);
          const info = await this.#evaluate(js, informers.pods(name));
          kueueRereadMs =
            awaitedQueue(js, info) === undefined
              ? undefined
              : Math.min((kueueRereadMs ?? KUEUE_REREAD_MS / 2) * 2, KUEUE_REREAD_MAX_MS);
          return info;
        },
        retryAfter: (err) => {
          // An unknown job is final; an unreachable API is not (the informers reconnect and wake us).
          if (err instanceof JobNotFoundError || !(err instanceof BackendError)) throw err;
          return RETRY_MS;
        },
      },
      options,
    );
  }
}
