/**
 * Faults on the local backend: 100 jobs under `kill -9` of their ranks, their supervisor and the
 * processes that launched them, at random (seeded) moments. Every job must end terminal with the
 * outcome its fault implies, carry its own result (each job writes its name and id), leave no
 * process behind, and the store must pass `PRAGMA integrity_check`.
 *
 * Replay a failure with KONDUKTOR_FAULT_SEED=<seed> (printed at the start).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { TerminalJobInfo } from '../../src/backends/backend.js';
import { LocalBackend } from '../../src/backends/local/local-backend.js';
import { liveGroups, processStartTime } from '../../src/backends/local/processes.js';
import type { TaskSpec } from '../../src/task/types.js';
import { stringify } from 'yaml';
import { CLI } from '../support/cli.js';
import { mulberry32, sleep, waitFor } from './support.js';
import { recordedSupervisor } from '../support/processes.js';
import { removeHome } from '../support/common.js';

const JOBS = 100;
/** Jobs in flight at once (each is a supervisor, 1–2 ranks and a sleep): the machine is shared. */
const PARALLEL = 6;
const seed = Number(process.env['KONDUKTOR_FAULT_SEED'] ?? Date.now() % 2 ** 31);
process.stderr.write(`faults seed: ${seed} (KONDUKTOR_FAULT_SEED=${seed} to replay)\n`);
const random = mulberry32(seed);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

type Fault =
  'none' | 'rank' | 'rank-with-restart' | 'supervisor' | 'launcher-wait' | 'launcher-follow';
const FAULTS: readonly Fault[] = [
  'none',
  'rank',
  'rank',
  'rank-with-restart',
  'supervisor',
  'supervisor',
  'launcher-wait',
  'launcher-follow',
];

/** Rank 0 writes its job's name and id, after sleeping `SLEEP` seconds in attempt 0 only. */
const RUN = [
  'if [ "$RESTART_ATTEMPT" = 0 ]; then sleep "$SLEEP"; fi',
  `printf '{"job": "%s", "id": "%s", "attempt": %s, "rank": %s}\\n' "$KONDUKTOR_JOB_NAME" "$ID" "$RESTART_ATTEMPT" "$RANK" > "$KONDUKTOR_OUTPUT_DIR/result.json"`,
].join('\n');

interface Plan {
  readonly id: string;
  readonly fault: Fault;
  readonly numNodes: number;
  readonly sleepS: number;
  /** When the fault strikes, in ms after the ranks are up (or after the launcher started). */
  readonly atMs: number;
}

interface Checked {
  readonly plan: Plan;
  /** What actually happened: a kill can find its target gone (then the job must be unaffected). */
  readonly struck:
    | 'rank'
    | 'supervisor'
    | 'launcher-before-job'
    | 'launcher-before-start'
    | 'launcher'
    | 'nothing';
  readonly name?: string;
  readonly killedRank?: number;
  /** For a launcher killed before recording the start: whether the supervisor ran anyway. */
  readonly supervisorSpawned?: boolean;
}

const dir = mkdtempSync(join(tmpdir(), 'konduktor-faults-'));
const home = join(dir, 'home');
after(() => {
  removeHome(dir);
});

function specOf(plan: Plan): TaskSpec {
  return {
    name: 'fault',
    run: RUN,
    envs: { ID: plan.id, SLEEP: plan.sleepS.toFixed(2) },
    numNodes: plan.numNodes,
    fileMounts: {},
    resources: {
      cpus: 0.1,
      memory: 0.1,
      labels: {},
      maxRestarts: plan.fault === 'rank-with-restart' ? 1 : 0,
    },
  };
}

function readDb<T>(query: (db: Database.Database) => T): T {
  const db = new Database(join(home, 'state.db'), { readonly: true, timeout: 10_000 });
  try {
    return query(db);
  } finally {
    db.close();
  }
}

function supervisorPid(name: string): number {
  const supervisor = recordedSupervisor(home, name);
  assert.ok(supervisor !== undefined, `${name} has no supervisor pid`);
  return supervisor.pid;
}

/** The rank pids of attempt 0, once the supervisor wrote them. */
async function rankPids(name: string): Promise<number[]> {
  const file = join(home, 'jobs', name, 'attempt-0', 'pids');
  let pids: number[] = [];
  await waitFor(
    `the ranks of ${name}`,
    () => {
      try {
        const text = readFileSync(file, 'utf8');
        if (!text.endsWith('\n')) return false;
        pids = text.trim().split(' ').map(Number);
        return true;
      } catch {
        return false;
      }
    },
    30_000,
    25,
  );
  return pids;
}

