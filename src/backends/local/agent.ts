/**
 * The admission agent: a small Node process that exists only while jobs wait in the local queue
 * and nobody else is around to start them (every konduktor process that submits, waits or lists
 * also admits). It wakes on job events and once a second, starts what fits, notices supervisors
 * that died, and exits once the queue is empty, or as soon as its store is removed or replaced
 * (its home deleted): it never creates a home or a store it did not find.
 * @module
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, type FSWatcher, openSync, watch } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitForWake } from '../wake.js';
import { formatFileIdentity } from './home.js';
import { isSameProcessAlive, processStartTime } from './processes.js';
import type { Store } from './store.js';
import { AGENT_DEFER_MS, AGENT_IDLE_EXIT_MS, AGENT_SEEN_MS } from './timing.js';

const ENTRY_JS = fileURLToPath(new URL('./agent-main.js', import.meta.url));
const ENTRY_TS = fileURLToPath(new URL('./agent-main.ts', import.meta.url));

/** Starts an agent for `home` unless a live one is recorded. */
export function ensureAgent(store: Store, home: string): void {
  // A burst of queued submissions asks many times a millisecond: the answer holds for a moment.
  const now = Date.now();
  if (now - (agentSeenAt.get(home) ?? -Infinity) < AGENT_SEEN_MS) return;
  const current = store.agent.current();
  if (current !== undefined && isSameProcessAlive(current.pid, current.start)) {
    agentSeenAt.set(home, now);
    return;
  }
  agentSeenAt.delete(home);
  // A home deleted meanwhile gets no agent (nor an agent.log); a live one serves this very store
  // file and exits once it is gone, never bringing it back.
  if (store.identity === undefined || !store.isPresent()) return;
  const serve = [home, formatFileIdentity(store.identity)];
  // From the sources (tests under tsx) the entry is TypeScript; installed, it is compiled.
  const compiled = existsSync(ENTRY_JS);
  const args = compiled ? [ENTRY_JS, ...serve] : ['--import', 'tsx', ENTRY_TS, ...serve];
  // Its own errors go to agent.log in the home: nobody else would see them.
  const log = openSync(join(home, 'agent.log'), 'a', 0o600);
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(process.execPath, args, {
      detached: true,
      stdio: ['ignore', log, log],
      env: process.env,
    });
  } finally {
    closeSync(log);
  }
  child.on('error', () => undefined);
  child.unref();
  // Record it at once, so a burst of submissions starts one agent, not one each.
  if (child.pid !== undefined) {
    store.agent.claim(child.pid, processStartTime(child.pid) ?? '', isSameProcessAlive);
  }
}

/** When this process last saw a live agent, per home. */
const agentSeenAt = new Map<string, number>();

/** Admissions in a row that start nothing before an eager agent defers again. */
const EAGER_IDLE_LIMIT = 3;

/** Options of {@link runAgent}. */
export interface AgentLoop {
  readonly store: Store;
  /**
   * Refreshes running jobs and starts what fits; returns how many jobs still wait or run, and how
   * many this call started.
   */
  readonly admit: () => { readonly active: number; readonly started: number };
  /** Calls the listener on any job event; returns the unsubscribe function. */
  readonly subscribe: (listener: () => void) => () => void;
  /** How long the queue must stay empty before the agent exits. @default {@link AGENT_IDLE_EXIT_MS} */
  readonly idleMs?: number;
  /** The store file the agent serves (its directory is watched for the file's removal). */
  readonly storePath: string;
  /**
   * False once the store the agent opened is gone or replaced (its home deleted, perhaps made
   * anew): there is nothing left to serve, and nothing may be written there.
   */
  readonly present: () => boolean;
}

/**
 * Calls `listener` when the store file's directory changes (the file removed, or the directory
 * itself); returns the function that stops watching. A watch that cannot be made (the directory
 * is gone) calls the listener at once.
 */
function watchStore(storePath: string, listener: () => void): () => void {
  const file = basename(storePath);
  let watcher: FSWatcher | undefined;
  try {
    // Not persistent: the agent's own wait keeps it alive. Only the store file's own name wakes
    // it (its -wal and -shm change with every transaction), and a null name (events dropped).
    watcher = watch(dirname(storePath), { persistent: false }, (_event, name) => {
      if (name === null || name === file) listener();
    });
    watcher.on('error', listener);
  } catch {
    queueMicrotask(listener);
  }
  return () => watcher?.close();
}

/** Runs the agent until no job waits or runs for a while, or another agent owns the home. */
export async function runAgent(loop: AgentLoop): Promise<void> {
  const pid = process.pid;
  const start = processStartTime(pid) ?? '';
  if (!loop.present() || !loop.store.agent.claim(pid, start, isSameProcessAlive)) return;
  let wake: () => void = () => undefined;
  const unsubscribe = loop.subscribe(() => {
    wake();
  });
  const unwatchStore = watchStore(loop.storePath, () => {
    wake();
  });
  let idleSince: number | undefined;
  // While another konduktor process serves the queue (it waits on queued jobs), two processes
  // racing for every job's end would only contend for the store. So the agent starts out deferring:
  // it looks a moment after each event, and once it finds that nobody else started what fits, it
  // is the queue's only server and acts at once, until it finds nothing left to start a few times.
  let eager = false;
  let idleAdmissions = 0;
  try {
    for (;;) {
      if (!loop.present()) return;
      const { active, started } = loop.admit();
      if (started > 0) {
        eager = true;
        idleAdmissions = 0;
      } else if (eager && ++idleAdmissions >= EAGER_IDLE_LIMIT) {
        eager = false;
      }
      if (active > 0) idleSince = undefined;
      else idleSince ??= Date.now();
      if (idleSince !== undefined && Date.now() - idleSince >= (loop.idleMs ?? AGENT_IDLE_EXIT_MS))
        return;
      // Supervisors that die have no event: look again within a second.
      const woken = await waitForWake(
        (next) => {
          wake = next;
        },
        { ms: 1000 },
      );
      if (woken && !eager) await new Promise((resolve) => setTimeout(resolve, AGENT_DEFER_MS));
    }
  } finally {
    unsubscribe();
    unwatchStore();
    // A removed store keeps nothing to release; a replaced one is another home's.
    if (loop.present()) loop.store.agent.release(pid);
  }
}
