/**
 * From a terminal JobSet and its pods to the job's outcome: rank 0's termination message of the
 * final restart attempt, classified by the shared decoder. Pure: the caller fetches the objects
 * (and the failing rank's log tail).
 * @module
 */
import type { JobFailure } from '../../errors.js';
import { type FoundInstead, RESULT_LIMIT_BYTES, type ReporterFile } from '../../result/decode.js';
import { classifyOutcome, type JobEnd, type Outcome } from '../../result/outcome.js';
import {
  ANNOTATIONS,
  CONTAINER_NAME,
  effectiveResultLimit,
  INVALID_HEAD_BYTES,
  JOBSET_LABELS,
  MARKERS,
  REPLICATED_JOB,
} from './manifests.js';
import { signalOfExitCode } from '../shared/exit-status.js';
import type { JobSetObject, PodObject } from './types.js';

type Terminated = NonNullable<NonNullable<PodObject['status']>['containerStatuses']>[number];

/** The restart attempt a pod belongs to. */
export function podAttempt(pod: PodObject): number {
  return Number(pod.metadata?.labels?.[JOBSET_LABELS.restartAttempt] ?? 0);
}

/** The node rank of a pod (its completion index), or -1 when it has none. */
export function podRank(pod: PodObject): number {
  const index =
    pod.metadata?.labels?.[JOBSET_LABELS.completionIndex] ??
    pod.metadata?.annotations?.[JOBSET_LABELS.completionIndex];
  return index === undefined ? -1 : Number(index);
}

/** True for pods of replicated job `workers`, job index 0 (the only one konduktor makes). */
function isWorker(pod: PodObject): boolean {
  const labels = pod.metadata?.labels ?? {};
  const replicated = labels[JOBSET_LABELS.replicatedJob];
  const jobIndex = labels[JOBSET_LABELS.jobIndex];
  return (
    (replicated === undefined || replicated === REPLICATED_JOB) &&
    (jobIndex === undefined || jobIndex === '0')
  );
}

/**
 * The final attempt of a JobSet: `status.restarts`, the `restart-attempt` label of its current pods
 * (their `RESTART_ATTEMPT`). Failure restarts and `konduktor start` after a `stop` both move it on.
 */
export function jobSetAttempt(jobset: JobSetObject): number {
  return jobset.status?.restarts ?? 0;
}

/**
 * The restarts that used up `max_restarts`: JobSet's `restartsCountTowardsMax` (omitted when 0).
 * A resume after `konduktor stop` moves the attempt on without using one, as on the local backend.
 */
function restartsUsed(jobset: JobSetObject): number {
  return jobset.status?.restartsCountTowardsMax ?? 0;
}

/** konduktor's container status of a pod. */
export function containerStatus(pod: PodObject): Terminated | undefined {
  const statuses = pod.status?.containerStatuses ?? [];
  return statuses.find((s) => s.name === CONTAINER_NAME) ?? statuses[0];
}

/** The terminated state of konduktor's container, when it has ended. */
export function terminatedOf(pod: PodObject): NonNullable<Terminated['state']>['terminated'] {
  const status = containerStatus(pod);
  return status?.state?.terminated ?? status?.lastState?.terminated;
}

/** The pod of rank `rank` in attempt `attempt`, preferring one that has ended. */
export function podOf(
  pods: readonly PodObject[],
  attempt: number,
  rank: number,
): PodObject | undefined {
  const candidates = pods.filter(
    (p) => isWorker(p) && podAttempt(p) === attempt && podRank(p) === rank,
  );
  return candidates.find((p) => terminatedOf(p) !== undefined) ?? candidates[0];
}

/**
 * The limit the kubelet enforced on a pod: the figure the script used (the annotation), lowered
 * when something injected more containers into the pod than konduktor put there.
 */
export function limitOf(jobset: JobSetObject, pod: PodObject | undefined): number {
  const declared = Number(jobset.metadata.annotations?.[ANNOTATIONS.resultLimit] ?? NaN);
  const base = Number.isInteger(declared) && declared > 0 ? declared : RESULT_LIMIT_BYTES;
  if (pod?.spec === undefined) return base;
  const actual = effectiveResultLimit(
    pod.spec.containers?.length ?? 1,
    pod.spec.initContainers?.length ?? 0,
  );
  return Math.min(base, actual);
}

/** What one pod's termination message says. */
export interface Message {
  /** The reporter's file as the script described it. */
  readonly file: ReporterFile;
  /** True when setup failed on this pod (run never ran). */
  readonly setupFailed: boolean;
}

