// Jobs konduktor ends itself — cancelled, an image that cannot be pulled — stay suspended and never
// turn Completed/Failed, so the JobSet controller's ttlSecondsAfterFinished never deletes them.
// `kubernetes.ttl` (here 30 s) applies to them all the same: a konduktor client that reads them
// (`status`, `result`) deletes one whose recorded end is older than its TTL and says it expired,
// and the recorder deletes them with no client running. From another home (another machine), a
// job that expired reads as "not found", with the hint that it may have expired.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import type { Backend } from '../../src/backends/backend.js';
import { KubernetesBackend } from '../../src/backends/kubernetes/kubernetes-backend.js';
import type { TaskSpec } from '../../src/task/types.js';
import { runCli } from '../support/cli.js';
import {
  type Cluster,
  getJobSet,
  kubeconfigPath,
  waitFor,
  withNamespace,
  WORKLOAD_IMAGE,
} from './cluster.js';
import { withRecorder } from './durable.js';

const TTL_S = 30;

void describe('time to live of jobs konduktor ended itself', () => {
  let cluster: Cluster;
  let namespace = '';
  let backend: Backend;
  const home = mkdtempSync(join(tmpdir(), 'konduktor-k8s-ttl-ended-'));
  // Another machine: its own home, the same configured TTL.
  const elsewhere = mkdtempSync(join(tmpdir(), 'konduktor-k8s-ttl-elsewhere-'));
  for (const h of [home, elsewhere])
    writeFileSync(join(h, 'config.yaml'), `kubernetes:\n  ttl: ${TTL_S}s\n`);
  const env = () => ({ KUBECONFIG: kubeconfigPath() });
  const flags = () => ['--backend', 'kubernetes', '--namespace', namespace];
  withNamespace('konduktor-ttl-ended', home, (context) => {
    ({ cluster, namespace } = context);
  });
  after(async () => {
    await backend.close();
    rmSync(home, { recursive: true, force: true });
    rmSync(elsewhere, { recursive: true, force: true });
  });

  const spec = (name: string, imageId = WORKLOAD_IMAGE): TaskSpec => ({
    name,
    run: 'sleep 600',
    envs: {},
    numNodes: 1,
    fileMounts: {},
    resources: { labels: {}, maxRestarts: 0, cpus: 0.1, memory: 0.1, imageId },
  });

  const exists = async (job: string): Promise<boolean> => {
    try {
      await getJobSet(cluster, namespace, job);
      return true;
    } catch {
      return false;
    }
  };

  it('a client deletes a cancelled job once its TTL is over and says it expired', async () => {
    backend = await KubernetesBackend.connect({
      home,
      kubeconfig: kubeconfigPath(),
      namespace,
      ttlSeconds: TTL_S,
    });
    const job = await backend.submit(spec('cancelled'));
    await backend.cancel(job);
    const cancelledAt = Date.now();
    const before = await runCli(['result', job, ...flags()], { home, env: env() });
    assert.equal(before.code, 1, before.stderr);
    assert.match(before.stderr, /cancelled/);
    // No konduktor process reads it for longer than its TTL: the JobSet controller keeps it (it
    // never turned Completed or Failed).
    await sleep(TTL_S * 1000 + 5000 - (Date.now() - cancelledAt));
    assert.equal(await exists(job), true, 'the JobSet controller does not expire it');
    // The first reader deletes it: status lists it no more, result says it expired.
    const status = await runCli(['status', '--json', ...flags()], { home, env: env() });
    assert.equal(status.code, 0, status.stderr);
    const listed = (JSON.parse(status.stdout) as { name: string }[]).map((j) => j.name);
    assert.ok(!listed.includes(job), `${job} still listed: ${listed.join(', ')}`);
    await waitFor(`JobSet ${job} to be deleted`, async () =>
      (await exists(job)) ? undefined : true,
    );
    const expired = await runCli(['result', job, ...flags()], { home, env: env() });
    assert.equal(expired.code, 2, expired.stderr);
    assert.match(expired.stderr, new RegExp(`has expired.*${TTL_S}s after they end`));
    // From another home: not found, with the hint that it may have expired.
    const other = await runCli(['result', job, ...flags()], { home: elsewhere, env: env() });
    assert.equal(other.code, 2, other.stderr);
    assert.match(other.stderr, /no job named/);
    assert.match(other.stderr, new RegExp(`may have expired.*kubernetes\\.ttl.*${TTL_S}s here`));
    // A name konduktor would not make gets no such hint.
    const plain = await runCli(['result', 'nosuffix', ...flags()], { home: elsewhere, env: env() });
    assert.equal(plain.code, 2, plain.stderr);
    assert.match(plain.stderr, /no job named/);
    assert.doesNotMatch(plain.stderr, /expired/);
  });

  it('the recorder deletes cancelled and pull-failed jobs once their TTL is over', async () => {
    await withRecorder({ home, env: env() }, namespace, async (recorder) => {
      const cancelled = await backend.submit(spec('cancelled'));
      await backend.cancel(cancelled);
      // Nobody waits on this one: the recorder records its pull failure, suspends it, and
      // deletes it after the TTL.
      const unpullable = await backend.submit(
        spec('unpullable', 'konduktor.local/no-such-image:1'),
      );
      await recorder.waitFor('stdout', new RegExp(`${unpullable} FAILED`), 180_000);
      const recordedAt = Date.now();
      await recorder.waitFor('stdout', new RegExp(`${cancelled} EXPIRED`), 180_000);
      await recorder.waitFor('stdout', new RegExp(`${unpullable} EXPIRED`), 180_000);
      // Not before its TTL (its end was recorded before `recordedAt`, give or take a second).
      assert.ok(
        Date.now() - recordedAt > (TTL_S - 2) * 1000,
        `expired after ${Date.now() - recordedAt} ms`,
      );
      for (const job of [cancelled, unpullable])
        await waitFor(`JobSet ${job} to be deleted`, async () =>
          (await exists(job)) ? undefined : true,
        );
      assert.doesNotMatch(recorder.output().stderr, /konduktor recorder: .*:/);
    });
  });
});
