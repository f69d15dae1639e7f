// The outcome is durable without a watching client: after `launch -d`, with no konduktor client
// process left, rank 0's pod is deleted the moment it is seen terminated. With the recorder
// running (as it runs in a cluster), `result` still returns the value and `status` agrees; without
// it, `result` and `status` agree that the value was lost, and say how to avoid it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { runCli, startCli, writeTask } from '../support/cli.js';
import { type Cluster, kubeconfigPath, withNamespace, WORKLOAD_IMAGE } from './cluster.js';

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

  /**
   * Watches the job's pods and deletes rank 0's pod (grace 0) as soon as a watch event shows its
   * container terminated; resolves with the pod's name once deleted.
   */
  function deleteRank0WhenItEnds(job: string): Promise<string> {
    return new Promise((resolve, reject) => {
      let request: { abort: () => void } | undefined;
      const timer = setTimeout(() => {
        request?.abort();
        reject(new Error(`rank 0 of ${job} did not end`));
      }, 180_000);
      void new k8s.Watch(cluster.kc)
        .watch(
          `/api/v1/namespaces/${namespace}/pods`,
          { labelSelector: `konduktor.dev/job=${job}` },
          (_type: string, pod: k8s.V1Pod) => {
            const ended = pod.status?.containerStatuses?.some((s) => s.state?.terminated);
            const rank = pod.metadata?.labels?.['batch.kubernetes.io/job-completion-index'];
            if (ended !== true || rank !== '0' || pod.metadata?.deletionTimestamp) return;
            const name = pod.metadata?.name ?? '';
            clearTimeout(timer);
            request?.abort();
            cluster.core
              .deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 })
              .then(() => resolve(name), reject);
          },
          (err: unknown) => {
            // The watch ends with an abort once the pod is deleted; anything else is an error.
            if (err instanceof Error && !/abort/i.test(err.message)) reject(err);
          },
        )
        .then((r: { abort: () => void }) => {
          request = r;
        }, reject);
    });
  }

  async function launchDetached(): Promise<string> {
    const launched = await runCli(['launch', task, '-d', '-y', ...flags()], { home, env: env() });
    assert.equal(launched.code, 0, launched.stderr);
    const name = /\b(durable-[0-9a-f]{4})\b/.exec(launched.stdout + launched.stderr)?.[1];
    assert.ok(name !== undefined, launched.stdout + launched.stderr);
    return name;
  }

  async function statusOf(name: string): Promise<string> {
    const status = await runCli(['status', '--json', ...flags()], { home, env: env() });
    assert.equal(status.code, 0, status.stderr);
    const jobs = JSON.parse(status.stdout) as { name: string; status: string }[];
    return jobs.find((j) => j.name === name)?.status ?? 'absent';
  }

  it('with the recorder running: result gives the value after rank 0 was deleted', async () => {
    // The recorder runs on Kubernetes only: it takes no --backend.
    const recorder = startCli(['recorder', '--namespace', namespace], {
      home,
      env: env(),
      timeoutMs: 600_000,
    });
    try {
      await recorder.waitFor('stderr', /recording outcomes/);
      const name = await launchDetached();
      const watching = deleteRank0WhenItEnds(name);
      await watching;
      // No konduktor client ran between the launch and here.
      const result = await runCli(['result', name, '--timeout', '120s', ...flags()], {
        home,
        env: env(),
      });
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(JSON.parse(result.stdout), { durable: 42 });
      assert.equal(await statusOf(name), 'SUCCEEDED');
      await recorder.waitFor('stdout', new RegExp(`${name} SUCCEEDED`));
    } finally {
      recorder.child.kill('SIGTERM');
      const done = await recorder.done;
      assert.equal(done.code, 0, done.stderr);
    }
  });

  it('without a recorder: result and status agree that the value was lost', async () => {
    const name = await launchDetached();
    await deleteRank0WhenItEnds(name);
    const result = await runCli(['result', name, '--timeout', '120s', ...flags()], {
      home,
      env: env(),
    });
    const status = await statusOf(name);
    // Whatever the race gave, status agrees with result. Usually nobody read the pod in time:
    // konduktor finds the success without a result, or the Job controller counted the pod deleted
    // before its phase said Succeeded as failed (the JobSet then fails). The terminating pod may
    // also still be readable when `result` looks (its deletion waits for the Job controller).
    if (result.code === 0) {
      assert.deepEqual(JSON.parse(result.stdout), { durable: 42 });
      assert.equal(status, 'SUCCEEDED');
    } else {
      assert.equal(result.code, 1, result.stderr);
      assert.equal(status, 'FAILED');
      if (/deleted before any konduktor process/.test(result.stderr))
        assert.match(result.stderr, /konduktor recorder/);
      else assert.match(result.stderr, /job failures/);
    }
  });
});