/**
 * Decodes a termination message written by the container script (see {@link MARKERS}) into the
 * reporter's file, exactly as the local backend would have read it from disk.
 */
export function readMessage(message: string | undefined): Message {
  const text = message ?? '';
  if (text === MARKERS.setupFailed) return { file: { bytes: null }, setupFailed: true };
  if (text === MARKERS.missing) return { file: { bytes: null }, setupFailed: false };
  if (text.startsWith(MARKERS.tooLarge)) {
    const size = Number(text.slice(MARKERS.tooLarge.length).trim());
    if (Number.isInteger(size))
      return { file: { bytes: new Uint8Array(0), size }, setupFailed: false };
  }
  if (text.startsWith(MARKERS.invalidUtf8)) {
    const [sizeText = '', hex = ''] = text.slice(MARKERS.invalidUtf8.length).trim().split(':');
    const size = Number(sizeText);
    if (Number.isInteger(size) && /^(?:[0-9a-f]{2})*$/.test(hex)) {
      const head = Buffer.from(hex, 'hex');
      // The head the decoder quotes comes from these bytes; when the file was longer, a byte that
      // is never valid UTF-8 keeps the rest "invalid" whatever the head holds.
      const bytes = size > INVALID_HEAD_BYTES ? Buffer.concat([head, Buffer.from([0xff])]) : head;
      return { file: { bytes, size }, setupFailed: false };
    }
  }
  if (text.startsWith(MARKERS.notAFile)) {
    const found = foundOf(text.slice(MARKERS.notAFile.length).replace(/\n$/, ''));
    if (found !== undefined) return { file: { bytes: null, found }, setupFailed: false };
  }
  return { file: { bytes: Buffer.from(text, 'utf8') }, setupFailed: false };
}

const FOUND_KINDS: ReadonlySet<string> = new Set<FoundInstead['kind']>([
  'directory',
  'fifo',
  'socket',
  'character-device',
  'block-device',
  'other',
  'dangling-link',
  'link-loop',
  'unreadable',
]);

/** `<kind>:<hex of the link target>:<error text>` from the not-a-file marker. */
function foundOf(fields: string): FoundInstead | undefined {
  const [kind = '', hex = '', ...rest] = fields.split(':');
  if (!FOUND_KINDS.has(kind) || !/^(?:[0-9a-f]{2})*$/.test(hex)) return undefined;
  const error = rest.join(':');
  return {
    kind: kind as FoundInstead['kind'],
    ...(hex === '' ? {} : { link: Buffer.from(hex, 'hex').toString('utf8') }),
    ...(error === '' ? {} : { error }),
  };
}

function time(value: string | Date | undefined): number {
  return value === undefined ? Number.POSITIVE_INFINITY : new Date(value).getTime();
}

/**
 * The pod whose failure failed the attempt: an ended, non-zero pod of the attempt, preferring
 * pods nobody deleted (the Job controller deletes the others once one fails), then the earliest
 * end, then an exit that was not a signal (the victims are killed).
 */
export function failingPod(pods: readonly PodObject[], attempt: number): PodObject | undefined {
  const failed = pods.filter((p) => {
    if (!isWorker(p) || podAttempt(p) !== attempt) return false;
    const t = terminatedOf(p);
    return t !== undefined ? t.exitCode !== 0 : p.status?.phase === 'Failed';
  });
  const score = (p: PodObject): [number, number, number] => {
    const t = terminatedOf(p);
    return [
      p.metadata?.deletionTimestamp === undefined ? 0 : 1,
      time(t?.finishedAt),
      t !== undefined && t.exitCode > 128 ? 1 : 0,
    ];
  };
  return failed.sort((a, b) => {
    const [a0, a1, a2] = score(a);
    const [b0, b1, b2] = score(b);
    return a0 - b0 || a1 - b1 || a2 - b2 || podRank(a) - podRank(b);
  })[0];
}

/** How a pod's failure reads, with the facts a {@link JobFailure} needs (log tail added later). */
export function describeFailure(pod: PodObject, attempt: number): Omit<JobFailure, 'logTail'> {
  const rank = podRank(pod);
  const t = terminatedOf(pod);
  const phase = readMessage(t?.message).setupFailed ? 'setup' : 'run';
  if (t === undefined) {
    return {
      reason: `rank ${rank} failed in attempt ${attempt} (pod ${pod.metadata?.name ?? '?'})`,
      rank,
      attempt,
    };
  }
  const signal = signalOfExitCode(t.exitCode);
  const how =
    t.reason === 'OOMKilled'
      ? `was killed for using more memory than its limit (OOMKilled, exit code ${t.exitCode})`
      : signal === undefined
        ? `exited with code ${t.exitCode}`
        : `was killed by ${signal} (exit code ${t.exitCode})`;
  return {
    reason: `${phase} of rank ${rank} ${how} in attempt ${attempt}`,
    rank,
    phase,
    exitCode: t.exitCode,
    ...(signal === undefined ? {} : { signal }),
    attempt,
  };
}

