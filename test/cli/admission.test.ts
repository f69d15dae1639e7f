/**
 * Admission on the local backend, through the CLI: GPUs handed out one job at a time, gang
 * admission, refusal of what can never fit, GPUs returned after kill -9, stop and start.
 */
import assert from 'node:assert/strict';

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { declareCapacity, runCli, tempHome, writeTask } from '../support/cli.js';
import { groupMembers, recordedAgent, recordedSupervisor } from '../support/processes.js';
import { processStartTime } from '../../src/backends/local/processes.js';
import { GATED, OUT, sleep, removeHome } from '../support/common.js';

async function statuses(
  home: string,
): Promise<{ name: string; status: string; reason: string | null }[]> {
  const result = await runCli(['status', '--json', '--all'], { home });
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as { name: string; status: string; reason: string | null }[];
}

describe('admission of GPU jobs', () => {
  const ctx = tempHome();
  after(ctx.cleanup);

  it(
    'runs 5 one-GPU jobs from separate processes at most 2 at a time, each on its own GPU',
    { timeout: 120_000 },
    async () => {
      declareCapacity(ctx.home, '{ cpus: 8, memory: 16, gpus: 2 }');
      const run =
        'start=$(date +%s%N); sleep 1.5; end=$(date +%s%N); ' +
        `printf '{"gpu": "%s", "gpus": %s, "start": %s, "end": %s}' "$CUDA_VISIBLE_DEVICES" "$NUM_GPUS_PER_NODE" "$start" "$end" > ${OUT}`;
      const task = writeTask(
        ctx.dir,
        'gpu.yaml',
        `name: gpu\nresources:\n  accelerators: T4:1\nrun: ${JSON.stringify(run)}\n`,
      );
      const launches = Array.from({ length: 5 }, () =>
        runCli(['launch', '--wait', '-y', task], { home: ctx.home, timeoutMs: 110_000 }),
      );
      let maxRunning = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          try {
            const db = new Database(join(ctx.home, 'state.db'), { readonly: true });
            try {
              const row = db
                .prepare("SELECT count(*) AS n FROM jobs WHERE status = 'RUNNING'")
                .get() as { n: number };
              maxRunning = Math.max(maxRunning, row.n);
            } finally {
              db.close();
            }
          } catch {
            // The store does not exist yet.
          }
          await sleep(50);
        }
      })();
      const results = await Promise.all(launches);
      sampling = false;
      await sampler;
      const values = results.map((result) => {
        assert.equal(result.code, 0, result.stderr);
        return JSON.parse(result.stdout) as {
          gpu: string;
          gpus: number;
          start: number;
          end: number;
        };
      });
      assert.ok(maxRunning <= 2, `saw ${maxRunning} running at once`);
      assert.ok(maxRunning >= 1);
      for (const value of values) {
        assert.ok(value.gpu === '0' || value.gpu === '1', `CUDA_VISIBLE_DEVICES=${value.gpu}`);
        assert.equal(value.gpus, 1);
      }
      // At every job's start, at most two jobs were running; overlapping jobs had distinct GPUs.
      for (const a of values) {
        const runningAtStart = values.filter((b) => b.start <= a.start && a.start < b.end);
        assert.ok(runningAtStart.length <= 2, 'more than two jobs ran at once');
        for (const b of values) {
          if (b !== a && b.start < a.end && a.start < b.end) {
            assert.notEqual(a.gpu, b.gpu, 'two running jobs shared a GPU');
          }
        }
      }
    },
  );

  it(
    'returns the GPUs of a job killed with kill -9 (processes and supervisor) within 10 s',
    { timeout: 60_000 },
    async () => {
      const ctx = tempHome();
      after(ctx.cleanup);
      declareCapacity(ctx.home, '{ cpus: 8, memory: 16, gpus: 1 }');
      const hog = writeTask(
        ctx.dir,
        'hog.yaml',
        'name: hog\nresources:\n  accelerators: T4:1\nrun: sleep 600\n',
      );
      const next = writeTask(
        ctx.dir,
        'next.yaml',
        `name: next\nresources:\n  accelerators: T4:1\nrun: echo '"got it"' > ${OUT}\n`,
      );
      const hogName = (await runCli(['launch', '-d', '-y', hog], { home: ctx.home })).stdout.trim();
      const nextName = (
        await runCli(['launch', '-d', '-y', next], { home: ctx.home })
      ).stdout.trim();
      const queued = (await statuses(ctx.home)).find((job) => job.name === nextName);
      assert.equal(queued?.status, 'PENDING');
      assert.match(queued?.reason ?? '', /queued #1: waiting for 1 GPU/);
      const pid = recordedSupervisor(ctx.home, hogName)?.pid ?? 0;
      assert.ok(pid > 0, `${hogName} has no supervisor recorded`);
      // kill -9 the whole job: every rank process and the supervisor.
      for (const member of groupMembers(pid)) process.kill(member, 'SIGKILL');
      const killedAt = Date.now();
      const result = await runCli(['result', nextName, '--timeout', '10s'], { home: ctx.home });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, '"got it"\n');
      assert.ok(Date.now() - killedAt < 10_000);
      const hogStatus = (await statuses(ctx.home)).find((job) => job.name === hogName);
      assert.equal(hogStatus?.status, 'FAILED');
    },
  );
});

