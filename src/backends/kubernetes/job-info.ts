/**
 * From a JobSet, its pods and its record to a {@link JobInfo}: the status, why a job waits, and
 * when it was submitted, started and ended. Pure: the backend fetches the objects.
 *
 * Times: submission is konduktor's annotation (milliseconds); start and end are the containers'
 * `startedAt`/`finishedAt`, which the API gives in whole seconds. A time that the truncation put
 * before the one it must follow (a start before the submission, an end before the start) is
 * clamped to it: the true time lies within the same second, after that one.
 * @module
 */
import type { Outcome } from '../../result/outcome.js';
import { isTerminal, type JobInfo, type JobStatus } from '../backend.js';
import { parseResources } from '../resources.js';
import { CONDITION_TYPE, type JobRecord } from './condition.js';
import { kueueQueueOf } from './kueue.js';
import { ANNOTATIONS } from './manifests.js';
import { containerStatus, jobSetAttempt, numNodesOf, podAttempt, terminatedOf } from './outcome.js';
import type { JobSetObject, PodObject } from './types.js';

/** Container waiting reasons that mean the image will not arrive: the wait fails at once. */
const PULL_FAILURES = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName']);

/** A date from an API or annotation value, `undefined` when absent or unreadable. */
export function dateOf(value: string | Date | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/**
 * When the job was submitted: konduktor's annotation (milliseconds), else the creation timestamp
 * (whole seconds, too coarse to order jobs launched together).
 */
export function submittedAt(js: JobSetObject): Date {
  return (
    dateOf(js.metadata.annotations?.[ANNOTATIONS.submittedAt]) ??
    dateOf(js.metadata.creationTimestamp) ??
    new Date(0)
  );
}

/** When konduktor's container of a pod started, if it did. */
function containerStartOf(pod: PodObject): number | undefined {
  const status = containerStatus(pod);
  const start =
    status?.state?.running?.startedAt ??
    status?.state?.terminated?.startedAt ??
    status?.lastState?.terminated?.startedAt;
  return dateOf(start)?.getTime();
}

/**
 * When the job's processes started: the earliest container start among its pods (and the one
 * `stop` kept before the stopped run's pods went), never before the submission.
 */
export function observedStart(js: JobSetObject, pods: readonly PodObject[]): Date | undefined {
  const starts = pods.map(containerStartOf).filter((t): t is number => t !== undefined && t > 0);
  const kept = dateOf(js.metadata.annotations?.[ANNOTATIONS.startedAt])?.getTime();
  if (kept !== undefined) starts.push(kept);
  if (starts.length === 0) return undefined;
  return new Date(Math.max(Math.min(...starts), submittedAt(js).getTime()));
}

/**
 * When the final attempt's processes ended: the latest `finishedAt` among its pods that ended,
 * or `undefined` when none has.
 */
export function observedEnd(js: JobSetObject, pods: readonly PodObject[]): Date | undefined {
  const attempt = jobSetAttempt(js);
  const ends = pods
    .filter((p) => podAttempt(p) === attempt)
    .map((p) => dateOf(terminatedOf(p)?.finishedAt)?.getTime())
    .filter((t): t is number => t !== undefined && t > 0);
  return ends.length === 0 ? undefined : new Date(Math.max(...ends));
}

/**
 * The times to record with an outcome: the pods' start and end as seen now; `endedAt` is `now`
 * when no pod of the final attempt ended (a cancel, a pull failure). Clamped as the module says.
 */
export function recordTimes(
  js: JobSetObject,
  pods: readonly PodObject[],
  options: { readonly now: Date; readonly podsEnded: boolean },
): { startedAt?: Date; endedAt: Date } {
  const startedAt = observedStart(js, pods);
  const end = (options.podsEnded ? observedEnd(js, pods) : undefined) ?? options.now;
  const floor = (startedAt ?? submittedAt(js)).getTime();
  const endedAt = new Date(Math.max(end.getTime(), floor));
  return { ...(startedAt === undefined ? {} : { startedAt }), endedAt };
}

/** Why the job cannot start because of its image, when a pod says so. */
export function pullFailure(js: JobSetObject, pods: readonly PodObject[]): string | undefined {
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
function pendingReason(js: JobSetObject, pods: readonly PodObject[]): string {
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

/** Why a job waits for Kueue, with Kueue's own word on it when there is one. */
function kueueWait(queue: string, admission?: string): string {
  const reason = `suspended: waiting for admission by Kueue (queue ${queue})`;
  return admission === undefined ? reason : `${reason}: ${admission}`;
}

/**
 * The Kueue queue of a job that waits for Kueue to admit it (suspended under Kueue, neither
 * stopped nor ended), else `undefined`. Only such jobs are worth asking Kueue about.
 */
export function awaitedQueue(js: JobSetObject, info: JobInfo): string | undefined {
  if (info.status !== 'PENDING' || info.outcome !== undefined || js.spec?.suspend !== true)
    return undefined;
  if (js.metadata.annotations?.[ANNOTATIONS.stopped] === 'true') return undefined;
  return kueueQueueOf(js);
}

/**
 * The info of a job that waits for Kueue, its reason carrying why Kueue has not admitted it
 * (`admission`, from the job's Workload: see `admissionMessages`). Other jobs are returned as
 * they are.
 */
export function withAdmission(
  js: JobSetObject,
  info: JobInfo,
  admission: string | undefined,
): JobInfo {
  const queue = awaitedQueue(js, info);
  if (queue === undefined || admission === undefined) return info;
  return { ...info, reason: kueueWait(queue, admission) };
}

/**
 * The status of a job that has no recorded outcome, and why it is in it. With an outcome, the
 * outcome decides (see {@link infoOf}).
 */
function liveStatus(
  js: JobSetObject,
  pods: readonly PodObject[],
): { status: JobStatus; reason?: string } {
  const meta = js.metadata;
  const annotations = meta.annotations ?? {};
  const terminalState = js.status?.terminalState;
  if (annotations[ANNOTATIONS.cancelled] === 'true')
    return { status: 'CANCELLED', reason: 'the job was cancelled' };
  if (terminalState === 'Completed') return { status: 'SUCCEEDED' };
  if (terminalState === 'Failed') return { status: 'FAILED' };
  if (js.spec?.suspend === true) {
    if (annotations[ANNOTATIONS.stopped] === 'true')
      return {
        status: 'STOPPED',
        reason: 'stopped with `konduktor stop`; resume with `konduktor start`',
      };
    const queue = kueueQueueOf(js);
    return { status: 'PENDING', reason: queue === undefined ? 'suspended' : kueueWait(queue) };
  }
  const attempt = jobSetAttempt(js);
  const running = pods.some(
    (p) =>
      podAttempt(p) === attempt &&
      (p.status?.phase === 'Running' ||
        p.status?.phase === 'Succeeded' ||
        p.status?.phase === 'Failed'),
  );
  return running ? { status: 'RUNNING' } : { status: 'PENDING', reason: pendingReason(js, pods) };
}

/**
 * The status a recorded outcome means: the outcome is what `result` returns, so the status agrees
 * with it whatever the JobSet later says (a cancelled job whose end was recorded first stays what
 * was recorded).
 */
function settledStatus(js: JobSetObject, outcome: Outcome): JobStatus {
  if (outcome.kind !== 'failed') return 'SUCCEEDED';
  return js.metadata.annotations?.[ANNOTATIONS.cancelled] === 'true' ? 'CANCELLED' : 'FAILED';
}

/** A JobSet (with its pods and its record, when there is one) as a {@link JobInfo}. */
export function infoOf(
  js: JobSetObject,
  pods: readonly PodObject[],
  record: JobRecord | undefined,
): JobInfo {
  const meta = js.metadata;
  const annotations = meta.annotations ?? {};
  const outcome = record?.outcome;
  let status: JobStatus;
  let reason: string | undefined;
  if (outcome === undefined) ({ status, reason } = liveStatus(js, pods));
  else {
    status = settledStatus(js, outcome);
    if (outcome.kind === 'failed') reason = outcome.reason;
  }
  const submitted = submittedAt(js);
  // A record with times holds them for good (the pods may be gone); an older record has none.
  const recorded = record?.endedAt !== undefined;
  const startedAt = recorded ? record.startedAt : observedStart(js, pods);
  let endedAt: Date | undefined;
  if (isTerminal(status)) {
    const conditions = js.status?.conditions ?? [];
    const endCondition =
      conditions.find((c) => c.type === CONDITION_TYPE) ??
      conditions.find(
        (c) => (c.type === 'Completed' || c.type === 'Failed') && c.status === 'True',
      );
    const end = recorded
      ? record.endedAt
      : (observedEnd(js, pods) ?? dateOf(endCondition?.lastTransitionTime));
    if (end !== undefined)
      endedAt = new Date(Math.max(end.getTime(), (startedAt ?? submitted).getTime()));
  }
  return {
    name: meta.name ?? '',
    backend: 'kubernetes',
    status,
    numNodes: numNodesOf(js),
    resources: parseResources(annotations[ANNOTATIONS.resources] ?? ''),
    submittedAt: submitted,
    ...(startedAt === undefined ? {} : { startedAt }),
    ...(endedAt === undefined ? {} : { endedAt }),
    attempt: outcome?.attempt ?? jobSetAttempt(js),
    ...(reason === undefined ? {} : { reason }),
    ...(outcome === undefined ? {} : { outcome }),
  };
}
