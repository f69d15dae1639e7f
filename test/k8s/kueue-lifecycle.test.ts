// Kueue owns the suspension of the JobSets it queues: `konduktor stop` of an admitted running job
// really holds it (its pods go and stay gone, its quota is freed for another job), `start` runs it
// again, and a job konduktor fails because its image cannot be pulled gives its quota back.
// Skipped when the cluster was started without --kueue.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import type { Backend } from '../../src/backends/backend.js';
import { runCli, writeTask } from '../support/cli.js';
import {
  type Cluster,
  getJobSet,
  kubeconfigPath,
  waitFor,
  waitForNoPods,
  withNamespace,
  WORKLOAD_IMAGE,
} from './cluster.js';
import { useTestQueue, workloadOf } from './kueue.js';

void describe('konduktor under Kueue', () => {
  let cluster: Cluster;
  let namespace = '';
  let backend: Backend;
  const home = mkdtempSync(join(tmpdir(), 'konduktor-k8s-kueue-'));
  const env = () => ({ KUBECONFIG: kubeconfigPath() });
  const flags = () => ['--backend', 'kubernetes', '--namespace', namespace];
  withNamespace('konduktor-kueue-life', home, (context) => {
    ({ cluster, namespace, backend } = context);
  });
  // 1 CPU: two jobs of 0.6 never run together, so a second one runs only once the first's
  // quota is freed.
  const kueue = useTestQueue(() => ({ cluster, namespace }), { cpu: '1', memory: '2Gi' });
  after(() => rmSync(home, { recursive: true, force: true }));

  /** A task in the test queue asking 0.6 CPU. */
  const task = (file: string, name: string, run: string, image = WORKLOAD_IMAGE): string =>
    writeTask(
      home,
      file,
      `name: ${name}
run: |
${run
  .split('\n')
  .map((line) => `  ${line}`)
  .join('\n')}
resources:
  image_id: ${image}
  cpus: 0.6
  memory: 0.1
  labels: { kueue.x-k8s.io/queue-name: lq }
`,
    );

  const cli = (args: string[]) =>
    runCli([...args, ...flags()], { home, env: env(), timeoutMs: 300_000 });

  async function launchDetached(file: string): Promise<string> {
    const launched = await cli(['launch', file, '-d', '-y']);
    assert.equal(launched.code, 0, launched.stderr);
    return launched.stdout.trim();
  }

  /** A quick job in the same queue: it can run only while the queue's quota is free. */
  async function quickJobRuns(label: string): Promise<void> {
    const file = task(
      `${label}.yaml`,
      label,
      `echo '{"ran": "${label}"}' > "$KONDUKTOR_OUTPUT_DIR/result.json"`,
    );
    const run = await cli(['launch', file, '--wait', '-y', '--timeout', '150s']);
    assert.equal(run.code, 0, `${label} was not admitted: the quota was not freed\n${run.stderr}`);
    assert.deepEqual(JSON.parse(run.stdout), { ran: label });
  }

  it('stop holds an admitted running job and frees its quota; start runs it again', async (t) => {
    if (!kueue.enabled) {
      t.skip('Kueue not installed (start the cluster with up.sh --kueue)');
      return;
    }
    const file = task(
      'held.yaml',
      'held',
      [
        '# The first run waits to be stopped; the resumed one reports its attempt.',
        'if [ "$RESTART_ATTEMPT" = 0 ]; then sleep 600; fi',
        `echo "{\\"attempt\\": $RESTART_ATTEMPT}" > "$KONDUKTOR_OUTPUT_DIR/result.json"`,
      ].join('\n'),
    );
    const name = await launchDetached(file);
    await waitFor(
      `${name} to run`,
      async () => ((await backend.get(name)).status === 'RUNNING' ? true : undefined),
      180_000,
    );
    const stopped = await cli(['stop', name]);
    assert.equal(stopped.code, 0, stopped.stderr);
    await waitForNoPods(cluster, namespace, `konduktor.dev/job=${name}`);
    // Kueue must not resume it: for several seconds no pod comes back and it stays stopped.
    for (let i = 0; i < 10; i += 1) {
      const pods = await cluster.core.listNamespacedPod({
        namespace,
        labelSelector: `konduktor.dev/job=${name}`,
      });
      assert.equal(pods.items.length, 0, 'a pod of the stopped job came back');
      assert.equal((await backend.get(name)).status, 'STOPPED');
      await sleep(500);
    }
    const workload = await workloadOf(cluster, namespace, name);
    assert.equal(workload?.spec.active, false);
    const js = await getJobSet<{ spec?: { suspend?: boolean } }>(cluster, namespace, name);
    assert.equal(js.spec?.suspend, true);
    // Its 0.6 CPU are free: another 0.6 CPU job of the same 1-CPU queue runs to the end.
    await quickJobRuns('while-held');
    const started = await cli(['start', name]);
    assert.equal(started.code, 0, started.stderr);
    const result = await cli(['result', name, '--timeout', '180s']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { attempt: 1 });
    assert.equal((await workloadOf(cluster, namespace, name))?.spec.active, true);
  });

  it('a job failed for an image pull error frees its quota', async (t) => {
    if (!kueue.enabled) {
      t.skip('Kueue not installed (start the cluster with up.sh --kueue)');
      return;
    }
    const file = task(
      'unpullable.yaml',
      'unpullable',
      `echo '{}' > "$KONDUKTOR_OUTPUT_DIR/result.json"`,
      'konduktor.local/no-such-image:1',
    );
    const name = await launchDetached(file);
    const result = await cli(['result', name, '--timeout', '180s']);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /could not be pulled/);
    await waitForNoPods(cluster, namespace, `konduktor.dev/job=${name}`);
    assert.equal((await workloadOf(cluster, namespace, name))?.spec.active, false);
    await quickJobRuns('after-pull-failure');
    const status = await cli(['status', '--json']);
    const jobs = JSON.parse(status.stdout) as { name: string; status: string }[];
    assert.equal(jobs.find((j) => j.name === name)?.status, 'FAILED');
  });
});
