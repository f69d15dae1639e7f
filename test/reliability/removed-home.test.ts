/**
 * Nothing konduktor leaves running writes into a home that was removed: the admission agent (one
 * started before the removal and one still starting), and a job's supervisor that ends after it.
 * A test's cleanup (or a user's `rm -r`) that races such a writer fails with ENOTEMPTY, and an
 * agent that recreated a home would serve a store nobody sees.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LocalBackend } from '../../src/backends/local/local-backend.js';
import type { SupervisorKind } from '../../src/backends/local/launcher.js';
import { processStartTime } from '../../src/backends/local/processes.js';
import type { TaskSpec } from '../../src/task/types.js';
import { declareCapacity, runCli, tempHome, writeTask } from '../support/cli.js';
import { GATED, removeHome, waitFor } from '../support/common.js';
import { groupMembers, recordedAgent, recordedSupervisor } from '../support/processes.js';

/** The store's files, as a removal deletes them. */
const STORE_FILES = ['state.db', 'state.db-wal', 'state.db-shm'];

/** Generous: the machine is shared; the agent notices within a fraction of a second when idle. */
const EXIT_TIMEOUT_MS = 20_000;

function gatedSpec(gate: string): TaskSpec {
  return {
    name: 'held',
    run: GATED,
    envs: { GATE: gate },
    numNodes: 1,
    fileMounts: {},
    resources: { labels: {}, maxRestarts: 0 },
  };
}

/** True once `pid` has its home's store open: the agent is past its start. */
function holdsStore(pid: number, home: string): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(join(home, 'state.db'));
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

async function exited(what: string, process: { pid: number; start: string }): Promise<void> {
  await waitFor(
    `${what} (pid ${process.pid}) to exit`,
    () => processStartTime(process.pid) !== process.start,
    EXIT_TIMEOUT_MS,
    100,
  );
}

/**
 * Runs `check` against an agent serving a queue, then lets the held job end (before its files
 * go). The queue: two jobs through `launch -d` on a one-CPU home; the first runs until the test
 * opens its gate, the second waits, so only the agent the launcher left behind can start it (and
 * it never idles out). `check` gets the agent once it has the store open.
 */
async function withServingAgent(
  check: (home: string, dir: string, agent: { pid: number; start: string }) => Promise<void>,
): Promise<void> {
  const { home, dir, cleanup } = tempHome();
  after(cleanup);
  const gate = join(dir, 'gate');
  declareCapacity(home, '{ cpus: 1, memory: 16 }');
  const task = writeTask(dir, 'held.yaml', `name: held\nrun: ${JSON.stringify(GATED)}\n`);
  const names: string[] = [];
  for (let i = 0; i < 2; i += 1) {
    const launched = await runCli(['launch', '-d', '-y', task, '--env', `GATE=${gate}`], { home });
    assert.equal(launched.code, 0, launched.stderr);
    names.push(launched.stdout.trim());
  }
  const agent = await waitFor('an agent serving the queue', () => {
    const recorded = recordedAgent(home);
    return recorded !== undefined && holdsStore(recorded.pid, home) ? recorded : undefined;
  });
  const supervisor = recordedSupervisor(home, names[0] ?? '');
  assert.ok(supervisor !== undefined, 'the first job runs');
  try {
    await check(home, dir, agent);
  } finally {
    await release(gate, supervisor.pid);
  }
}

/** Opens the gate and waits for the held job's processes to end. */
async function release(gate: string, jobGroup: number): Promise<void> {
  writeFileSync(gate, '');
  await waitFor('the held job to end', () => groupMembers(jobGroup).length === 0, EXIT_TIMEOUT_MS);
}

describe('a removed home stays removed', () => {
  it(
    'an agent exits once its store is removed, though the home directory stays, and writes nothing more',
    { timeout: 120_000 },
    () =>
      withServingAgent(async (home, _dir, agent) => {
        for (const file of STORE_FILES) rmSync(join(home, file), { force: true });
        const left = readdirSync(home).sort();
        await exited('the agent', agent);
        assert.deepEqual(readdirSync(home).sort(), left, 'the agent wrote into the home');
      }),
  );

  it(
    'an agent whose home is removed and made anew leaves the new home alone',
    { timeout: 120_000 },
    () =>
      withServingAgent(async (home, dir, agent) => {
        // Another home, with a store of its own, takes the path at once (an agent looking only
        // for the path would never see it missing).
        const fresh = join(dir, 'fresh');
        const made = await runCli(['status'], { home: fresh });
        assert.equal(made.code, 0, made.stderr);
        removeHome(home);
        renameSync(fresh, home);
        await exited('the old agent', agent);
        assert.equal(recordedAgent(home), undefined, 'the old agent claimed the new store');
        assert.deepEqual(readdirSync(join(home, 'jobs')), [], 'the old agent started a job');
      }),
  );

  it(
    'an agent started for a home removed before it is up does not bring the home back',
    { timeout: 120_000 },
    async () => {
      const own = tempHome();
      after(own.cleanup);
      const gate = join(own.dir, 'gate');
      // In process: close() hands the queue to an agent, recorded as it is spawned, so it can be
      // held (SIGSTOP) before it has done anything, and the home removed under it for certain.
      declareCapacity(own.home, '{ cpus: 1, memory: 16 }');
      const backend = new LocalBackend({ home: own.home });
      const held = await backend.submit(gatedSpec(gate));
      await backend.submit(gatedSpec(gate));
      await backend.close();
      const agent = recordedAgent(own.home);
      assert.ok(agent !== undefined, 'closing with a job queued started an agent');
      const supervisor = recordedSupervisor(own.home, held);
      assert.ok(supervisor !== undefined, 'the first job runs');
      process.kill(agent.pid, 'SIGSTOP');
      try {
        removeHome(own.home);
      } finally {
        process.kill(agent.pid, 'SIGCONT');
      }
      try {
        await exited('the agent', agent);
        assert.ok(!existsSync(own.home), 'the agent made the removed home again');
      } finally {
        await release(gate, supervisor.pid);
      }
    },
  );

  for (const kind of ['native', 'bash'] as const satisfies readonly SupervisorKind[]) {
    it(
      `a ${kind} supervisor that ends after its event file was removed does not make it again`,
      { timeout: 120_000 },
      async () => {
        const own = tempHome();
        after(own.cleanup);
        const gate = join(own.dir, 'gate');
        const backend = new LocalBackend({ home: own.home, supervisor: kind });
        const name = await backend.submit(gatedSpec(gate));
        const info = await backend.get(name);
        assert.equal(info.status, 'RUNNING');
        await backend.close();
        const supervisor = recordedSupervisor(own.home, name);
        assert.ok(supervisor !== undefined, 'the job runs');
        const events = join(own.home, 'events');
        // As a removal of the home empties events/ while the job still runs.
        for (const file of readdirSync(events)) rmSync(join(events, file));
        writeFileSync(gate, '');
        await exited('the supervisor', supervisor);
        assert.ok(existsSync(join(own.home, 'jobs', name, 'final')), 'the job recorded its end');
        assert.deepEqual(readdirSync(events), [], 'the supervisor made an event file');
      },
    );
  }
});
