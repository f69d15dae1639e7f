/**
 * How a trial's job outcome becomes the trial's end: its objective value, or why it failed, in
 * the words the sweep's tables and files show.
 * @module
 */
import {
  isKonduktorError,
  JobFailedError,
  MalformedResultError,
  NoResultReportedError,
  ResultTooLargeError,
} from '../errors.js';
import type { Job } from '../job/job.js';
import { outcomeLine, type OutcomeFacts } from '../result/render.js';
import { readObjective } from './objective.js';
import type { TrialEnd } from './store.js';

/** The end of a trial whose job succeeded with the result document `text`. */
export function endOfResult(text: string, objective: string): TrialEnd {
  const reading = readObjective(JSON.parse(text) as unknown, objective, text);
  return reading.ok
    ? { state: 'succeeded', value: reading.value, result: text }
    : { state: 'failed', errorCode: reading.code, reason: reading.reason, result: text };
}

/** The end of a trial whose result could not be had: the error its wait raised. */
export function endOfError(error: unknown): TrialEnd {
  const facts = outcomeFactsOf(error);
  if (facts !== undefined && isKonduktorError(error)) {
    return { state: 'failed', errorCode: error.code, reason: outcomeLine(facts) };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    state: 'failed',
    errorCode: isKonduktorError(error) ? error.code : 'ERROR',
    reason: message,
  };
}

/** The outcome an outcome error reports, or undefined for any other error. */
function outcomeFactsOf(error: unknown): OutcomeFacts | undefined {
  if (error instanceof JobFailedError) {
    const { reason, rank, phase, exitCode, signal, logTail } = error;
    return {
      kind: 'failed',
      reason,
      logTail,
      ...(rank === undefined ? {} : { rank }),
      ...(phase === undefined ? {} : { phase }),
      ...(exitCode === undefined ? {} : { exitCode }),
      ...(signal === undefined ? {} : { signal }),
    };
  }
  if (error instanceof NoResultReportedError) {
    return { kind: 'no_result', detail: error.detail, found: error.found, logTail: error.logTail };
  }
  if (error instanceof MalformedResultError) {
    return { kind: 'malformed', parseError: error.parseError, head: error.head };
  }
  if (error instanceof ResultTooLargeError) {
    return { kind: 'too_large', size: error.size, limit: error.limit };
  }
  return undefined;
}

/**
 * The end of a trial whose job has ended (it must have: a running job's result is waited for),
 * read from the job: for a sweep whose driver went away before it recorded its trials.
 */
export async function endOfEndedJob(job: Job, objective: string): Promise<TrialEnd> {
  try {
    return endOfResult(await job.resultText(), objective);
  } catch (error) {
    return endOfError(error);
  }
}
