// The outcome is durable without a watching client: after `launch -d`, with no konduktor client
// process left, rank 0's pod is deleted the moment it is seen terminated. With the recorder
// running (as it runs in a cluster), `result` still returns the value and `status` agrees; without
// it, `result` and `status` agree that the value was lost, and say how to avoid it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli, writeTask } from '../support/cli.js';
import { type Cluster, kubeconfigPath, withNamespace, WORKLOAD_IMAGE } from './cluster.js';
import { deleteRank0WhenItEnds, launchDetached, statusOf, withRecorder } from './durable.js';

void describe('durable outcome without a watching client', () => {
  let cluster: Cluster;
  let namespace = '';
  const home = mkdtempSync(join(tmpdir(), 'konduktor-k8s-durable-'));
  const env = () => ({ KUBECONFIG: kubeconfigPath() });
  const flags = () => ['--backend', 'kubernetes', '--namespace', namespace];
  withNamespace('konduktor-durable', home, (context) => {
    ({ cluster, namespace } = context);
  });
  after(() => {
    rmSync(home, { recursive: true, force: true });
  });

  const task = writeTask(
    home,
    'task.yaml',
    `name: durable
run: |
  echo '{"durable": 42}' > "$KONDUKTOR_OUTPUT_DIR/result.json"
resources: { image_id: ${WORKLOAD_IMAGE}, cpus: 0.1, memory: 0.1 }
`,
  );

  const target = () => ({ home, env: env(), flags: flags() });

  it('with the recorder running: result gives the value after rank 0 was deleted', async () => {
    await withRecorder({ home, env: env() }, namespace, async (recorder) => {
      const name = await launchDetached(target(), task, 'durable');
      const watching = deleteRank0WhenItEnds(cluster, namespace, name);
      await watching;
      // No konduktor client ran between the launch and here.
      const result = await runCli(['result', name, '--timeout', '120s', ...flags()], {
        home,
        env: env(),
      });
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(JSON.parse(result.stdout), { durable: 42 });
      assert.equal(await statusOf(target(), name), 'SUCCEEDED');
      await recorder.waitFor('stdout', new RegExp(`${name} SUCCEEDED`));
    });
  });

  it('without a recorder: result and status agree that the value was lost', async () => {
    const name = await launchDetached(target(), task, 'durable');
    await deleteRank0WhenItEnds(cluster, namespace, name);
    const result = await runCli(['result', name, '--timeout', '120s', ...flags()], {
      home,
      env: env(),
    });
    const status = await statusOf(target(), name);
    // Whatever the race gave, status agrees with result. Usually nobody read the pod in time:
    // konduktor finds the success without a result (the Job controller waits for the deleted
    // pod's phase, `podReplacementPolicy: Failed`, so the JobSet completes rather than fails).
    // The terminating pod may also still be readable when `result` looks (its deletion waits for
    // the Job controller).
    if (result.code === 0) {
      assert.deepEqual(JSON.parse(result.stdout), { durable: 42 });
      assert.equal(status, 'SUCCEEDED');
    } else {
      assert.equal(result.code, 1, result.stderr);
      assert.equal(status, 'FAILED');
      assert.match(
        result.stderr,
        /succeeded, but its rank 0 pod was deleted before any konduktor process/,
      );
      assert.match(result.stderr, /konduktor recorder/);
    }
  });
});
