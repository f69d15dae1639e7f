/**
 * The supervisor protocol: every file name and record format konduktor and its two supervisors
 * (native/supervise.c and scripts/supervisor.sh) exchange through a job directory, in one place.
 * docs/supervisor-protocol.md describes the same protocol in prose; the golden test
 * (test/unit/supervisor-protocol.test.ts) runs both supervisors and fails when they drift apart.
 *
 * This module only names and formats; reading the files (bounded, never following what a job's
 * processes planted) is `job-dir.ts`'s concern.
 * @module
 */
import { join } from 'node:path';
import { METRICS_FILE } from '../../metrics/line.js';

/** The files of a job directory, by their role. */
export const JOB_FILES = {
  /** konduktor → supervisor: NUL-separated launch records (see {@link formatLaunch}). */
  launch: 'launch',
  /** konduktor → supervisor: line R is rank R's CUDA_VISIBLE_DEVICES (see {@link formatGpus}). */
  gpus: 'gpus',
  /** konduktor → ranks: the task's run script. */
  run: 'run.sh',
  /** konduktor → ranks: the task's setup script, when it has one. */
  setup: 'setup.sh',
  /** konduktor → ranks: the file-mount links (`relative/` is linked into scratch workdirs). */
  mounts: 'mounts',
  /** supervisor → konduktor: `PID STARTTIME STARTED_MS` (see {@link parseSupervisor}). */
  supervisor: 'supervisor',
  /** supervisor → people: what went wrong in the supervisor itself; never parsed. */
  supervisorLog: 'supervisor.log',
  /** supervisor → konduktor: the attempt it is on, from the first restart on. */
  attempt: 'attempt',
  /** supervisor → konduktor: how the job ended (see {@link parseFinal}). */
  final: 'final',
  /** konduktor → konduktor: written by `stop` before it signals; a cancel then means "held". */
  stopping: 'stopping',
} as const;

/** The files of one rank's directory (`attempt-K/rank-R/`). */
export const RANK_FILES = {
  /** The rank's stdout and stderr. */
  log: 'log',
  /** The rank's phase when the task has a setup: `setup`, `setup N` (failed), `run`. */
  exit: 'exit',
  /** `KONDUKTOR_OUTPUT_DIR`: where the rank writes result.json. */
  output: 'output',
  /** The rank's working directory when the task names none. */
  work: 'work',
  /** The reporter's file inside `output`. */
  result: 'result.json',
} as const;

/** The file in `attempt-K/` listing the attempt's rank pids, space-separated, in rank order. */
export const PIDS_FILE = 'pids';

const attemptDir = (dir: string, attempt: number): string => join(dir, `attempt-${attempt}`);

/** Paths inside one job directory. */
export const jobPaths = {
  launch: (dir: string): string => join(dir, JOB_FILES.launch),
  gpus: (dir: string): string => join(dir, JOB_FILES.gpus),
  run: (dir: string): string => join(dir, JOB_FILES.run),
  setup: (dir: string): string => join(dir, JOB_FILES.setup),
  mounts: (dir: string): string => join(dir, JOB_FILES.mounts),
  supervisor: (dir: string): string => join(dir, JOB_FILES.supervisor),
  final: (dir: string): string => join(dir, JOB_FILES.final),
  attempt: (dir: string): string => join(dir, JOB_FILES.attempt),
  /** Written by `stop` before it signals the supervisor: its cancel record means "held". */
  stopping: (dir: string): string => join(dir, JOB_FILES.stopping),
  pids: (dir: string, attempt: number): string => join(attemptDir(dir, attempt), PIDS_FILE),
  rank: (dir: string, attempt: number, rank: number): string =>
    join(attemptDir(dir, attempt), `rank-${rank}`),
  log: (dir: string, attempt: number, rank: number): string =>
    join(jobPaths.rank(dir, attempt, rank), RANK_FILES.log),
  exit: (dir: string, attempt: number, rank: number): string =>
    join(jobPaths.rank(dir, attempt, rank), RANK_FILES.exit),
  output: (dir: string, attempt: number, rank: number): string =>
    join(jobPaths.rank(dir, attempt, rank), RANK_FILES.output),
  work: (dir: string, attempt: number, rank: number): string =>
    join(jobPaths.rank(dir, attempt, rank), RANK_FILES.work),
  result: (dir: string, attempt: number, rank: number): string =>
    join(jobPaths.output(dir, attempt, rank), RANK_FILES.result),
  /** Rank 0's metric lines (only rank 0's count). */
  metrics: (dir: string, attempt: number): string =>
    join(jobPaths.output(dir, attempt, 0), METRICS_FILE),
};

/** The attempt number of an `attempt-K` directory entry; undefined for any other name. */
export function attemptOfEntry(entry: string): number | undefined {
  const match = /^attempt-(\d+)$/.exec(entry);
  return match === null ? undefined : Number(match[1]);
}

/** The rank number of a `rank-R` directory entry; undefined for any other name. */
export function rankOfEntry(entry: string): number | undefined {
  const match = /^rank-(\d+)$/.exec(entry);
  return match === null ? undefined : Number(match[1]);
}

