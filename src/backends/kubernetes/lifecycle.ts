/**
 * What konduktor does to a job on Kubernetes: create its JobSet (drawing a free name), cancel,
 * hold (`stop`), resume (`start`) and delete it. Holding and cancelling suspend the JobSet (the
 * Job controller deletes its pods) and keep it, since it carries the outcome; under Kueue they go
 * through the Workload (`kueue.ts`), since Kueue owns the JobSet's suspension.
 * @module
 */
import { BackendError, TaskValidationError } from '../../errors.js';
import { makeJobName } from '../../task/naming.js';
import type { TaskSpec } from '../../task/types.js';
import { candidateJobNames, noFreeName } from '../shared/names.js';
import { mustHold, mustResume } from '../shared/preconditions.js';
import type { JobSetApi } from './api.js';
import { apiMessage, statusOf } from './client.js';
import { readCondition } from './condition.js';
import { observedStart } from './job-info.js';
import { DEFAULT_TTL_SECONDS } from './expiry.js';
import { deactivateWorkload, kueueQueueOf, setWorkloadActive } from './kueue.js';
import {
  ANNOTATIONS,
  buildJobSet,
  type JobSetManifest,
  validateForKubernetes,
} from './manifests.js';
import { jobSetAttempt, podAttempt } from './outcome.js';
import { STATUS_WRITE_ATTEMPTS, type JobRecorder } from './recording.js';
import type { JobStatusReader } from './status.js';
import type { JobSetObject } from './types.js';
import { localUser } from './user.js';
import { envSecretRefs, secretsChangedHere } from '../../secrets/kubernetes-store.js';
import { attachCode, type CodeShipping } from './shipping/index.js';

/**
 * How long a launch reuses the list of the user's env secrets (ms): a sweep lists them about once
 * a minute rather than once per trial. A secret this process creates or deletes is seen at once;
 * one made elsewhere reaches launches of a process that listed less than this ago only after it.
 */
const ENV_SECRETS_KEPT_MS = 60_000;

/** Creates and changes the jobs of one namespace. */
export class JobSetLifecycle {
  readonly #api: JobSetApi;
  readonly #status: JobStatusReader;
  readonly #recorder: JobRecorder;
  /** Packs and sends the tasks' workdir and file mounts (through the bucket, when configured). */
  readonly #shipping: CodeShipping;
  /** Seconds a finished JobSet is kept (`kubernetes.ttl`). */
  readonly #ttlSeconds: number;
  /** The user's env secrets as last listed (see {@link ENV_SECRETS_KEPT_MS}). */
  #envSecrets: { at: number; changes: number; user: string; refs: Promise<string[]> } | undefined;

  constructor(
    api: JobSetApi,
    status: JobStatusReader,
    recorder: JobRecorder,
    shipping: CodeShipping,
    ttlSeconds: number = DEFAULT_TTL_SECONDS,
  ) {
    this.#ttlSeconds = ttlSeconds;
    this.#api = api;
    this.#status = status;
    this.#recorder = recorder;
    this.#shipping = shipping;
  }

