/**
 * Reading what a job's supervisor and ranks recorded in the job directory. These are facts; the
 * shared result code turns them into an outcome.
 * @module
 */
import { join } from 'node:path';
import type { JobFailure } from '../../errors.js';
import { RESULT_LIMIT_BYTES, type ReporterFile } from '../../result/decode.js';
import { classifyOutcome, type JobEnd, type Outcome } from '../../result/outcome.js';
import { readLastLines } from './log-file.js';
import { signalOfExitCode } from './processes.js';
import { readUntrusted } from './untrusted-file.js';

/**
 * The supervisor's final record. `endedAt` (ms since the epoch) is when the job's ranks ended (or
 * the cancel arrived), as the supervisor saw it; absent from supervisors that did not record it.
 */
export type FinalRecord = (
  | { readonly status: 'succeeded'; readonly attempt: number }
  | { readonly status: 'cancelled'; readonly attempt: number }
  | {
      readonly status: 'failed';
      readonly attempt: number;
      readonly rank: number;
      readonly wait: number;
    }
) & { readonly endedAt?: number };

const LOG_TAIL_LINES = 20;
/** The largest record file read; the supervisor's records are a line each. */
const RECORD_BYTES = 4096;

/** Paths inside one job directory. */
export const jobPaths = {
  final: (dir: string): string => join(dir, 'final'),
  attempt: (dir: string): string => join(dir, 'attempt'),
  /** Written by `stop` before it signals the supervisor: its cancel record means "held". */
  stopping: (dir: string): string => join(dir, 'stopping'),
  pids: (dir: string, attempt: number): string => join(dir, `attempt-${attempt}`, 'pids'),
  rank: (dir: string, attempt: number, rank: number): string =>
    join(dir, `attempt-${attempt}`, `rank-${rank}`),
  log: (dir: string, attempt: number, rank: number): string =>
    join(dir, `attempt-${attempt}`, `rank-${rank}`, 'log'),
  result: (dir: string, attempt: number, rank: number): string =>
    join(dir, `attempt-${attempt}`, `rank-${rank}`, 'output', 'result.json'),
};

/**
 * The entry every process of a job carries in its environment (the start of its ranks'
 * `KONDUKTOR_OUTPUT_DIR`): how the job's processes are found when they left its process group.
 * Both supervisors look for the same text.
 */
export function jobMarker(dir: string): string {
  return `KONDUKTOR_OUTPUT_DIR=${join(dir, 'attempt-')}`;
}

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

function fields(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of text.trim().split(/\s+/)) {
    const eq = part.indexOf('=');
    if (eq > 0) map.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return map;
}

/** The supervisor's final record, or undefined while the job has none. */
export function readFinal(dir: string): FinalRecord | undefined {
  const text = readSmall(jobPaths.final(dir));
  if (text === undefined) return undefined;
  const map = fields(text);
  const attempt = Number(map.get('attempt') ?? 0);
  const status = map.get('status');
  const ended = epochMs(map.get('ended'));
  const when = ended === undefined ? {} : { endedAt: ended };
  if (status === 'succeeded' || status === 'cancelled') return { status, attempt, ...when };
  return {
    status: 'failed',
    attempt,
    rank: Number(map.get('rank') ?? 0),
    wait: Number(map.get('wait') ?? 1),
    ...when,
  };
}

/** A recorded time in ms since the epoch; undefined when absent or not a time. */
function epochMs(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/** The supervisor's own record (it writes it first thing, just before it starts the ranks). */
export interface SupervisorRecord {
  readonly pid: number;
  /** Its start time as /proc/PID/stat gives it (tells it from a later process with its pid). */
  readonly start: string;
  /** When it started the job's ranks, in ms since the epoch (absent from older supervisors). */
  readonly startedAt?: number;
}

/** The supervisor's own record of its pid and start time (it writes it first thing). */
export function readSupervisor(dir: string): SupervisorRecord | undefined {
  const [pid, start, started] = readSmall(join(dir, 'supervisor'))?.trim().split(' ') ?? [];
  if (pid === undefined || start === undefined) return undefined;
  const startedAt = epochMs(started);
  return { pid: Number(pid), start, ...(startedAt === undefined ? {} : { startedAt }) };
}

/** The attempt the supervisor is on (`fallback` before it wrote one). */
export function readAttempt(dir: string, fallback = 0): number {
  const text = readSmall(jobPaths.attempt(dir));
  const value = Number(text?.trim() ?? fallback);
  return Number.isInteger(value) && value >= 0 ? value : fallback;
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
  const recorded = readSmall(join(jobPaths.rank(dir, attempt, rank), 'exit'))
    ?.trim()
    .split(' ');
  const phase = recorded?.[0] === 'setup' ? 'setup' : 'run';
  // "setup N" when setup failed; for run, the supervisor's wait status is the script's status.
  const exitCode = phase === 'setup' ? Number(recorded?.[1] ?? wait) : wait;
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
    const outcome = classifyOutcome(end, readReporterFile(jobPaths.result(dir, final.attempt, 0)));
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
