// What a sweep's trial costs the API server (issue 14): in one process, the user's env secrets are
// listed once rather than per launch, a wait right after `submit` reads the JobSet as created
// rather than GETting it, and the `<job>-ended` marker is created after the outcome is written,
// off the wait's path, but before `close()` resolves. Every request of the process is counted by
// method and path (the client's authentication hook, which each request passes once).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { KubernetesBackend } from '../../src/backends/kubernetes/kubernetes-backend.js';
import { Job } from '../../src/job/job.js';
import type { TaskSpec } from '../../src/task/types.js';
import { OUT } from '../support/common.js';
import { type Cluster, kubeconfigPath, withNamespace, WORKLOAD_IMAGE } from './cluster.js';

/** Requests by `METHOD path-kind`, counted while `counting` is on. */
const requests = new Map<string, number>();
let counting = false;
const proto = k8s.KubeConfig.prototype;
// eslint-disable-next-line @typescript-eslint/unbound-method -- wrapped and called with the instance
const authenticate = proto.applySecurityAuthentication;
proto.applySecurityAuthentication = function (this: k8s.KubeConfig, context) {
  if (counting) {
    const path = new URL(context.getUrl()).pathname
      .replace(/\/namespaces\/[^/]+/, '/ns')
      .replace(/\/(jobsets|pods|configmaps|secrets)\/[^/]+/, '/$1/NAME');
    const key = `${context.getHttpMethod()} ${path}`;
    requests.set(key, (requests.get(key) ?? 0) + 1);
  }
  return authenticate.call(this, context);
};
const count = (key: string): number => requests.get(key) ?? 0;

const TRIALS = 8;
const WIDTH = 4;

void describe('API requests per trial', () => {
  let cluster: Cluster;
  let namespace = '';
  const home = mkdtempSync(join(tmpdir(), 'konduktor-k8s-requests-'));
  withNamespace('konduktor-requests', home, (context) => {
    ({ cluster, namespace } = context);
  });
  after(() => {
    rmSync(home, { recursive: true, force: true });
  });

  const spec: TaskSpec = {
    name: 'trial',
    run: `echo '{"loss": 0.5}' > ${OUT}`,
    envs: {},
    numNodes: 1,
    fileMounts: {},
    resources: { labels: {}, maxRestarts: 0, cpus: 0.05, memory: 0.05, imageId: WORKLOAD_IMAGE },
  };

  it(`${TRIALS} trials, ${WIDTH} at a time, in one process`, async () => {
    const backend = await KubernetesBackend.connect({
      home,
      kubeconfig: kubeconfigPath(),
      namespace,
    });
    counting = true;
    let next = 0;
    try {
      await Promise.all(
        Array.from({ length: WIDTH }, async () => {
          while (next < TRIALS) {
            next += 1;
            const job = new Job(await backend.submit(spec), backend);
            assert.deepEqual(await job.result({ timeout: '5m' }), { loss: 0.5 });
          }
        }),
      );
    } finally {
      await backend.close();
      counting = false;
    }
    const report = JSON.stringify(Object.fromEntries(requests));
    const jobsets = '/apis/jobset.x-k8s.io/v1alpha2/ns/jobsets';
    assert.equal(count(`POST ${jobsets}`), TRIALS, report);
    // Listed once for all the launches (the cache lasts a minute).
    assert.equal(count('GET /api/v1/ns/secrets'), 1, report);
    // Only the waits that began before the informers had listed read the JobSet from the API
    // (at most one per slot), and a status write that conflicted with a version the cache did not
    // yet have; not one per trial.
    assert.ok(count(`GET ${jobsets}/NAME`) <= WIDTH + 1, report);
    const writes = count(`PUT ${jobsets}/NAME/status`);
    assert.ok(writes >= TRIALS && writes <= TRIALS + 2, report);
    // Every marker the recorder began was created before close() resolved.
    const markers = await cluster.core.listNamespacedConfigMap({ namespace });
    const ended = markers.items.filter((c) => c.metadata?.name?.endsWith('-ended')).length;
    assert.equal(ended, count('POST /api/v1/ns/configmaps'), report);
    assert.ok(ended >= TRIALS - 1, report);
  });
});
