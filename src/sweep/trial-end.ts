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
import { describeFound } from '../result/decode.js';
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
  if (error instanceof JobFailedError) {
    const last = error.logTail.at(-1);
    return {
      state: 'failed',
      errorCode: error.code,
      reason: `job failed: ${error.reason}${last === undefined ? '' : ` (last log line: ${last.slice(0, 200)})`}`,
    };
  }
  if (error instanceof NoResultReportedError) {
    return {
      state: 'failed',
      errorCode: error.code,
      reason: `no result reported (result.json ${error.found === undefined ? error.detail : `is ${describeFound(error.found)}`})`,
    };
  }
  if (error instanceof MalformedResultError) {
    return {
      state: 'failed',
      errorCode: error.code,
      reason: `malformed result: ${error.parseError}`,
    };
  }
  if (error instanceof ResultTooLargeError) {
    return {
      state: 'failed',
      errorCode: error.code,
      reason: `result too large: ${error.size} bytes, limit ${error.limit}`,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    state: 'failed',
    errorCode: isKonduktorError(error) ? error.code : 'ERROR',
    reason: message,
  };
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
