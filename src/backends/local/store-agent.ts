/**
 * The admission agent's record in the local store: which process (pid and start time, so a
 * reused pid is not taken for it) serves the queue of this home. At most one agent runs per home.
 * @module
 */
import type Database from 'better-sqlite3';

/** The `agent` table of the local store. */
export class AgentRecord {
  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
  }

  /** The process recorded by the running admission agent, if any. */
  current(): { pid: number; start: string } | undefined {
    return this.#db.prepare('SELECT pid, start FROM agent WHERE id = 1').get() as
      { pid: number; start: string } | undefined;
  }

  /** Records this process as the agent unless `isAlive` says the recorded one still runs. */
  claim(pid: number, start: string, isAlive: (pid: number, start: string) => boolean): boolean {
    return this.#db
      .transaction(() => {
        const current = this.current();
        if (current !== undefined && current.pid !== pid && isAlive(current.pid, current.start))
          return false;
        this.#db
          .prepare(
            'INSERT INTO agent (id, pid, start) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, start = excluded.start',
          )
          .run(pid, start);
        return true;
      })
      .immediate();
  }

  /** Removes this process's agent record. */
  release(pid: number): void {
    this.#db.prepare('DELETE FROM agent WHERE id = 1 AND pid = ?').run(pid);
  }
}
