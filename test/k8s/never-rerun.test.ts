// A finished job never runs again: `launch --wait` returns as soon as rank 0's pod ended, before
// the JobSet controller says Completed; deleting the Jobs and pods right then made JobSet create
// the Job again and run the workload a second time. The pods it now recreates run nothing, and
// `result` still returns the value.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli, writeTask } from '../support/cli.js';
import {
  type Cluster,
  deleteJobsAndPods,
  kubeconfigPath,
  waitFor,
  waitForTerminalJobSet,
  withNamespace,
  WORKLOAD_IMAGE,
} from './cluster.js';
import { launchWaited } from './durable.js';

void describe('a finished job never runs again', () => {
  let cluster: Cluster;
  let namespace = '';
  const home = mkdtempSync(join(tmpdir(), 'konduktor-k8s-rerun-'));
  const env = () => ({ KUBECONFIG: kubeconfigPath() });
  const flags = () => ['--backend', 'kubernetes', '--namespace', namespace];
  withNamespace('konduktor-rerun', home, (context) => {
    ({ cluster, namespace } = context);
  });
  after(() => {
    rmSync(home, { recursive: true, force: true });
  });

  it('deleting its Jobs and pods right after the end runs nothing again', async (t) => {
    const task = writeTask(
      home,
      'once.yaml',
      `name: once
run: |
  echo "WORKLOAD-RAN attempt=$RESTART_ATTEMPT"
  echo '{"once": true}' > "$KONDUKTOR_OUTPUT_DIR/result.json"
resources: { image_id: ${WORKLOAD_IMAGE}, cpus: 0.1, memory: 0.1 }
`,
    );
    const job = await launchWaited({ home, env: env(), flags: flags() }, task);
    const selector = `konduktor.dev/job=${job}`;
    const ran = await cluster.core.listNamespacedPod({ namespace, labelSelector: selector });
    const ranUids = new Set(ran.items.map((p) => p.metadata?.uid));
    // At once, before the JobSet controller turns the JobSet Completed (1–3 s).
    await deleteJobsAndPods(cluster, namespace, selector);
    await waitFor('the pods that ran to be gone', async () => {
      const now = await cluster.core.listNamespacedPod({ namespace, labelSelector: selector });
      return now.items.some((p) => ranUids.has(p.metadata?.uid)) ? undefined : true;
    });
    await waitForTerminalJobSet(cluster, namespace, job);
    // Any pod of the job now is one JobSet made after the deletion: none may run the workload.
    const pods = await cluster.core.listNamespacedPod({ namespace, labelSelector: selector });
    t.diagnostic(`pods recreated after the deletion: ${pods.items.length}`);
    for (const pod of pods.items) {
      const log = await cluster.core.readNamespacedPodLog({
        namespace,
        name: pod.metadata?.name ?? '',
      });
      assert.doesNotMatch(log, /WORKLOAD-RAN/, `pod ${pod.metadata?.name} ran the workload again`);
      assert.match(log, /already ended/);
    }
    const result = await runCli(['result', job, ...flags()], { home, env: env() });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { once: true });
    const status = await runCli(['status', '--json', ...flags()], { home, env: env() });
    const jobs = JSON.parse(status.stdout) as { name: string; status: string }[];
    assert.equal(jobs.find((j) => j.name === job)?.status, 'SUCCEEDED');
  });
});