describe('gang admission of CPU jobs', () => {
  const ctx = tempHome();
  after(ctx.cleanup);

  it(
    'keeps a 2-node job PENDING with its reason until both ranks fit, then starts them together',
    { timeout: 60_000 },
    async () => {
      declareCapacity(ctx.home, '{ cpus: 4, memory: 16 }');
      const first = writeTask(
        ctx.dir,
        'first.yaml',
        `name: first\nresources:\n  cpus: 2\nrun: ${JSON.stringify(`${GATED} date +%s%N > ${OUT}`)}\n`,
      );
      const gate = join(ctx.dir, 'gate-first');
      const pairRun = `date +%s%N > "$KONDUKTOR_OUTPUT_DIR/../started"; if [ "$RANK" = 0 ]; then sleep 0.5; cat "$KONDUKTOR_OUTPUT_DIR/../started" > ${OUT}; fi`;
      const pair = writeTask(
        ctx.dir,
        'pair.yaml',
        `name: pair\nnum_nodes: 2\nresources:\n  cpus: 2\nrun: ${JSON.stringify(pairRun)}\n`,
      );
      const firstName = (
        await runCli(['launch', '-d', '-y', first, '--env', `GATE=${gate}`], { home: ctx.home })
      ).stdout.trim();
      const pairName = (
        await runCli(['launch', '-d', '-y', pair], { home: ctx.home })
      ).stdout.trim();
      const pending = (await statuses(ctx.home)).find((job) => job.name === pairName);
      assert.equal(pending?.status, 'PENDING');
      assert.match(pending?.reason ?? '', /waiting for 4 CPUs \(2 free\)/);
      writeFileSync(gate, '');
      const firstEnd = Number((await runCli(['result', firstName], { home: ctx.home })).stdout);
      const result = await runCli(['result', pairName, '--timeout', '20s'], { home: ctx.home });
      assert.equal(result.code, 0, result.stderr);
      const rankStarts = [0, 1].map((rank) =>
        Number(
          readFileSync(
            join(ctx.home, 'jobs', pairName, 'attempt-0', `rank-${rank}`, 'started'),
            'utf8',
          ),
        ),
      );
      for (const start of rankStarts)
        assert.ok(start >= firstEnd, 'a rank started before the first job ended');
      assert.ok(
        Math.abs(rankStarts[0]! - rankStarts[1]!) < 1e9,
        'the ranks did not start together',
      );
    },
  );

  it('refuses a job that can never fit with exit 2 and the reason, launching nothing', async () => {
    const ctx = tempHome();
    after(ctx.cleanup);
    declareCapacity(ctx.home, '{ cpus: 4, memory: 16 }');
    const task = writeTask(
      ctx.dir,
      'huge.yaml',
      'name: huge\nnum_nodes: 3\nresources:\n  cpus: 2\nrun: "true"\n',
    );
    const before = (await statuses(ctx.home)).length;
    const result = await runCli(['launch', '-y', '--wait', task], { home: ctx.home });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /asks for 2 CPU × 3 nodes, but the local capacity is 4 CPUs/);
    assert.match(result.stderr, /local\.capacity/);
    assert.equal((await statuses(ctx.home)).length, before);
  });

  it('serves a higher priority first', { timeout: 60_000 }, async () => {
    const ctx = tempHome();
    after(ctx.cleanup);
    declareCapacity(ctx.home, '{ cpus: 1, memory: 16 }');
    const blocker = writeTask(
      ctx.dir,
      'blocker.yaml',
      `name: blocker\nrun: ${JSON.stringify(GATED)}\n`,
    );
    const gate = join(ctx.dir, 'gate-blocker');
    const low = writeTask(ctx.dir, 'low.yaml', `name: low\nrun: date +%s%N > ${OUT}\n`);
    const high = writeTask(
      ctx.dir,
      'high.yaml',
      `name: high\nresources:\n  job_config:\n    priority: 5\nrun: date +%s%N > ${OUT}\n`,
    );
    await runCli(['launch', '-d', '-y', blocker, '--env', `GATE=${gate}`], { home: ctx.home });
    const lowName = (await runCli(['launch', '-d', '-y', low], { home: ctx.home })).stdout.trim();
    const highName = (await runCli(['launch', '-d', '-y', high], { home: ctx.home })).stdout.trim();
    const queue = JSON.parse((await runCli(['queue', '--json'], { home: ctx.home })).stdout) as {
      waiting: { name: string }[];
    };
    assert.deepEqual(
      queue.waiting.map((job) => job.name),
      [highName, lowName],
    );
    writeFileSync(gate, '');
    const lowAt = Number((await runCli(['result', lowName], { home: ctx.home })).stdout);
    const highAt = Number((await runCli(['result', highName], { home: ctx.home })).stdout);
    assert.ok(highAt < lowAt, 'the higher priority ran first');
  });
});

