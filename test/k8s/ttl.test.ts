// Finished jobs are deleted after `kubernetes.ttl` (here 30 s) by the JobSet controller
// (`ttlSecondsAfterFinished`): `result` returns the value until then, and says the job expired
// once the JobSet is gone, while a name never launched is still "not found".
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli, writeTask } from '../support/cli.js';
import {
  type Cluster,
  getJobSet,
  kubeconfigPath,
  waitFor,
  withNamespace,
  WORKLOAD_IMAGE,
} from './cluster.js';
import { launchWaited } from './durable.js';

void describe('time to live of finished jobs', () => {
  let cluster: Cluster;
  let namespace = '';
  const home = mkdtempSync(join(tmpdir(), 'konduktor-k8s-ttl-'));
  writeFileSync(join(home, 'config.yaml'), 'kubernetes:\n  ttl: 30s\n');
  const env = () => ({ KUBECONFIG: kubeconfigPath() });
  const flags = () => ['--backend', 'kubernetes', '--namespace', namespace];
  withNamespace('konduktor-ttl', home, (context) => {
    ({ cluster, namespace } = context);
  });
  after(() => {
    rmSync(home, { recursive: true, force: true });
  });

  it('keeps the result for the TTL, then says the job expired', async () => {
    const task = writeTask(
      home,
      'short.yaml',
      `name: short
run: |
  echo '{"kept": "30s"}' > "$KONDUKTOR_OUTPUT_DIR/result.json"
resources: { image_id: ${WORKLOAD_IMAGE}, cpus: 0.1, memory: 0.1 }
`,
    );
    const job = await launchWaited({ home, env: env(), flags: flags() }, task);
    const js = await getJobSet<{ spec: { ttlSecondsAfterFinished?: number } }>(
      cluster,
      namespace,
      job,
    );
    assert.equal(js.spec.ttlSecondsAfterFinished, 30);
    const before = await runCli(['result', job, ...flags()], { home, env: env() });
    assert.equal(before.code, 0, before.stderr);
    assert.deepEqual(JSON.parse(before.stdout), { kept: '30s' });
    const started = Date.now();
    await waitFor(
      `JobSet ${job} to be deleted after its TTL`,
      async () => {
        try {
          await getJobSet(cluster, namespace, job);
          return undefined;
        } catch {
          return true;
        }
      },
      180_000,
      1000,
    );
    // Not much before 30 s after the end (the end is before `started`).
    assert.ok(Date.now() - started > 20_000, `deleted after ${Date.now() - started} ms`);
    const expired = await runCli(['result', job, ...flags()], { home, env: env() });
    assert.equal(expired.code, 2, expired.stderr);
    assert.match(expired.stderr, /has expired/);
    assert.match(expired.stderr, /30s after they end \(kubernetes\.ttl/);
    const unknown = await runCli(['result', 'never-launched-0000', ...flags()], {
      home,
      env: env(),
    });
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /no job named/);
    assert.doesNotMatch(unknown.stderr, /has expired/);
    // A name of konduktor's form that this home did not launch may have expired elsewhere.
    assert.match(unknown.stderr, /may have expired.*30s here/);
  });
});