/** How many nodes the JobSet runs (the `workers` Job's parallelism). */
export function numNodesOf(jobset: JobSetObject): number {
  return jobset.spec?.replicatedJobs?.[0]?.template?.spec?.parallelism ?? 1;
}

/** `failurePolicy.maxRestarts` of the JobSet (0 when absent). */
function maxRestartsOf(jobset: JobSetObject): number {
  return jobset.spec?.failurePolicy?.maxRestarts ?? 0;
}

/**
 * The JobSet's terminal state, or the one it is bound to reach, decided from the pods: every
 * node of the final attempt exited 0 (`Completed`), or a node failed in an attempt with no restart
 * left (`Failed`). The Job and JobSet controllers take seconds to say so themselves (pod status →
 * Job condition → JobSet condition); the pods already know, and konduktor's JobSets have no other
 * success or failure rule.
 */
export function settledState(
  jobset: JobSetObject,
  pods: readonly PodObject[],
): 'Completed' | 'Failed' | undefined {
  const declared = jobset.status?.terminalState;
  if (declared === 'Completed' || declared === 'Failed') return declared;
  if (jobset.spec?.suspend === true) return undefined;
  const attempt = jobSetAttempt(jobset);
  if (restartsUsed(jobset) >= maxRestartsOf(jobset) && failingPod(pods, attempt) !== undefined)
    return 'Failed';
  const succeeded = new Set<number>();
  for (const pod of pods) {
    if (!isWorker(pod) || podAttempt(pod) !== attempt) continue;
    if (terminatedOf(pod)?.exitCode === 0) succeeded.add(podRank(pod));
  }
  return succeeded.size >= numNodesOf(jobset) ? 'Completed' : undefined;
}

/** The facts of a terminal JobSet's end; `logTail` fills the failing rank's last log lines. */
export function jobEndOf(
  jobset: JobSetObject,
  pods: readonly PodObject[],
  logTail: readonly string[] = [],
): JobEnd {
  const attempt = jobSetAttempt(jobset);
  if (settledState(jobset, pods) === 'Completed') return { status: 'succeeded', attempt };
  const restarts = attempt > 0 ? ` (after ${attempt} restart${attempt === 1 ? '' : 's'})` : '';
  const pod = failingPod(pods, attempt);
  if (pod !== undefined) {
    const failure = describeFailure(pod, attempt);
    return { status: 'failed', ...failure, reason: `${failure.reason}${restarts}`, logTail };
  }
  const condition = jobset.status?.conditions?.find(
    (c) => c.type === 'Failed' && c.status === 'True',
  );
  const why = condition?.message ?? condition?.reason ?? 'the JobSet failed';
  return { status: 'failed', reason: `${why}${restarts}`, attempt, logTail };
}

/**
 * The outcome of a terminal JobSet from its pods: rank 0's message of the final attempt, classified
 * by the shared decoder with the pod's effective limit.
 */
export function outcomeOf(
  jobset: JobSetObject,
  pods: readonly PodObject[],
  logTail: readonly string[] = [],
): Outcome {
  const end = jobEndOf(jobset, pods, logTail);
  const reporter = podOf(pods, jobSetAttempt(jobset), 0);
  const terminated = reporter === undefined ? undefined : terminatedOf(reporter);
  if (end.status === 'succeeded' && terminated === undefined) {
    return {
      kind: 'failed',
      reason:
        'the job succeeded, but its rank 0 pod was deleted before any konduktor process read the result; ' +
        'run `konduktor recorder` in the cluster to record outcomes without a client (docs/kubernetes.md)',
      attempt: end.attempt,
      logTail: [],
    };
  }
  const limit = limitOf(jobset, reporter);
  const message = readMessage(terminated?.message);
  let file = message.file;
  // Sidecars injected by the cluster lower the kubelet's cut below the script's: a message that
  // fills the lower limit was cut, so its true size is unknown but over it.
  if (
    file.bytes !== null &&
    file.size === undefined &&
    limit < RESULT_LIMIT_BYTES &&
    file.bytes.length >= limit
  )
    file = { bytes: file.bytes, size: limit + 1 };
  return classifyOutcome(end, file, limit);
}