  /** The JobSet {@link JobSetLifecycle.submit} would create (with a fresh name); uploads nothing. */
  async manifest(spec: TaskSpec): Promise<JobSetManifest> {
    const user = localUser();
    validateForKubernetes(spec);
    const shipping = await this.#shipping.preview(spec);
    return buildJobSet(spec, {
      name: makeJobName(spec.name),
      namespace: this.#api.namespace,
      user,
      ttlSeconds: this.#ttlSeconds,
      envSecrets: await envSecretRefs(this.#api.core, this.#api.namespace, user),
      ...(shipping === undefined ? {} : { shipping }),
    });
  }

  /** What the task's workdir and file mounts become (the plan's `code:` line); uploads nothing. */
  async describeCode(spec: TaskSpec): Promise<string | undefined> {
    validateForKubernetes(spec);
    return (await this.#shipping.preview(spec))?.summary;
  }

  /**
   * Creates the job's JobSet under a fresh name, drawing another suffix while the name is taken.
   * @returns the job's name.
   * @throws {TaskValidationError} when the cluster refuses the JobSet (400/422).
   * @throws {BackendError} when the API fails, or no free name was found.
   */
  async submit(spec: TaskSpec): Promise<string> {
    const user = localUser();
    const envSecrets = await this.#envSecretRefs(user);
    validateForKubernetes(spec);
    const code = await this.#shipping.prepare(spec);
    for (const name of candidateJobNames(spec.name)) {
      const body = buildJobSet(spec, {
        name,
        namespace: this.#api.namespace,
        user,
        submittedAt: new Date(),
        ttlSeconds: this.#ttlSeconds,
        envSecrets,
        ...(code === undefined ? {} : { shipping: code }),
      });
      let created: JobSetObject | undefined;
      try {
        created = await this.#api.create(body);
      } catch (err) {
        const status = statusOf(err);
        if (status === 422 || status === 400) {
          throw new TaskValidationError([
            { path: '', message: `the cluster refused the JobSet: ${apiMessage(err)}` },
          ]);
        }
        throw this.#api.error(err, 'create the JobSet');
      }
      if (created === undefined) continue;
      this.#api.launched?.record(name, this.#ttlSeconds);
      if (code !== undefined) {
        try {
          await attachCode(this.#api.core, this.#api.custom, this.#api.namespace, created, code);
        } catch (err) {
          throw this.#api.error(err, `create the code Secret of job ${name}`);
        }
      }
      return name;
    }
    throw noFreeName(spec.name);
  }

  /**
   * The user's env secrets, listed at most once per {@link ENV_SECRETS_KEPT_MS} (concurrent
   * launches share one list; a failed list is not kept).
   * @throws {BackendError} when the Secrets cannot be listed.
   */
  #envSecretRefs(user: string): Promise<string[]> {
    const kept = this.#envSecrets;
    const now = performance.now();
    if (
      kept !== undefined &&
      kept.user === user &&
      kept.changes === secretsChangedHere() &&
      now - kept.at < ENV_SECRETS_KEPT_MS
    )
      return kept.refs;
    const refs = envSecretRefs(this.#api.core, this.#api.namespace, user);
    const entry = { at: now, changes: secretsChangedHere(), user, refs };
    this.#envSecrets = entry;
    refs.catch(() => {
      if (this.#envSecrets === entry) this.#envSecrets = undefined;
    });
    return refs;
  }

  /** Cancels the job: it ends `CANCELLED` (recorded at once). Harmless on an ended job. */
  async cancel(name: string): Promise<void> {
    const js = await this.#api.jobSet(name);
    if (readCondition(js) !== undefined || js.status?.terminalState !== undefined) return;
    // The pods as they were, for the record's start time: suspending deletes them.
    const pods = await this.#status.pods(name);
    // Kueue would resume it: its Workload goes first (which also frees the queue's quota).
    if (kueueQueueOf(js) !== undefined)
      await deactivateWorkload(this.#api.custom, this.#api.namespace, js);
    // Suspending stops the pods (the Job controller deletes them) and keeps the JobSet, which
    // carries the outcome.
    await this.#api.patch(name, {
      metadata: { annotations: { [ANNOTATIONS.cancelled]: 'true' } },
      spec: { suspend: true },
    });
    await this.#recorder.evaluate(await this.#api.jobSet(name), pods);
  }

  /**
   * Holds the job: suspends the JobSet (the Job controller deletes its pods). When the run had
   * started, the attempt `start` resumes with (one more) and the run's start time are kept on the
   * JobSet, so the resumed run is numbered and judged apart from the stopped one, as locally.
   * @throws {StateConflictError} when the job has already ended.
   */
  async stop(name: string): Promise<void> {
    const js = await this.#api.jobSet(name);
    const pods = await this.#status.pods(name);
    const info = await this.#recorder.evaluate(js, pods);
    if (!mustHold(name, info.status)) return;
    const attempt = jobSetAttempt(js);
    // Bound to a node: its container may have run, and its end would read as this attempt's.
    const ran = pods.some(
      (p) =>
        podAttempt(p) === attempt &&
        (p.spec?.nodeName !== undefined || p.status?.startTime !== undefined),
    );
    const annotations = js.metadata.annotations ?? {};
    const started = observedStart(js, pods);
    // Under Kueue a suspend alone is undone at once: the Workload is deactivated first, so Kueue
    // evicts the job (its pods go, its quota is freed) and keeps it until `start`.
    if (kueueQueueOf(js) !== undefined)
      await setWorkloadActive(this.#api.custom, this.#api.namespace, js, false);
    await this.#api.patch(name, {
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
   * @throws {StateConflictError} when the job has already ended.
   */
  async start(name: string): Promise<void> {
    const js = await this.#api.jobSet(name);
    const info = await this.#recorder.evaluate(js, await this.#status.pods(name));
    if (!mustResume(name, info.status)) return;
    const target = Number(js.metadata.annotations?.[ANNOTATIONS.resumeAttempt]);
    if (Number.isInteger(target) && target > jobSetAttempt(js)) await this.#moveAttempt(js, target);
    const queued = kueueQueueOf(js) !== undefined;
    // Under Kueue the JobSet stays suspended until Kueue admits its reactivated Workload again
    // (an unsuspend before that would be undone, and could start pods outside the quota).
    await this.#api.patch(name, {
      metadata: { annotations: { [ANNOTATIONS.stopped]: null, [ANNOTATIONS.resumeAttempt]: null } },
      ...(queued ? {} : { spec: { suspend: false } }),
    });
    if (queued) await setWorkloadActive(this.#api.custom, this.#api.namespace, js, true);
  }

  /** Sets `status.restarts` to `attempt` (never lowers it), guarded by the resourceVersion. */
  async #moveAttempt(jsIn: JobSetObject, attempt: number): Promise<void> {
    let js = jsIn;
    const name = js.metadata.name ?? '';
    for (let i = 0; i < STATUS_WRITE_ATTEMPTS; i += 1) {
      if (jobSetAttempt(js) >= attempt) return;
      try {
        await this.#api.replaceStatus(name, { ...js, status: { ...js.status, restarts: attempt } });
        return;
      } catch (err) {
        if (statusOf(err) !== 409)
          throw this.#api.error(
            err,
            `resume job ${name} as attempt ${attempt} (update jobsets/status)`,
          );
        js = await this.#api.jobSet(name);
      }
    }
    throw new BackendError(`could not resume ${name}: the JobSet kept changing`);
  }

  /** Deletes the job's JobSet (and in the background its pods). @throws {JobNotFoundError} */
  async remove(name: string): Promise<void> {
    await this.#api.jobSet(name);
    // Noted before the deletion: a wait in another process that sees the JobSet go reads
    // "removed by `konduktor down`", never "has expired".
    this.#api.launched?.forget(name);
    await this.#api.delete(name);
  }
}
