/**
 * The recorder: konduktor's own evaluation of every job in a namespace, run as a long-lived
 * process (`konduktor recorder`, in the cluster as a Deployment: `docs/kubernetes.md`). Each
 * JobSet or pod event of a job without a recorded outcome evaluates that job at once, with the pods
 * as the event left them, so the `KonduktorResult` condition is written ~tens of milliseconds after
 * rank 0's pod is seen terminated: before anyone can delete the pod, and before the JobSet
 * controller turns the JobSet terminal (1–3 s later), which is what MultiKueue needs on a worker.
 *
 * Without a recorder, the first konduktor client process that looks records the outcome, as
 * before; the recorder only makes that independent of a client being there.
 * @module
 */
import { type Backend, isTerminal, type JobInfo } from '../backend.js';
import { BackendError, JobNotFoundError } from '../../errors.js';
import { selfEndedExpiry } from './expiry.js';
import { isKubernetesBackend } from './kubernetes-backend.js';

/** Options of {@link runRecorder}. */
export interface RecorderOptions {
  /** Ends the recorder (it then resolves). */
  readonly signal: AbortSignal;
  /** Called once per outcome this recorder saw recorded (by itself or another process). */
  readonly onRecorded?: (info: JobInfo) => void;
  /** Called when evaluating a job failed (an API error); the next event of that job retries. */
  readonly onError?: (job: string, error: unknown) => void;
  /** Called when this recorder deleted a job konduktor ended itself, its time to live over. */
  readonly onExpired?: (job: string) => void;
}

/** setTimeout's longest delay (about 24.8 days); a later expiry is looked at again then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Records the outcome of every job of the backend's namespace as soon as it ends, until
 * `options.signal` aborts. Resolves on abort.
 * @throws {BackendError} when `backend` is not a Kubernetes backend.
 */
export async function runRecorder(backend: Backend, options: RecorderOptions): Promise<void> {
  const { signal } = options;
  if (!isKubernetesBackend(backend))
    throw new BackendError(`the recorder runs on the kubernetes backend, not ${backend.kind}`);
  if (signal.aborted) return;
  const informers = backend.informers;
  /** Jobs being evaluated now, and whether an event came in meanwhile. */
  const inFlight = new Map<string, { again: boolean }>();
  const reported = new Set<string>();

  const evaluate = (job: string): void => {
    const running = inFlight.get(job);
    if (running !== undefined) {
      running.again = true;
      return;
    }
    const state = { again: false };
    inFlight.set(job, state);
    // `get` reads the caches synchronously before its first await: the pods are taken as this
    // event left them, so a pod deleted right after it ended is still read.
    void backend
      .get(job)
      .then((info) => {
        if (isTerminal(info.status) && info.outcome !== undefined && !reported.has(job)) {
          reported.add(job);
          options.onRecorded?.(info);
        }
      })
      .catch((error: unknown) => {
        // Its time to live was over: `get` deleted it. Or someone else deleted it meanwhile.
        if (!(error instanceof JobNotFoundError)) options.onError?.(job, error);
        else if (error.expiredAfterSeconds !== undefined) options.onExpired?.(job);
      })
      .finally(() => {
        inFlight.delete(job);
        if (state.again && !signal.aborted) evaluate(job);
      });
  };

  /** Timers of the jobs konduktor ended itself, to delete them when their time to live is over. */
  const expiries = new Map<string, NodeJS.Timeout>();
  /**
   * A cancelled or pull-failed job never turns Completed or Failed, so the JobSet controller never
   * deletes it (`selfEndedExpiry`): the recorder does, when its time to live is over, through
   * `get` (through `evaluate`), which deletes a job that is due.
   */
  const scheduleExpiry = (job: string): void => {
    const js = informers.jobset(job);
    const at = js === undefined ? undefined : selfEndedExpiry(js);
    const timer = expiries.get(job);
    if (at === undefined) {
      clearTimeout(timer);
      expiries.delete(job);
      return;
    }
    if (timer !== undefined) return;
    const expire = (): void => {
      expiries.delete(job);
      if (signal.aborted) return;
      if (Date.now() < at) {
        scheduleExpiry(job);
        return;
      }
      evaluate(job);
    };
    expiries.set(job, setTimeout(expire, Math.min(Math.max(at - Date.now(), 0), MAX_TIMER_MS)));
  };

  const onChange = (job: string | undefined): void => {
    if (signal.aborted) return;
    const names =
      job === undefined ? informers.jobsets().map((js) => js.metadata.name ?? '') : [job];
    for (const name of names) {
      scheduleExpiry(name);
      // Not (or no longer) a JobSet: nothing to record on.
      if (informers.jobset(name) === undefined) {
        reported.delete(name);
        continue;
      }
      // A recorded job costs nothing more.
      if (reported.has(name)) continue;
      evaluate(name);
    }
  };

  const unsubscribe = informers.subscribeAll(onChange);
  try {
    await informers.ready(signal);
    onChange(undefined);
    await new Promise<void>((resolve) => {
      signal.addEventListener(
        'abort',
        () => {
          resolve();
        },
        { once: true },
      );
    });
  } catch (error) {
    // An abort while the informers list ends the recorder like any other abort.
    if (error === signal.reason) return;
    throw error;
  } finally {
    unsubscribe();
    for (const timer of expiries.values()) clearTimeout(timer);
  }
}
