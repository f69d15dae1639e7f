// A job Kueue does not admit says why in Kueue's own words: its Workload's QuotaReserved=False
// message (a LocalQueue that does not exist, a queue without the quota) is passed on in the
// reason `status --json` shows and in the error of a wait that times out. Skipped when the
// cluster was started without --kueue.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli, writeTask } from '../support/cli.js';
import { type Cluster, kubeconfigPath, waitFor, withNamespace, WORKLOAD_IMAGE } from './cluster.js';
import { useTestQueue, workloadOf } from './kueue.js';

void describe('Kueue admission messages', () => {
  let cluster: Cluster;
  let namespace = '';
  const home = mkdtempSync(join(tmpdir(), 'konduktor-k8s-kueue-adm-'));
  const env = () => ({ KUBECONFIG: kubeconfigPath() });
  const flags = () => ['--backend', 'kubernetes', '--namespace', namespace];
  withNamespace('konduktor-kueue-adm', home, (context) => {
    ({ cluster, namespace } = context);
  });
  // 1 CPU: a job asking 1.5 CPU never fits.
  const kueue = useTestQueue(() => ({ cluster, namespace }), { cpu: '1', memory: '2Gi' });
  after(() => rmSync(home, { recursive: true, force: true }));

  const task = (name: string, queueName: string, cpus: number): string =>
    writeTask(
      home,
      `${name}.yaml`,
      `name: ${name}
run: echo '{}' > "$KONDUKTOR_OUTPUT_DIR/result.json"
resources:
  image_id: ${WORKLOAD_IMAGE}
  cpus: ${cpus}
  memory: 0.1
  labels: { kueue.x-k8s.io/queue-name: ${queueName} }
`,
    );

  const cli = (args: string[]) =>
    runCli([...args, ...flags()], { home, env: env(), timeoutMs: 180_000 });

  /** Kueue's QuotaReserved=False message on the job's Workload, once Kueue has written it. */
  const kueueMessage = (name: string): Promise<string> =>
    waitFor(
      `Kueue's QuotaReserved=False message on the Workload of ${name}`,
      async () =>
        (await workloadOf(cluster, namespace, name))?.status?.conditions?.find(
          (c) => c.type === 'QuotaReserved' && c.status === 'False',
        )?.message,
      60_000,
    );

  /** A launched job's `status --json` reason, once it carries `message` (else names the last). */
  const statusReason = (name: string, message: string): Promise<string> =>
    waitFor(
      `status --json of ${name} to carry Kueue's message`,
      async () => {
        const status = await cli(['status', '--json']);
        assert.equal(status.code, 0, status.stderr);
        const jobs = JSON.parse(status.stdout) as { name: string; reason: string | null }[];
        const reason = jobs.find((j) => j.name === name)?.reason ?? '';
        if (!reason.includes(message)) throw new Error(`last reason: ${reason}`);
        return reason;
      },
      60_000,
      2000,
    );

  /** Launches detached; then status and a timed-out wait both say what Kueue says. */
  async function passesKueueOn(name: string, queueName: string, cpus: number): Promise<string> {
    const launched = await cli(['launch', task(name, queueName, cpus), '-d', '-y']);
    assert.equal(launched.code, 0, launched.stderr);
    const job = launched.stdout.trim();
    const message = await kueueMessage(job);
    const reason = await statusReason(job, message);
    assert.equal(
      reason,
      `suspended: waiting for admission by Kueue (queue ${queueName}): ${message}`,
    );
    return message;
  }

  /** `launch --wait --timeout 20s` of a fresh job times out naming Kueue's reason. */
  async function timeoutSaysWhy(name: string, queueName: string, cpus: number): Promise<string> {
    const run = await cli([
      'launch',
      task(name, queueName, cpus),
      '--wait',
      '-y',
      '--timeout',
      '20s',
    ]);
    assert.equal(run.code, 124, run.stderr);
    assert.match(run.stderr, /timed out after 20s/);
    const prefix = `waiting for admission by Kueue (queue ${queueName}): `;
    assert.ok(run.stderr.includes(prefix), run.stderr);
    return run.stderr;
  }

  it('a job for a LocalQueue that does not exist says so', async (t) => {
    if (!kueue.enabled) {
      t.skip('Kueue not installed (start the cluster with up.sh --kueue)');
      return;
    }
    const message = await passesKueueOn('no-queue', 'nosuch-queue', 0.1);
    assert.match(message, /LocalQueue nosuch-queue doesn't exist/);
    const stderr = await timeoutSaysWhy('no-queue-wait', 'nosuch-queue', 0.1);
    assert.match(stderr, /LocalQueue nosuch-queue doesn't exist/);
  });

  it('a job its queue has no quota for says what Kueue says', async (t) => {
    const queue = kueue.queue;
    if (queue === undefined) {
      t.skip('Kueue not installed (start the cluster with up.sh --kueue)');
      return;
    }
    const message = await passesKueueOn('no-quota', queue.name, 1.5);
    assert.match(message, /quota/);
    const stderr = await timeoutSaysWhy('no-quota-wait', queue.name, 1.5);
    assert.match(stderr, /quota/);
  });
});
