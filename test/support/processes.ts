/**
 * Process facts for tests, read from /proc and from the local store.
 */
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/** Live (non-zombie) processes whose process group is `pgid`. */
export function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') members.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return members;
}

/** A job's supervisor as the local store records it; undefined while it was never started. */
export function recordedSupervisor(
  home: string,
  name: string,
): { readonly pid: number; readonly start: string } | undefined {
  const db = new Database(join(home, 'state.db'), { readonly: true, timeout: 10_000 });
  try {
    const row = db
      .prepare('SELECT supervisor_pid AS pid, supervisor_start AS start FROM jobs WHERE name = ?')
      .get(name) as { pid: number | null; start: string | null } | undefined;
    return row?.pid == null ? undefined : { pid: row.pid, start: row.start ?? '' };
  } finally {
    db.close();
  }
}

/** The admission agent the local store records, if any. */
export function recordedAgent(
  home: string,
): { readonly pid: number; readonly start: string } | undefined {
  const db = new Database(join(home, 'state.db'), { readonly: true, timeout: 10_000 });
  try {
    return db.prepare('SELECT pid, start FROM agent WHERE id = 1').get() as
      { pid: number; start: string } | undefined;
  } finally {
    db.close();
  }
}

/**
 * True when process `pid` holds an inotify watch (an `fs.watch`) on the file or directory at
 * `path`: read from its /proc fdinfo, so a test can see that a follower is listening instead of
 * assuming it is after a pause.
 */
export function watchesPath(pid: number, path: string): boolean {
  let inode: string;
  try {
    inode = statSync(path).ino.toString(16);
  } catch {
    return false;
  }
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) !== 'anon_inode:inotify') return false;
        return readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8')
          .split('\n')
          .some((line) => line.startsWith('inotify ') && line.includes(` ino:${inode} `));
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}
