/**
 * Faults on the local backend: a killed supervisor, many concurrent launchers.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CLI, runCli, tempHome, writeTask } from '../support/cli.js';
import { groupMembers, recordedSupervisor } from '../support/processes.js';
import { OUT } from '../support/common.js';

function supervisorPid(home: string, name: string): number {
  const supervisor = recordedSupervisor(home, name);
  assert.ok(supervisor !== undefined, `${name} has no supervisor recorded`);
  return supervisor.pid;
}

describe('a killed supervisor', () => {
  const ctx = tempHome();
  after(ctx.cleanup);

  it('ends the job FAILED with a reason within 10 s and stops its ranks', async () => {
    const task = writeTask(ctx.dir, 'long.yaml', 'name: long\nnum_nodes: 2\nrun: sleep 600\n');
    const name = (await runCli(['launch', '-d', '-y', task], { home: ctx.home })).stdout.trim();
    const pid = supervisorPid(ctx.home, name);
    // Wait until the ranks are recorded, then kill the supervisor.
    const pidsFile = join(ctx.home, 'jobs', name, 'attempt-0', 'pids');
    let groups: number[] = [];
    for (let i = 0; i < 100 && groups.length < 2; i += 1) {
      try {
        groups = readFileSync(pidsFile, 'utf8').trim().split(' ').map(Number);
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    assert.equal(groups.length, 2);
    assert.ok(
      groups.every((rank) => groupMembers(pid).includes(rank)),
      'ranks run in the job group',
    );
    process.kill(pid, 'SIGKILL');
    const killedAt = Date.now();
    const result = await runCli(['result', name, '--timeout', '10s'], { home: ctx.home });
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      /supervising process \(pid \d+\) exited without recording an outcome/,
    );
    assert.ok(Date.now() - killedAt < 10_000);
    const status = JSON.parse((await runCli(['status', '--json'], { home: ctx.home })).stdout) as {
      name: string;
      status: string;
    }[];
    assert.equal(status.find((job) => job.name === name)?.status, 'FAILED');
    // The ranks (and their sleeps) stay in the supervisor's process group after it died.
    for (let i = 0; i < 200 && groupMembers(pid).length > 0; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.deepEqual(groupMembers(pid), [], 'the unsupervised ranks were stopped');
  });
});

describe('concurrent launchers', () => {
  const ctx = tempHome();
  after(ctx.cleanup);

  it(
    '8 CLI processes launching 25 jobs each: 200 jobs, each with its own result',
    { timeout: 600_000 },
    async () => {
      const task = writeTask(
        ctx.dir,
        'echo.yaml',
        `name: conc\nrun: ${JSON.stringify(`printf '{"id": "%s", "job": "%s"}' "$ID" "$KONDUKTOR_JOB_NAME" > ${OUT}`)}\n`,
      );
      const launcher = (
        worker: number,
      ): Promise<{ code: number | null; stdout: string; stderr: string }> =>
        new Promise((resolve) => {
          // One shell loop per worker, each iteration a separate konduktor process.
          const script = `for i in $(seq 1 25); do "${process.execPath}" "${CLI}" launch -d -y "$TASK" --env "ID=w${worker}-$i" || exit 1; done`;
          const child = spawn('bash', ['-c', script], {
            env: { ...process.env, KONDUKTOR_HOME: ctx.home, TASK: task, NO_COLOR: '1' },
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let stdout = '';
          let stderr = '';
          child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
          child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
          child.on('close', (code) => resolve({ code, stdout, stderr }));
        });
      const runs = await Promise.all(Array.from({ length: 8 }, (_, w) => launcher(w)));
      for (const run of runs) assert.equal(run.code, 0, run.stderr);
      const names = runs.flatMap((run) => run.stdout.trim().split('\n'));
      assert.equal(names.length, 200);
      assert.equal(new Set(names).size, 200);
      const { LocalBackend } = await import('../../src/backends/local/local-backend.js');
      const { Job } = await import('../../src/job/job.js');
      const backend = new LocalBackend({ home: ctx.home });
      try {
        const values = await Promise.all(
          names.map((name) =>
            new Job(name, backend).result<{ id: string; job: string }>({ timeout: '120s' }),
          ),
        );
        const ids = new Set<string>();
        values.forEach((value, i) => {
          assert.equal(value.job, names[i]);
          ids.add(value.id);
        });
        assert.equal(ids.size, 200);
        assert.equal(backend.integrityCheck(), 'ok');
      } finally {
        await backend.close();
      }
      for (const run of runs) assert.doesNotMatch(run.stderr, /SQLITE|database is locked|error/i);
    },
  );
});
