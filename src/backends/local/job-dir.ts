/**
 * Reading what a job's supervisor and ranks recorded in the job directory. These are facts; the
 * shared result code turns them into an outcome.
 * @module
 */
import type { JobFailure } from '../../errors.js';
import { RESULT_LIMIT_BYTES, type ReporterFile } from '../../result/decode.js';
import {
  classifyOutcome,
  type JobEnd,
  type Outcome,
  withFinalMetrics,
} from '../../result/outcome.js';
import { readLastLines } from './log-file.js';
import { readFinalMetrics } from './metrics.js';
import { signalOfExitCode } from '../shared/exit-status.js';
import {
  type FinalRecord,
  jobPaths,
  parseAttempt,
  parseFinal,
  parseRankExit,
  parseSupervisor,
  type SupervisorRecord,
} from './protocol.js';
import { readUntrusted } from './untrusted-file.js';

const LOG_TAIL_LINES = 20;
/** The largest record file read; the supervisor's records are a line each. */
const RECORD_BYTES = 4096;

/**
 * A small record file; undefined until it is complete (the writer ends every file with \n), and
 * when anything but a regular file stands there (the job's processes can reach these paths).
 */
function readSmall(path: string): string | undefined {
  const read = readUntrusted(path, { maxBytes: RECORD_BYTES });
  if (read.kind !== 'file') return undefined;
  const text = read.bytes.toString('utf8');
  return text.endsWith('\n') ? text : undefined;
}

/** The supervisor's final record, or undefined while the job has none. */
export function readFinal(dir: string): FinalRecord | undefined {
  const text = readSmall(jobPaths.final(dir));
  return text === undefined ? undefined : parseFinal(text);
}

/** The supervisor's own record of its pid and start time (it writes it first thing). */
export function readSupervisor(dir: string): SupervisorRecord | undefined {
  const text = readSmall(jobPaths.supervisor(dir));
  return text === undefined ? undefined : parseSupervisor(text);
}

/** The attempt the supervisor is on (`fallback` before it wrote one). */
export function readAttempt(dir: string, fallback = 0): number {
  return parseAttempt(readSmall(jobPaths.attempt(dir)), fallback);
}

/**
 * The reporter's file, reading at most `limit + 1` bytes: a hostile multi-gigabyte file costs no
 * more than a small one, and whatever else stands there (a directory, a pipe, a device, a broken
 * link, an unreadable file) is described, never read, never thrown.
 */
export function readReporterFile(path: string, limit = RESULT_LIMIT_BYTES): ReporterFile {
  const read = readUntrusted(path, { maxBytes: limit + 1 });
  switch (read.kind) {
    case 'missing':
      return { bytes: null };
    case 'found':
      return { bytes: null, found: read.found };
    case 'file':
      return { bytes: read.bytes, size: read.size };
  }
}

/**
 * The last lines of a log file as a failure message shows them (long lines shortened, progress
 * bars as last drawn); exact however large the log is or however its lines look.
 */
export function readLogTail(path: string, lines = LOG_TAIL_LINES): string[] {
  return readLastLines(path, lines);
}

/** How the failing rank ended: phase and exit code as the rank recorded them, else the wait status. */
function describeRankEnd(dir: string, attempt: number, rank: number, wait: number): JobFailure {
  const recorded = parseRankExit(readSmall(jobPaths.exit(dir, attempt, rank)));
  const phase = recorded.phase;
  // "setup N" when setup failed; for run, the supervisor's wait status is the script's status.
  const exitCode = recorded.setupExitCode ?? wait;
  const signal = signalOfExitCode(exitCode);
  const how =
    signal === undefined
      ? `exited with code ${exitCode}`
      : `was killed by ${signal} (exit code ${exitCode})`;
  // A rank records its phase only when the task has a setup: without one, it can only be run.
  const where = `${phase} of rank`;
  return {
    reason: `${where} ${rank} ${how} in attempt ${attempt}`,
    rank,
    phase,
    exitCode,
    ...(signal === undefined ? {} : { signal }),
    attempt,
    logTail: readLogTail(jobPaths.log(dir, attempt, rank)),
  };
}

/** Turns the supervisor's final record into the facts of the job's end. */
export function jobEndOf(dir: string, final: FinalRecord): JobEnd {
  switch (final.status) {
    case 'succeeded':
      return { status: 'succeeded', attempt: final.attempt };
    case 'cancelled':
      return {
        status: 'failed',
        reason: 'the job was cancelled',
        attempt: final.attempt,
        logTail: [],
      };
    case 'failed': {
      const failure = describeRankEnd(dir, final.attempt, final.rank, final.wait);
      const restarts =
        final.attempt > 0
          ? ` (after ${final.attempt} restart${final.attempt === 1 ? '' : 's'})`
          : '';
      return { status: 'failed', ...failure, reason: `${failure.reason}${restarts}` };
    }
  }
}

/**
 * The facts of a finished job's end and its outcome, read from its directory: rank 0's result of
 * the final attempt, and rank 0's log tail when it reported none (a command that failed inside a
 * pipeline, `train | tee log`, exits 0 without a result; its last lines say why). Never throws:
 * reading one job's files can only decide that job's outcome.
 */
export function readOutcome(dir: string, final: FinalRecord): { end: JobEnd; outcome: Outcome } {
  try {
    const end = jobEndOf(dir, final);
    const outcome: Outcome = {
      ...classifyOutcome(end, readReporterFile(jobPaths.result(dir, final.attempt, 0))),
      ...withFinalMetrics(readFinalMetrics(dir, final.attempt)),
    };
    if (outcome.kind !== 'no_result') return { end, outcome };
    const logTail = readLogTail(jobPaths.log(dir, final.attempt, 0));
    return { end, outcome: logTail.length === 0 ? outcome : { ...outcome, logTail } };
  } catch (error) {
    // The readers describe what they find instead of throwing; this is the guard for the rest.
    const reason = `konduktor could not read the job's records: ${error instanceof Error ? error.message : String(error)}`;
    const failure = { reason, attempt: final.attempt, logTail: [] };
    return { end: { status: 'failed', ...failure }, outcome: { kind: 'failed', ...failure } };
  }
}