describe('stop and start', () => {
  const ctx = tempHome();
  after(ctx.cleanup);

  it(
    'stop ends a running job and holds it; start runs it again from the start with a new attempt',
    { timeout: 60_000 },
    async () => {
      const run = `echo "run $RESTART_ATTEMPT" >> "$KONDUKTOR_OUTPUT_DIR/../../../runs"; if [ "$RESTART_ATTEMPT" = 0 ]; then sleep 600; fi; echo "{\\"attempt\\": $RESTART_ATTEMPT}" > ${OUT}`;
      const task = writeTask(
        ctx.dir,
        'resumable.yaml',
        `name: resumable\nrun: ${JSON.stringify(run)}\n`,
      );
      const name = (await runCli(['launch', '-d', '-y', task], { home: ctx.home })).stdout.trim();
      await sleep(500);
      const stopped = await runCli(['stop', name], { home: ctx.home });
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.equal((await statuses(ctx.home)).find((job) => job.name === name)?.status, 'STOPPED');
      const waiting = await runCli(['result', name, '--timeout', '1s'], { home: ctx.home });
      assert.equal(waiting.code, 124, 'a stopped job does not end');
      const started = await runCli(['start', name], { home: ctx.home });
      assert.equal(started.code, 0, started.stderr);
      const result = await runCli(['result', name, '--timeout', '20s'], { home: ctx.home });
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(JSON.parse(result.stdout), { attempt: 1 });
      const runs = readFileSync(join(ctx.home, 'jobs', name, 'runs'), 'utf8');
      assert.equal(runs, 'run 0\nrun 1\n');
    },
  );

  it('stop keeps a queued job out of the queue until start', { timeout: 60_000 }, async () => {
    const ctx = tempHome();
    after(ctx.cleanup);
    declareCapacity(ctx.home, '{ cpus: 1, memory: 16 }');
    const blocker = writeTask(
      ctx.dir,
      'block.yaml',
      `name: block\nrun: ${JSON.stringify(GATED)}\n`,
    );
    const gate = join(ctx.dir, 'gate-block');
    const waiter = writeTask(ctx.dir, 'waiter.yaml', `name: waiter\nrun: echo 7 > ${OUT}\n`);
    const blockName = (
      await runCli(['launch', '-d', '-y', blocker, '--env', `GATE=${gate}`], { home: ctx.home })
    ).stdout.trim();
    const name = (await runCli(['launch', '-d', '-y', waiter], { home: ctx.home })).stdout.trim();
    assert.equal((await runCli(['stop', name], { home: ctx.home })).code, 0);
    writeFileSync(gate, '');
    await runCli(['result', blockName], { home: ctx.home });
    await sleep(1500);
    assert.equal((await statuses(ctx.home)).find((job) => job.name === name)?.status, 'STOPPED');
    assert.equal((await runCli(['start', name], { home: ctx.home })).code, 0);
    const result = await runCli(['result', name, '--timeout', '20s'], { home: ctx.home });
    assert.equal(result.stdout, '7\n', result.stderr);
  });
});

