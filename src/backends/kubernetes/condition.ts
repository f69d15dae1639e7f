/**
 * The `KonduktorResult` condition: a terminal job's outcome, persisted on the JobSet's status so
 * that it outlives the pods. Reason = the outcome in the Python original's CamelCase vocabulary
 * ({@link REASONS}), message = the outcome as JSON. Written through the status subresource with the
 * object's resourceVersion, so of several processes that see the end at once exactly one writes
 * and the others adopt what it wrote.
 *
 * Read back: konduktor's own message (whatever its reason: records written before the reasons
 * became CamelCase said `value`, `no_result`, …), else the original controller's message formats
 * (`original-condition.ts`), so a JobSet launched by the original can be read too.
 * @module
 */
import { isFinalMetrics, type Outcome, type OutcomeKind } from '../../result/outcome.js';
import { LABELS } from './manifests.js';
import { ORIGINAL_MANAGED_LABEL, originalOutcome } from './original-condition.js';
import type { ConditionObject, JobSetObject } from './types.js';

/** The condition type. */
export const CONDITION_TYPE = 'KonduktorResult';

/** The CRD caps a condition message at 32768 characters; stay well under it. */
const MESSAGE_MAX = 30_000;

/**
 * The condition's reason for each outcome kind: the original's set (`Succeeded`, `Failed`,
 * `ResultTooLarge`, `MalformedResult`) plus `NoResult`, CamelCase as the API conventions ask.
 */
export const REASONS: Readonly<Record<OutcomeKind, string>> = {
  value: 'Succeeded',
  no_result: 'NoResult',
  malformed: 'MalformedResult',
  too_large: 'ResultTooLarge',
  failed: 'Failed',
};

const KINDS: ReadonlySet<string> = new Set(Object.keys(REASONS));

/**
 * What the condition records: the outcome, and when the job's pods started and ended, so that both
 * outlive the pods. `endedAt` is always written; `startedAt` is absent for a job that never ran.
 * Records written before the times were kept have neither.
 */
export interface JobRecord {
  readonly outcome: Outcome;
  readonly startedAt?: Date;
  readonly endedAt?: Date;
}

function dateField(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** konduktor's own message: the outcome as JSON with its `kind`, and the times. */
function readOwnMessage(message: string): JobRecord | undefined {
  try {
    const parsed = JSON.parse(message) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    const { startedAt, endedAt, finalMetrics, ...rest } = parsed as Outcome & {
      startedAt?: unknown;
      endedAt?: unknown;
      finalMetrics?: unknown;
    };
    // Anyone who may write the JobSet's status may write this: metrics of the wrong shape are
    // left out rather than handed on.
    const outcome = (isFinalMetrics(finalMetrics) ? { ...rest, finalMetrics } : rest) as Outcome;
    if (!KINDS.has(outcome.kind) || typeof outcome.attempt !== 'number') return undefined;
    const started = dateField(startedAt);
    const ended = dateField(endedAt);
    return {
      outcome,
      ...(started === undefined ? {} : { startedAt: started }),
      ...(ended === undefined ? {} : { endedAt: ended }),
    };
  } catch {
    return undefined;
  }
}

/**
 * The record of a JobSet, or `undefined` when none was written yet (or it is unreadable). A
 * JobSet the original launched (its label, not konduktor's) is read in the original's formats
 * only: there a user's value may look like konduktor's message.
 */
export function readRecord(jobset: JobSetObject): JobRecord | undefined {
  const condition = jobset.status?.conditions?.find((c) => c.type === CONDITION_TYPE);
  if (condition?.message === undefined) return undefined;
  const labels = jobset.metadata.labels ?? {};
  const byOriginal = labels[ORIGINAL_MANAGED_LABEL] === 'true' && labels[LABELS.managed] !== 'true';
  const own = byOriginal ? undefined : readOwnMessage(condition.message);
  if (own !== undefined) return own;
  const outcome = originalOutcome(
    condition.reason,
    condition.message,
    jobset.status?.restarts ?? 0,
  );
  return outcome === undefined ? undefined : { outcome };
}

/** The recorded outcome of a JobSet, or `undefined` when none was recorded yet (or it is unreadable). */
export function readCondition(jobset: JobSetObject): Outcome | undefined {
  return readRecord(jobset)?.outcome;
}

/** An outcome small enough for a condition message: the log tail is shortened first. */
export function fitOutcome(outcome: Outcome): Outcome {
  if (
    JSON.stringify(outcome).length <= MESSAGE_MAX ||
    (outcome.kind !== 'failed' && outcome.kind !== 'no_result') ||
    outcome.logTail === undefined
  )
    return outcome;
  let tail = outcome.logTail.map((line) => (line.length > 500 ? `${line.slice(0, 500)}…` : line));
  let fitted: Outcome = { ...outcome, logTail: tail };
  while (JSON.stringify(fitted).length > MESSAGE_MAX && tail.length > 0) {
    tail = tail.slice(1);
    fitted = { ...outcome, logTail: tail };
  }
  return fitted;
}

/** The condition for a record: the outcome as JSON, with the times in milliseconds. */
export function conditionFor(record: JobRecord, now: Date = new Date()): ConditionObject {
  return {
    type: CONDITION_TYPE,
    status: 'True',
    reason: REASONS[record.outcome.kind],
    message: JSON.stringify({
      ...fitOutcome(record.outcome),
      ...(record.startedAt === undefined ? {} : { startedAt: record.startedAt.toISOString() }),
      ...(record.endedAt === undefined ? {} : { endedAt: record.endedAt.toISOString() }),
    }),
    // metav1.Time has a resolution of seconds.
    lastTransitionTime: `${now.toISOString().slice(0, 19)}Z`,
  };
}

/** The JobSet with the condition added (a new object; the input is not changed). */
export function withCondition(jobset: JobSetObject, record: JobRecord): JobSetObject {
  const conditions = (jobset.status?.conditions ?? []).filter((c) => c.type !== CONDITION_TYPE);
  return {
    ...jobset,
    status: { ...jobset.status, conditions: [...conditions, conditionFor(record)] },
  };
}
