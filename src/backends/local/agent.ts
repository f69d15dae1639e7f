/**
 * The admission agent: a small Node process that exists only while jobs wait in the local queue
 * and nobody else is around to start them (every konduktor process that submits, waits or lists
 * also admits). It wakes on job events and once a second, starts what fits, notices supervisors
 * that died, and exits once the queue is empty.
 * @module
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isSameProcessAlive, processStartTime } from './processes.js';
import type { Store } from './store.js';

const ENTRY_JS = fileURLToPath(new URL('./agent-main.js', import.meta.url));
const ENTRY_TS = fileURLToPath(new URL('./agent-main.ts', import.meta.url));

/** Starts an agent for `home` unless a live one is recorded. */
export function ensureAgent(store: Store, home: string): void {
  const current = store.agent();
  if (current !== undefined && isSameProcessAlive(current.pid, current.start)) return;
  // From the sources (tests under tsx) the entry is TypeScript; installed, it is compiled.
  const compiled = existsSync(ENTRY_JS);
  const args = compiled ? [ENTRY_JS, home] : ['--import', 'tsx', ENTRY_TS, home];
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
    store.claimAgent(child.pid, processStartTime(child.pid) ?? '', isSameProcessAlive);
  }
}

/** Options of {@link runAgent}. */
export interface AgentLoop {
  readonly store: Store;
  /** Refreshes running jobs and starts what fits; returns how many jobs still wait or run. */
  readonly admit: () => number;
  /** Calls the listener on any job event; returns the unsubscribe function. */
  readonly subscribe: (listener: () => void) => () => void;
  /** How long the queue must stay empty before the agent exits. @default 3000 */
  readonly idleMs?: number;
  /** The konduktor home: when it is deleted, there is nothing left to serve. */
  readonly home: string;
}

/** Runs the agent until no job waits or runs for a while, or another agent owns the home. */
export async function runAgent(loop: AgentLoop): Promise<void> {
  const pid = process.pid;
  const start = processStartTime(pid) ?? '';
  if (!loop.store.claimAgent(pid, start, isSameProcessAlive)) return;
  let wake: () => void = () => undefined;
  const unsubscribe = loop.subscribe(() => {
    wake();
  });
  let idleSince: number | undefined;
  try {
    for (;;) {
      if (!existsSync(loop.home)) return;
      const waiting = loop.admit();
      if (waiting > 0) idleSince = undefined;
      else idleSince ??= Date.now();
      if (idleSince !== undefined && Date.now() - idleSince >= (loop.idleMs ?? 3000)) return;
      // Supervisors that die have no event: look again within a second.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    unsubscribe();
    loop.store.releaseAgent(pid);
  }
}
