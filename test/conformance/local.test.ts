import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { LocalBackend } from '../../src/backends/local/local-backend.js';
import { Job } from '../../src/job/job.js';
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
});
