/**
 * Process facts for the local backend: is a recorded supervisor still the same live process, and
 * stopping process groups.
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { GRACE_MS } from './timing.js';

/**
 * The start time of a process (field 22 of /proc/PID/stat), which tells a live process from a
 * later one that reused its PID. `undefined` when the process is gone or a zombie.
 */
export function processStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: parse after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
  return fields[19];
}

/** True when `pid` is alive and is the same process that started at `startTime`. */
export function isSameProcessAlive(pid: number, startTime: string): boolean {
  return processStartTime(pid) === startTime;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * The process groups, among `pgids`, that still have a member that is not a zombie. Orphaned
 * members are reparented to PID 1, which may reap them late, so `kill(-pgid, 0)` alone would wait
 * on the dead.
 */
export function liveGroups(pgids: readonly number[]): Set<number> {
  const wanted = new Set(pgids);
  const live = new Set<number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return wanted;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pgid = Number(fields[2]);
    if (wanted.has(pgid) && fields[0] !== 'Z' && fields[0] !== 'X') live.add(pgid);
  }
  return live;
}

/** A job's process group: its id is the supervisor's pid, recorded with its start time. */
export interface JobGroup {
  readonly pgid: number;
  readonly leaderStart: string | null;
}

/**
 * True while `group` still is the job's: its leader is the recorded supervisor, or gone. Once the
 * leader and every member are gone, the kernel may hand the id to a new process that leads a group
 * of its own (another job's supervisor): that group must never be signalled.
 */
function isStillTheJobs(group: JobGroup): boolean {
  const leader = processStartTime(group.pgid);
  return leader === undefined || group.leaderStart === null || leader === group.leaderStart;
}

/**
 * SIGTERM to the job's process group, SIGKILL to what is left after `graceMs`, never to a group
 * whose id was reused by another process.
 */
export async function stopGroup(group: JobGroup, graceMs = GRACE_MS): Promise<void> {
  if (group.pgid <= 1) return;
  const signal = (name: NodeJS.Signals): void => {
    if (isStillTheJobs(group) && liveGroups([group.pgid]).size > 0) signalGroup(group.pgid, name);
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  // A process group has no exit event for a non-parent: check it at a short interval.
  while (liveGroups([group.pgid]).size > 0 && Date.now() < deadline) await sleep(25);
  signal('SIGKILL');
}

/**
 * The live processes whose environment holds `marker` (one `NAME=VALUE` entry, or its start):
 * what a job started, wherever it went, unless it replaced its environment. Processes of other
 * users are not readable and are left out.
 */
export function markedProcesses(marker: string): number[] {
  const found: number[] = [];
  const needle = Buffer.from(`\0${marker}`);
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`);
      // Each entry follows a NUL, except the first.
      const first = environ.subarray(0, needle.length - 1).equals(needle.subarray(1));
      if (!first && environ.indexOf(needle) < 0) continue;
      if (processStartTime(Number(entry)) !== undefined) found.push(Number(entry));
    } catch {
      // Gone meanwhile, or another user's.
    }
  }
  return found;
}

/**
 * Ends what is left of a job whose supervisor is gone: its process group (see {@link stopGroup})
 * and the processes that carry its `marker` in their environment though they left the group.
 * SIGTERM first, SIGKILL to what is left after `graceMs`.
 */
export async function stopJobProcesses(
  group: JobGroup,
  marker: string,
  graceMs = GRACE_MS,
): Promise<void> {
  const signalAll = (pids: readonly number[], name: NodeJS.Signals): void => {
    for (const pid of pids) {
      try {
        process.kill(pid, name);
        if (name === 'SIGTERM') process.kill(pid, 'SIGCONT');
      } catch {
        // Ended meanwhile.
      }
    }
  };
  signalAll(markedProcesses(marker), 'SIGTERM');
  await stopGroup(group, graceMs);
  const deadline = Date.now() + graceMs;
  let left = markedProcesses(marker);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(25);
    left = markedProcesses(marker);
  }
  signalAll(left, 'SIGKILL');
}
