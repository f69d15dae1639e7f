import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { LocalBackend } from '../../src/backends/local/local-backend.js';
import { Job } from '../../src/job/job.js';
import { JobFailedError } from '../../src/errors.js';
import { processStartTime } from '../../src/backends/local/processes.js';
import { defineConformance } from './backend-conformance.js';

const dir = mkdtempSync(join(tmpdir(), 'konduktor-conformance-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

defineConformance('local', {
  // Room for the suite's parallel and 3-node jobs whatever the machine's size.
  makeBackend: () =>
    new LocalBackend({
      home: join(dir, 'home'),
      graceMs: 2000,
      capacity: { cpus: 64, memory: 256 },
    }),
  jobTimeoutMs: 30_000,
});

describe('local backend: stopping the other ranks', () => {
  it('a failing rank stops the others with SIGTERM at once, not after the grace period', async () => {
    const backend = new LocalBackend({
      home: join(dir, 'grace'),
      graceMs: 20_000,
      capacity: { cpus: 8, memory: 16 },
    });
    try {
      const started = Date.now();
      const name = await backend.submit({
        name: 'grace',
        run: 'if [ "$RANK" = 1 ]; then sleep 0.3; exit 4; fi; sleep 300',
        envs: {},
        numNodes: 3,
        fileMounts: {},
        resources: { labels: {}, maxRestarts: 0 },
      });
      await assert.rejects(
        new Job(name, backend).result({ timeout: '15s' }),
        /rank 1 exited with code 4/,
      );
      // With a 20 s grace, anything near it means the ranks were only stopped by SIGKILL.
      assert.ok(Date.now() - started < 8000, `took ${Date.now() - started} ms`);
    } finally {
      await backend.close();
    }
  });

  it('kills a rank that ignores SIGTERM once the grace period is over', async () => {
    const backend = new LocalBackend({
      home: join(dir, 'stubborn'),
      graceMs: 1000,
      capacity: { cpus: 8, memory: 16 },
    });
    try {
      const started = Date.now();
      const name = await backend.submit({
        name: 'stubborn',
        run: `if [ "$RANK" = 1 ]; then sleep 0.3; exit 4; fi; trap '' TERM; sleep 300 & wait; wait`,
        envs: {},
        numNodes: 2,
        fileMounts: {},
        resources: { labels: {}, maxRestarts: 0 },
      });
      await assert.rejects(
        new Job(name, backend).result({ timeout: '30s' }),
        /rank 1 exited with code 4/,
      );
      const took = Date.now() - started;
      // The grace period (1 s) runs out, then SIGKILL: well before the 300 s sleep ends.
      assert.ok(took >= 1000 && took < 15_000, `took ${took} ms`);
      const pids = readFileSync(join(dir, 'stubborn', 'jobs', name, 'attempt-0', 'pids'), 'utf8');
      for (const pid of pids.trim().split(' ').map(Number)) {
        assert.equal(processStartTime(pid), undefined, `rank ${pid} still runs`);
      }
    } finally {
      await backend.close();
    }
  });

  it('reports a rank killed by a signal while the other ranks still run', async () => {
    const backend = new LocalBackend({
      home: join(dir, 'killed'),
      graceMs: 2000,
      capacity: { cpus: 8, memory: 16 },
    });
    try {
      // Rank 2 dies at once, before the supervisor waits: bash drops such a job from wait -n.
      for (let i = 0; i < 5; i += 1) {
        const name = await backend.submit({
          name: 'killed',
          run: 'if [ "$RANK" = 2 ]; then kill -KILL $$; fi; sleep 0.5',
          envs: {},
          numNodes: 3,
          fileMounts: {},
          resources: { labels: {}, maxRestarts: 0 },
        });
        await assert.rejects(
          new Job(name, backend).result({ timeout: '30s' }),
          (error: unknown) => {
            assert.ok(error instanceof JobFailedError, String(error));
            assert.equal(error.rank, 2, error.message);
            assert.equal(error.signal, 'SIGKILL', error.message);
            return true;
          },
        );
      }
    } finally {
      await backend.close();
    }
  });
});
