// The dashboard against the real local cluster: the jobs list (live) and a job's page in
// Chromium, and the API's answers where the backend is Kubernetes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { Backend } from '../../src/backends/backend.js';
import { KubernetesBackend } from '../../src/backends/kubernetes/kubernetes-backend.js';
import { type Dashboard, startDashboard } from '../../src/dashboard/server.js';
import type { TaskSpec } from '../../src/task/types.js';
import { launchChromium, request, screenshot, watchedPage } from '../dashboard/support.js';
import {
  type Cluster,
  WORKLOAD_IMAGE,
  connect,
  createNamespace,
  deleteNamespace,
  kubeconfigPath,
} from './cluster.js';
import { OUT } from '../support/common.js';

const WAIT = { timeout: 180_000 };

void describe('dashboard on kubernetes', () => {
  let cluster: Cluster;
  let namespace = '';
  let backend: Backend;
  let dashboard: Dashboard;
  let browser: Browser;
  const home = mkdtempSync(join(tmpdir(), 'konduktor-k8s-dashboard-'));
  const problems: string[][] = [];

  const spec = (name: string, run: string): TaskSpec => ({
    name,
    run,
    envs: { HIDDEN_VALUE: 'cluster-secret-7' },
    numNodes: 1,
    fileMounts: {},
    resources: { labels: {}, maxRestarts: 0, cpus: 0.1, memory: 0.1, imageId: WORKLOAD_IMAGE },
  });

  before(async () => {
    cluster = connect();
    namespace = await createNamespace(cluster, 'konduktor-dashboard');
    backend = await KubernetesBackend.connect({ home, kubeconfig: kubeconfigPath(), namespace });
    dashboard = await startDashboard({ backend, home, port: 0 });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await dashboard?.close();
    await backend?.close();
    if (namespace !== '') await deleteNamespace(cluster, namespace);
    rmSync(home, { recursive: true, force: true });
    for (const list of problems) assert.deepEqual(list, []);
  });

  void it('shows launched jobs in the list live, and a job page with its result or error', async () => {
    const { page, problems: seen } = await watchedPage(browser, dashboard);
    problems.push(seen);
    await page.goto(dashboard.url);
    await page.waitForSelector('body[data-ready="jobs"]', WAIT);
    const ok = await backend.submit(spec('dash-ok', `sleep 2; echo '{"score": 0.75}' > ${OUT}`));
    const bad = await backend.submit(spec('dash-bad', 'echo cluster complaint; exit 4'));
    // Without a reload: the rows appear and reach their end.
    await page.waitForSelector(`#jobs tr[data-job="${ok}"][data-status="SUCCEEDED"]`, WAIT);
    await page.waitForSelector(`#jobs tr[data-job="${bad}"][data-status="FAILED"]`, WAIT);
    assert.match(
      (await page.locator(`#jobs tr[data-job="${ok}"] td.result`).textContent()) ?? '',
      /"score": 0.75/,
    );
    await screenshot(page, 'k8s-jobs');

    await page.click(`#jobs tr[data-job="${ok}"] a`);
    await page.waitForSelector('body[data-ready="job"]', WAIT);
    assert.deepEqual(JSON.parse((await page.locator('#result').textContent()) ?? ''), {
      score: 0.75,
    });
    assert.doesNotMatch(await page.content(), /cluster-secret-7/);
    await screenshot(page, 'k8s-job');

    await page.goto(`${dashboard.url}#/job/${bad}`);
    await page.waitForSelector('body[data-ready="job"]', WAIT);
    assert.equal(await page.locator('#error-code').textContent(), 'JOB_FAILED');
    assert.equal(
      await page.locator('#error-fields tr[data-field="exitCode"] td').textContent(),
      '4',
    );
    await page.waitForSelector('body[data-log="loaded"]', WAIT);
    assert.match((await page.locator('#log').textContent()) ?? '', /cluster complaint/);
    await screenshot(page, 'k8s-job-failed');
  });

  void it('answers the API: pages, unknown jobs, no local queue', async () => {
    const page = (await request(`${dashboard.url}api/jobs?name=dash-*`)).json<{
      jobs: { name: string }[];
      total: number;
    }>();
    assert.equal(page.total, 2);
    const info = (await request(`${dashboard.url}api/info`)).json<{ backend: string }>();
    assert.equal(info.backend, 'kubernetes');
    const unknown = await request(`${dashboard.url}api/jobs/no-such-job`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json<{ error: { code: string } }>().error.code, 'JOB_NOT_FOUND');
    const queue = await request(`${dashboard.url}api/queue`);
    assert.equal(queue.status, 404);
    assert.equal(queue.json<{ error: { code: string } }>().error.code, 'NO_QUEUE');
  });
});
