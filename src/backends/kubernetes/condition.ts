/**
 * The `KonduktorResult` condition: a terminal job's outcome, persisted on the JobSet's status so
 * that it outlives the pods. Reason = the outcome kind, message = the outcome as JSON. Written
 * through the status subresource with the object's resourceVersion, so of several processes that
 * see the end at once exactly one writes and the others adopt what it wrote.
 * @module
 */
import type { Outcome, OutcomeKind } from '../../result/outcome.js';
import type { ConditionObject, JobSetObject } from './types.js';

/** The condition type. */
export const CONDITION_TYPE = 'KonduktorResult';

/** The CRD caps a condition message at 32768 characters; stay well under it. */
const MESSAGE_MAX = 30_000;

const KINDS: ReadonlySet<OutcomeKind> = new Set([
  'value',
  'no_result',
  'malformed',
  'too_large',
  'failed',
]);

/** The recorded outcome of a JobSet, or `undefined` when none was recorded yet (or it is unreadable). */
export function readCondition(jobset: JobSetObject): Outcome | undefined {
  const condition = jobset.status?.conditions?.find((c) => c.type === CONDITION_TYPE);
  if (condition?.message === undefined) return undefined;
  try {
    const outcome = JSON.parse(condition.message) as Outcome;
    return typeof outcome === 'object' && KINDS.has(outcome.kind) ? outcome : undefined;
  } catch {
    return undefined;
  }
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

/** The condition for an outcome. */
export function conditionFor(outcome: Outcome, now: Date = new Date()): ConditionObject {
  return {
    type: CONDITION_TYPE,
    status: 'True',
    reason: outcome.kind,
    message: JSON.stringify(fitOutcome(outcome)),
    // metav1.Time has a resolution of seconds.
    lastTransitionTime: `${now.toISOString().slice(0, 19)}Z`,
  };
}

/** The JobSet with the condition added (a new object; the input is not changed). */
export function withCondition(jobset: JobSetObject, outcome: Outcome): JobSetObject {
  const conditions = (jobset.status?.conditions ?? []).filter((c) => c.type !== CONDITION_TYPE);
  return {
    ...jobset,
    status: { ...jobset.status, conditions: [...conditions, conditionFor(outcome)] },
  };
}
