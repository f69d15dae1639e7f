/**
 * Process facts for the local backend: is a recorded supervisor still the same live process, and
 * stopping process groups.
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

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

/**
 * SIGTERM to every process group, SIGKILL to those left after `graceMs`.
 */
export async function stopGroups(pgids: readonly number[], graceMs = 5000): Promise<void> {
  const targets = pgids.filter((pgid) => pgid > 1);
  for (const pgid of targets) signalGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  // A process group has no exit event for a non-parent: check it at a short interval.
  while (liveGroups(targets).size > 0 && Date.now() < deadline) await sleep(25);
  for (const pgid of targets) signalGroup(pgid, 'SIGKILL');
}

/** Exit codes above 128 from bash mean "killed by signal N - 128". */
export function signalOfExitCode(code: number): string | undefined {
  if (code <= 128 || code > 128 + 64) return undefined;
  const number = code - 128;
  const names: Readonly<Record<number, string>> = {
    1: 'SIGHUP',
    2: 'SIGINT',
    3: 'SIGQUIT',
    4: 'SIGILL',
    6: 'SIGABRT',
    7: 'SIGBUS',
    8: 'SIGFPE',
    9: 'SIGKILL',
    10: 'SIGUSR1',
    11: 'SIGSEGV',
    12: 'SIGUSR2',
    13: 'SIGPIPE',
    14: 'SIGALRM',
    15: 'SIGTERM',
  };
  return names[number] ?? `SIG${number}`;
}
