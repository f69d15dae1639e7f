// A pod deleted the instant it ends, before the kubelet has posted its phase Succeeded, was counted
// failed by the Job controller (it counts a deleted pod that is not Succeeded as failed unless the
// Job waits for terminal phases), so the JobSet turned Failed although the job succeeded and
// konduktor recorded SUCCEEDED. konduktor's Jobs set `podReplacementPolicy: Failed`: the Job
// controller then waits for the deleted pod's terminal phase, which the kubelet posts as Succeeded.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Backend } from '../../src/backends/backend.js';
import type { TaskSpec } from '../../src/task/types.js';
import { OUT } from '../support/common.js';
import { type Cluster, waitForTerminalJobSet, withNamespace, WORKLOAD_IMAGE } from './cluster.js';
import { deleteRank0WhenItEnds } from './durable.js';

void describe('a pod deleted the instant it ends', () => {
  let cluster: Cluster;
  let namespace = '';
  let backend: Backend;
  const home = mkdtempSync(join(tmpdir(), 'konduktor-k8s-deleted-at-end-'));
  withNamespace('konduktor-deleted-at-end', home, (context) => {
    ({ cluster, namespace, backend } = context);
  });
  after(() => {
    rmSync(home, { recursive: true, force: true });
  });

  const spec = (n: number): TaskSpec => ({
    name: 'ends',
    run: `echo '{"n": ${n}}' > ${OUT}`,
    envs: {},
    numNodes: 1,
    fileMounts: {},
    resources: { labels: {}, maxRestarts: 0, cpus: 0.1, memory: 0.1, imageId: WORKLOAD_IMAGE },
  });

  it('leaves the JobSet Completed, as konduktor recorded it', async () => {
    // Several at once: each is one draw of the race between the delete and the kubelet's phase.
    const runs = [1, 2, 3, 4].map(async (n) => {
      const name = await backend.submit(spec(n));
      const deleted = deleteRank0WhenItEnds(cluster, namespace, name);
      const info = await backend.waitTerminal(name, { signal: AbortSignal.timeout(180_000) });
      await deleted;
      return { name, n, info };
    });
    for (const { name, n, info } of await Promise.all(runs)) {
      assert.equal(info.status, 'SUCCEEDED', `${name}: ${JSON.stringify(info.outcome)}`);
      assert.deepEqual(
        info.outcome.kind === 'value' ? JSON.parse(info.outcome.text) : info.outcome,
        { n },
      );
      assert.equal(await waitForTerminalJobSet(cluster, namespace, name), 'Completed', name);
      // And konduktor still reads it the same after the JobSet settled.
      assert.equal((await backend.get(name)).status, 'SUCCEEDED', name);
    }
  });
});
