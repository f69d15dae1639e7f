// The Kubernetes backend against the real local cluster, beyond the conformance suite: the
// result outlives the pods, a killed launcher, an apiserver restart and a bad image.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import type { Backend } from '../../src/backends/backend.js';
import { KubernetesBackend } from '../../src/backends/kubernetes/kubernetes-backend.js';
import { BackendError, JobFailedError, JobNotFoundError } from '../../src/errors.js';
import { Job } from '../../src/job/job.js';
import type { TaskSpec } from '../../src/task/types.js';
import { CLI, ROOT, runCli } from '../support/cli.js';
import {
  type Cluster,
  deleteJobPods,
  getJobSet,
  kubeconfigPath,
  waitFor,
  waitForTerminalJobSet,
  withNamespace,
  WORKLOAD_IMAGE,
} from './cluster.js';
import { OUT } from '../support/common.js';

void describe('kubernetes backend', () => {
  let cluster: Cluster;
  let namespace = '';
  let backend: Backend;
  const home = mkdtempSync(join(tmpdir(), 'konduktor-k8s-home-'));
  const env = () => ({ KUBECONFIG: kubeconfigPath(), KONDUKTOR_BACKEND: 'kubernetes' });
  const cliFlags = () => ['--backend', 'kubernetes', '--namespace', namespace];

  withNamespace('konduktor-backend', home, (context) => {
    ({ cluster, namespace, backend } = context);
  });
  after(() => {
    rmSync(home, { recursive: true, force: true });
  });

  const spec = (run: string, extra: Partial<TaskSpec['resources']> = {}): TaskSpec => ({
    name: 'kb',
    run,
    envs: {},
    numNodes: 1,
    fileMounts: {},
    resources: {
      labels: {},
      maxRestarts: 0,
      cpus: 0.1,
      memory: 0.1,
      imageId: WORKLOAD_IMAGE,
      ...extra,
    },
  });

  it('keeps the result after the Jobs and pods are deleted', async () => {
    const job = new Job(await backend.submit(spec(`echo '{"kept": true}' > ${OUT}`)), backend);
    assert.deepEqual(await job.result({ timeout: 120_000 }), { kept: true });
    // konduktor settles from the pods before JobSet says Completed; JobSet would recreate Jobs
    // deleted before that. The user's case is a finished JobSet.
    await waitForTerminalJobSet(cluster, namespace, job.name);
    await deleteJobPods(cluster, namespace, job.name);
    const cli = await runCli(['result', job.name, ...cliFlags()], { home, env: env() });
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(cli.stdout, '{"kept": true}\n');
  });

  it('records the outcome once when several waits see the end together', async () => {
    const other = await KubernetesBackend.connect({
      home,
      kubeconfig: kubeconfigPath(),
      namespace,
    });
    try {
      const name = await backend.submit(spec(`echo '{"once": 1}' > ${OUT}`));
      const infos = await Promise.all([
        backend.waitTerminal(name),
        other.waitTerminal(name),
        new Job(name, other).result(),
      ]);
      assert.deepEqual(infos[0].outcome, infos[1].outcome);
      assert.deepEqual(infos[2], { once: 1 });
      const js = await getJobSet<{ status: { conditions: { type: string; reason: string }[] } }>(
        cluster,
        namespace,
        name,
      );
      const recorded = js.status.conditions.filter((c) => c.type === 'KonduktorResult');
      assert.equal(recorded.length, 1);
      assert.equal(recorded[0]?.reason, 'Succeeded');
    } finally {
      await other.close();
    }
  });

  it('a new process reads the result after the launcher was killed with SIGKILL mid-wait', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'konduktor-k8s-task-'));
    const task = join(dir, 'task.yaml');
    writeFileSync(
      task,
      [
        'name: killed',
        'run: |',
        `  sleep 6; echo '{"survived": 1}' > "$KONDUKTOR_OUTPUT_DIR/result.json"`,
        'resources:',
        `  image_id: ${WORKLOAD_IMAGE}`,
        '  cpus: 0.1',
        '  memory: 0.1',
        '',
      ].join('\n'),
    );
    const child = spawn(process.execPath, [CLI, 'launch', task, '--wait', '-y', ...cliFlags()], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', KONDUKTOR_HOME: home, ...env() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const name = await new Promise<string>((resolve, reject) => {
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        const match = /job (killed-[0-9a-f]+) launched/.exec(stderr);
        if (match?.[1] !== undefined) resolve(match[1]);
      });
      child.on('exit', () => {
        reject(new Error(`launch exited early: ${stderr}`));
      });
    });
    // Mid-wait: the job is running and the launcher is waiting on it.
    await waitFor('the job to run', async () =>
      (await backend.get(name)).status === 'RUNNING' ? true : undefined,
    );
    child.kill('SIGKILL');
    const cli = await runCli(['result', name, '--timeout', '120s', ...cliFlags()], {
      home,
      env: env(),
      timeoutMs: 150_000,
    });
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(cli.stdout, '{"survived": 1}\n');
    rmSync(dir, { recursive: true, force: true });
  });

  it('a wait survives a kube-apiserver restart', async () => {
    const job = new Job(
      await backend.submit(spec(`sleep 8; echo '{"after": "restart"}' > ${OUT}`)),
      backend,
    );
    const waiting = job.result({ timeout: 240_000 });
    waiting.catch(() => undefined);
    await waitFor('the job to run', async () =>
      (await backend.get(job.name)).status === 'RUNNING' ? true : undefined,
    );
    // Down for 10 s: the job ends while the API is away.
    const restart = spawnSync(
      'bash',
      [join(ROOT, 'scripts', 'cluster', 'restart-apiserver.sh'), '10'],
      { encoding: 'utf8', timeout: 180_000 },
    );
    assert.equal(restart.status, 0, restart.stderr);
    assert.deepEqual(await waiting, { after: 'restart' });
  });

  it('fails the wait fast when the image cannot be pulled', async () => {
    const started = Date.now();
    const job = new Job(
      await backend.submit(spec('true', { imageId: 'konduktor.local/no-such-image:1' })),
      backend,
    );
    await assert.rejects(job.result({ timeout: 60_000 }), (error: unknown) => {
      assert.ok(error instanceof JobFailedError, String(error));
      assert.match(error.message, /ErrImagePull|ImagePullBackOff|InvalidImageName/);
      return true;
    });
    assert.ok(Date.now() - started < 60_000);
    assert.equal(await job.status(), 'FAILED');
  });

  /** The reasons a job reports while it waits, for a few seconds. */
  async function pendingReasons(job: Job, ms: number): Promise<string[]> {
    const reasons: string[] = [];
    await assert.rejects(
      job.wait({
        timeout: ms,
        onUpdate: (info) => {
          if (info.reason !== undefined) reasons.push(`${info.status}: ${info.reason}`);
        },
      }),
      /timed out/,
    );
    return reasons;
  }

  it('says why a job is not running: unschedulable, with the scheduler message', async () => {
    const job = new Job(await backend.submit(spec('true', { cpus: 64 })), backend);
    const reasons = await pendingReasons(job, 10_000);
    assert.ok(
      reasons.some((r) => /^PENDING: unschedulable: .*Insufficient cpu/.test(r)),
      reasons.join(' | '),
    );
    await job.cancel();
    assert.equal(await job.status(), 'CANCELLED');
  });

  it('says why a job is not running: waiting for Kueue admission', async (t) => {
    const crds = await cluster.kc
      .makeApiClient(k8s.ApiextensionsV1Api)
      .readCustomResourceDefinition({ name: 'localqueues.kueue.x-k8s.io' })
      .catch(() => undefined);
    if (crds === undefined) {
      t.skip('the cluster runs without Kueue (npm run cluster:up -- --kueue)');
      return;
    }
    const job = new Job(
      await backend.submit(
        spec('true', { labels: { 'kueue.x-k8s.io/queue-name': 'no-such-queue' } }),
      ),
      backend,
    );
    const reasons = await pendingReasons(job, 8_000);
    assert.ok(
      reasons.some((r) => r.includes('waiting for admission by Kueue (queue no-such-queue)')),
      reasons.join(' | '),
    );
    await job.cancel();
    assert.equal(await job.status(), 'CANCELLED');
    // Kueue must not resume it later: its Workload is deactivated.
    const workloads = (await cluster.custom.listNamespacedCustomObject({
      group: 'kueue.x-k8s.io',
      version: 'v1beta2',
      plural: 'workloads',
      namespace,
    })) as {
      items: { metadata: { ownerReferences?: { name: string }[] }; spec: { active?: boolean } }[];
    };
    const mine = workloads.items.filter((w) =>
      w.metadata.ownerReferences?.some((o) => o.name === job.name),
    );
    assert.equal(mine.length, 1);
    assert.equal(mine[0]?.spec.active, false);
  });

  it('names an unknown job, lists and removes by the CLI', async () => {
    await assert.rejects(backend.get('no-such-job-0000'), JobNotFoundError);
    const status = await runCli(['status', '--json', ...cliFlags()], { home, env: env() });
    assert.equal(status.code, 0, status.stderr);
    const listed = JSON.parse(status.stdout) as { name: string; status: string }[];
    assert.ok(listed.length >= 3, status.stdout);
    const down = await runCli(['down', 'kb-*', '-y', ...cliFlags()], { home, env: env() });
    assert.equal(down.code, 0, down.stderr);
    const after = (await backend.list()).map((j) => j.name);
    assert.equal(after.filter((n) => n.startsWith('kb-')).length, 0, after.join(','));
  });

  it('says clearly when the cluster is unreachable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'konduktor-k8s-kc-'));
    const path = join(dir, 'kubeconfig');
    writeFileSync(
      path,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1' } }],
        users: [{ name: 'u', user: { token: 'x' } }],
        contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'ctx',
      }),
    );
    await assert.rejects(
      KubernetesBackend.connect({ home, kubeconfig: path }),
      (error: unknown) => {
        assert.ok(error instanceof BackendError);
        assert.match(error.message, /cannot reach the Kubernetes API at https:\/\/127\.0\.0\.1:1/);
        return true;
      },
    );
    rmSync(dir, { recursive: true, force: true });
  });
});