/**
 * The entry every process of a job carries in its environment (the start of its ranks'
 * `KONDUKTOR_OUTPUT_DIR`): how the job's processes are found when they left its process group.
 * Both supervisors look for the same text.
 */
export function jobMarker(dir: string): string {
  return `KONDUKTOR_OUTPUT_DIR=${join(dir, 'attempt-')}`;
}

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

/** `NAME=VALUE` words of a record line. */
function fields(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of text.trim().split(/\s+/)) {
    const eq = part.indexOf('=');
    if (eq > 0) map.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return map;
}

/** A recorded time in ms since the epoch; undefined when absent or not a time. */
function epochMs(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/**
 * Parses `final`: `status=succeeded|cancelled attempt=K ended=MS` or
 * `status=failed attempt=K rank=R wait=W ended=MS` (W: the exit code, or 128 + the signal).
 */
export function parseFinal(text: string): FinalRecord {
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

/** The line a supervisor writes as `final` for `record` (without its newline). */
export function formatFinal(record: FinalRecord): string {
  const failed = record.status === 'failed' ? ` rank=${record.rank} wait=${record.wait}` : '';
  const ended = record.endedAt === undefined ? '' : ` ended=${record.endedAt}`;
  return `status=${record.status} attempt=${record.attempt}${failed}${ended}`;
}

/** The supervisor's own record (it writes it first thing, just before it starts the ranks). */
export interface SupervisorRecord {
  readonly pid: number;
  /** Its start time as /proc/PID/stat gives it (tells it from a later process with its pid). */
  readonly start: string;
  /** When it started the job's ranks, in ms since the epoch (absent from older supervisors). */
  readonly startedAt?: number;
}

/** Parses `supervisor`: `PID STARTTIME STARTED_MS`; undefined when it is not one. */
export function parseSupervisor(text: string): SupervisorRecord | undefined {
  const [pid, start, started] = text.trim().split(' ');
  if (pid === undefined || start === undefined || !/^\d+$/.test(pid)) return undefined;
  const startedAt = epochMs(started);
  return { pid: Number(pid), start, ...(startedAt === undefined ? {} : { startedAt }) };
}

/** Parses `attempt` (a whole number); `fallback` when it is not one. */
export function parseAttempt(text: string | undefined, fallback: number): number {
  const value = Number(text?.trim() ?? fallback);
  return Number.isInteger(value) && value >= 0 ? value : fallback;
}

/** A rank's phase record: where it was when it ended, and setup's exit code when setup failed. */
export interface RankExitRecord {
  readonly phase: 'setup' | 'run';
  /** Setup's exit code (`setup N`); undefined while setup runs and once run started. */
  readonly setupExitCode?: number;
}

/** Parses a rank's `exit` record; a rank without one (no setup) can only have been in run. */
export function parseRankExit(text: string | undefined): RankExitRecord {
  const [phase, code] = text?.trim().split(' ') ?? [];
  if (phase !== 'setup') return { phase: 'run' };
  return code === undefined ? { phase } : { phase, setupExitCode: Number(code) };
}

/** The supervisor's parameters, the `p:` records of `launch`. */
export interface LaunchParameters {
  readonly numNodes: number;
  readonly maxRestarts: number;
  /** The RESTART_ATTEMPT of the first attempt. */
  readonly firstAttempt: number;
  /** The file touched to wake konduktor processes waiting on the job. */
  readonly eventFile: string;
  /** Milliseconds between SIGTERM and SIGKILL when the job's processes are ended. */
  readonly graceMs: number;
  /** The bash that runs the task's scripts (an absolute path saves a PATH search per job). */
  readonly bash: string;
  /** The umask the task's scripts run with, in octal. */
  readonly umask: string;
  /** The working directory; absent: each rank's scratch `work` directory. */
  readonly workdir?: string;
}

/**
 * The `launch` file: NUL-separated records `p:NAME=VALUE` (the supervisor's parameters),
 * `+NAME=VALUE` (a variable the ranks get on top of the launcher's environment) and `-NAME` (one
 * they must not inherit). Any value is carried as data: nothing in it is ever evaluated.
 */
export function formatLaunch(
  parameters: LaunchParameters,
  set: Readonly<Record<string, string>>,
  unset: readonly string[],
): string {
  const p = parameters;
  const records = [
    `p:num_nodes=${p.numNodes}`,
    `p:max_restarts=${p.maxRestarts}`,
    `p:first_attempt=${p.firstAttempt}`,
    `p:event_file=${p.eventFile}`,
    `p:grace_ms=${p.graceMs}`,
    `p:bash=${p.bash}`,
    `p:umask=${p.umask}`,
    ...(p.workdir === undefined ? [] : [`p:workdir=${p.workdir}`]),
    ...Object.entries(set).map(([key, value]) => `+${key}=${value}`),
    ...unset.map((key) => `-${key}`),
  ];
  return `${records.join('\0')}\0`;
}

/** The `gpus` file: one line per rank, its GPU indices comma-separated (empty: no GPU). */
export function formatGpus(gpus: readonly (readonly number[])[]): string {
  return gpus.map((rank) => `${rank.join(',')}\n`).join('');
}