describe('the admission agent', () => {
  const ctx = tempHome();
  after(ctx.cleanup);

  it('runs queued detached jobs after every launcher has exited', { timeout: 60_000 }, async () => {
    declareCapacity(ctx.home, '{ cpus: 1, memory: 16 }');
    // The first job holds the only CPU until the test opens its gate: the others are surely queued
    // when their launchers exit, so only the agent can start them.
    const gate = join(ctx.dir, 'gate-agent');
    const run = `${GATED} echo '"done"' > ${OUT}`;
    const task = writeTask(ctx.dir, 'queued.yaml', `name: queued\nrun: ${JSON.stringify(run)}\n`);
    const names: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      const launched = await runCli(['launch', '-d', '-y', task, '--env', `GATE=${gate}`], {
        home: ctx.home,
      });
      names.push(launched.stdout.trim());
    }
    writeFileSync(gate, '');
    // No konduktor command runs from here on (each would admit too): watch the jobs' own records.
    const finals = (): string[] =>
      names.map((name) => {
        try {
          return readFileSync(join(ctx.home, 'jobs', name, 'final'), 'utf8').split(' ')[0] ?? '';
        } catch {
          return 'not finished';
        }
      });
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && !finals().every((f) => f === 'status=succeeded')) {
      await sleep(200);
    }
    assert.deepEqual(finals(), Array(4).fill('status=succeeded'));
    assert.equal(
      readFileSync(join(ctx.home, 'agent.log'), 'utf8'),
      '',
      'the agent logged no error',
    );
    const recorded = await statuses(ctx.home);
    assert.deepEqual(
      names.map((name) => recorded.find((job) => job.name === name)?.status),
      Array(4).fill('SUCCEEDED'),
    );
  });

  it('exits when its home is deleted', { timeout: 60_000 }, async () => {
    const own = tempHome();
    after(own.cleanup);
    declareCapacity(own.home, '{ cpus: 1, memory: 16 }');
    const gate = join(own.dir, 'gate-home');
    const task = writeTask(own.dir, 'held.yaml', `name: held\nrun: ${JSON.stringify(GATED)}\n`);
    for (let i = 0; i < 2; i += 1) {
      await runCli(['launch', '-d', '-y', task, '--env', `GATE=${gate}`], { home: own.home });
    }
    const agent = recordedAgent(own.home);
    assert.ok(agent !== undefined, 'an agent is recorded for the queued job');
    const db = new Database(join(own.home, 'state.db'), { readonly: true });
    const running = db
      .prepare("SELECT supervisor_pid AS pid FROM jobs WHERE status = 'RUNNING'")
      .get() as { pid: number };
    db.close();
    assert.equal(processStartTime(agent.pid), agent.start, 'an agent runs for the queued job');
    removeHome(own.home);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && processStartTime(agent.pid) === agent.start) await sleep(100);
    const agentGone = processStartTime(agent.pid) !== agent.start;
    // Let the held job end before the gate is cleaned up with the test's directory.
    writeFileSync(gate, '');
    const jobDeadline = Date.now() + 10_000;
    while (Date.now() < jobDeadline && groupMembers(running.pid).length > 0) await sleep(100);
    assert.ok(agentGone, 'the agent outlived its home');
    assert.deepEqual(groupMembers(running.pid), [], 'the held job ended');
  });
});