/**
 * SIGKILL to `pid` if it is still the process that started at `start` (not a zombie, and not a
 * later process that reused the pid: other test files run beside this one); true when sent.
 */
function killIfAlive(pid: number, start: string | undefined): boolean {
  if (start === undefined || processStartTime(pid) !== start) return false;
  try {
    process.kill(pid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}

/** The job launched with `id`, found through its spec (a launcher killed early may have made none). */
function jobOfId(id: string): string | undefined {
  const rows = readDb(
    (db) => db.prepare('SELECT name, spec FROM jobs').all() as { name: string; spec: string }[],
  );
  return rows.find((row) => (JSON.parse(row.spec) as TaskSpec).envs['ID'] === id)?.name;
}

async function inProcess(backend: LocalBackend, plan: Plan): Promise<Checked> {
  const name = await backend.submit(specOf(plan));
  if (plan.fault === 'none') return { plan, struck: 'nothing', name };
  const pids = await rankPids(name);
  // Who they are now, before waiting: by the time of the kill a pid may belong to another process.
  const rankStarts = new Map(pids.map((pid) => [pid, processStartTime(pid)] as const));
  await sleep(plan.atMs);
  if (plan.fault === 'supervisor') {
    const pid = supervisorPid(name);
    return {
      plan,
      struck: killIfAlive(pid, recordedSupervisor(home, name)?.start) ? 'supervisor' : 'nothing',
      name,
    };
  }
  const rank = Math.floor(random() * pids.length);
  return killIfAlive(pids[rank]!, rankStarts.get(pids[rank]!))
    ? { plan, struck: 'rank', name, killedRank: rank }
    : { plan, struck: 'nothing', name };
}

async function throughLauncher(plan: Plan): Promise<Checked> {
  const task = join(dir, 'task.yaml');
  const args = ['launch', '-y', ...(plan.fault === 'launcher-wait' ? ['--wait'] : []), task];
  const child = spawn(
    process.execPath,
    [CLI, ...args, '--env', `ID=${plan.id}`, '--env', `SLEEP=${plan.sleepS.toFixed(2)}`],
    {
      env: { ...process.env, KONDUKTOR_HOME: home, NO_COLOR: '1' },
      stdio: 'ignore',
    },
  );
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await Promise.race([sleep(plan.atMs), exited]);
  const struck = child.kill('SIGKILL') && child.exitCode === null;
  await exited;
  const name = jobOfId(plan.id);
  if (name === undefined) return { plan, struck: 'launcher-before-job' };
  // Killed after recording the job and before starting its supervisor: the job stays PENDING
  // until the orphan timeout (60 s) fails it.
  if (recordedSupervisor(home, name) === undefined) {
    // The supervisor records itself first thing.
    await sleep(1000);
    const supervisorSpawned = existsSync(join(home, 'jobs', name, 'supervisor'));
    return { plan, struck: 'launcher-before-start', name, supervisorSpawned };
  }
  return { plan, struck: struck ? 'launcher' : 'nothing', name };
}

/** Asserts the recorded outcome is the one the fault implies. */
function assertOutcome(checked: Checked, info: TerminalJobInfo): void {
  const { plan, name } = checked;
  const what = `${name ?? '?'} (${plan.id}, fault ${plan.fault}, struck ${checked.struck})`;
  const { outcome } = info;
  const succeeded = (attempt: number): void => {
    assert.equal(info.status, 'SUCCEEDED', `${what}: ${info.reason ?? ''}`);
    assert.equal(outcome.kind, 'value', what);
    if (outcome.kind !== 'value') return;
    // Its own result, never another job's, from the final attempt, written by rank 0.
    assert.deepEqual(JSON.parse(outcome.text), { job: name, id: plan.id, attempt, rank: 0 }, what);
    assert.equal(outcome.attempt, attempt, what);
  };
  switch (checked.struck) {
    case 'nothing':
    case 'launcher':
      succeeded(0);
      return;
    case 'rank':
      if (plan.fault === 'rank-with-restart') {
        succeeded(1);
        return;
      }
      assert.equal(info.status, 'FAILED', what);
      assert.equal(outcome.kind, 'failed', what);
      if (outcome.kind !== 'failed') return;
      assert.equal(outcome.signal, 'SIGKILL', `${what}: ${outcome.reason}`);
      assert.equal(outcome.exitCode, 137, what);
      assert.equal(outcome.rank, checked.killedRank, what);
      assert.equal(outcome.attempt, 0, what);
      assert.match(outcome.reason, /killed by SIGKILL/, what);
      return;
    case 'supervisor':
      assert.equal(info.status, 'FAILED', what);
      assert.equal(outcome.kind, 'failed', what);
      assert.match(
        info.reason ?? '',
        /supervising process \(pid \d+\) exited without recording an outcome/,
        what,
      );
      return;
    case 'launcher-before-start':
      // The launcher died after recording the job: the job is whole and queued, so whoever admits
      // next (another launcher, a wait, the agent) starts it, and it succeeds. Or the supervisor
      // was already spawned and the job runs unrecorded: it must still succeed.
      succeeded(0);
      return;
    case 'launcher-before-job':
      assert.fail(`${what}: no job to check`);
  }
}

describe('faults on the local backend', () => {
  it(
    `${JOBS} jobs under kill -9 of ranks, supervisors and launchers`,
    { timeout: 600_000 },
    async () => {
      const backend = new LocalBackend({ home, graceMs: 1000 });
      writeFileSync(
        join(dir, 'task.yaml'),
        stringify({ name: 'fault', run: RUN, resources: { cpus: 0.1, memory: 0.1 } }),
      );
      const plans: Plan[] = Array.from({ length: JOBS }, (_, i) => {
        const fault = pick(FAULTS);
        const launcher = fault.startsWith('launcher');
        const sleepS = 1 + random() * 1.5;
        return {
          id: `job-${i}-${Math.floor(random() * 1e9).toString(36)}`,
          fault,
          numNodes: launcher ? 1 : pick([1, 1, 2]),
          sleepS,
          // Ranks/supervisor: while rank 0 sleeps (its sleep ends ≥ 1 s after the ranks are up).
          // Launchers: anywhere from Node's start-up to well after the job started.
          atMs: launcher ? random() * 2500 : random() * (sleepS * 1000 - 600),
        };
      });
      const checked: Checked[] = [];
      const ended = new Map<string, TerminalJobInfo>();
      const supervisors = new Map<string, number>();
      try {
        const queue = [...plans];
        const worker = async (): Promise<void> => {
          for (let plan = queue.shift(); plan !== undefined; plan = queue.shift()) {
            const result = plan.fault.startsWith('launcher')
              ? await throughLauncher(plan)
              : await inProcess(backend, plan);
            checked.push(result);
            if (result.name === undefined) continue;
            const pid = recordedSupervisor(home, result.name)?.pid;
            if (pid !== undefined) supervisors.set(result.name, pid);
            // A job whose launcher died between recording and starting it is failed after 60 s.
            const info = await backend.waitTerminal(result.name, {
              signal: AbortSignal.timeout(90_000),
            });
            ended.set(result.name, info);
          }
        };
        await Promise.all(Array.from({ length: PARALLEL }, worker));
      } finally {
        await backend.close();
      }

      const tally = new Map<string, number>();
      for (const c of checked) tally.set(c.struck, (tally.get(c.struck) ?? 0) + 1);
      process.stderr.write(`faults: ${JSON.stringify(Object.fromEntries(tally))}\n`);
      assert.equal(checked.length, JOBS);
      for (const c of checked) {
        if (c.name === undefined) continue;
        assertOutcome(c, ended.get(c.name)!);
      }
      // Enough faults really struck for the run to mean something.
      assert.ok((tally.get('rank') ?? 0) >= 15, 'ranks killed');
      assert.ok((tally.get('supervisor') ?? 0) >= 10, 'supervisors killed');
      assert.ok((tally.get('launcher') ?? 0) + (tally.get('launcher-before-job') ?? 0) >= 10);

      // The store: consistent, every job terminal, one row per launched job, all names distinct.
      const rows = readDb((db) => {
        assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
        return db.prepare('SELECT name, status FROM jobs').all() as {
          name: string;
          status: string;
        }[];
      });
      assert.equal(rows.length, checked.filter((c) => c.name !== undefined).length);
      for (const row of rows) assert.match(row.status, /^(SUCCEEDED|FAILED)$/, row.name);

      // Nothing left running: every job's process group is empty (stopped ranks of lost jobs too).
      await waitFor(
        'every job group to be empty',
        () => [...supervisors.values()].every((pgid) => !liveGroups([pgid]).has(pgid)),
        15_000,
        25,
      );
    },
  );
});
