// Kueue on the local cluster (`scripts/cluster/up.sh --kueue`): a JobSet labelled with a
// LocalQueue is admitted and runs; one that exceeds the ClusterQueue's quota stays suspended.
// Skipped when the cluster was started without --kueue.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type Cluster,
  connect,
  createNamespace,
  deleteNamespace,
  getJobSet,
  JOBSET,
  terminatedState,
  waitFor,
  WORKLOAD_IMAGE,
} from './cluster.js';
import { createQueue, hasKueue, KUEUE, type TestQueue } from './kueue.js';

function jobset(name: string, namespace: string, queue: string, cpu: string): object {
  return {
    apiVersion: 'jobset.x-k8s.io/v1alpha2',
    kind: 'JobSet',
    metadata: { name, namespace, labels: { 'kueue.x-k8s.io/queue-name': queue } },
    spec: {
      replicatedJobs: [
        {
          name: 'worker',
          replicas: 2,
          template: {
            spec: {
              backoffLimit: 0,
              template: {
                spec: {
                  restartPolicy: 'Never',
                  containers: [
                    {
                      name: 'main',
                      image: WORKLOAD_IMAGE,
                      imagePullPolicy: 'IfNotPresent',
                      resources: { requests: { cpu, memory: '64Mi' } },
                      command: [
                        'bash',
                        '-c',
                        'echo "{\\"queued\\":true,\\"worker\\":$JOB_COMPLETION_INDEX}" > /dev/termination-log',
                      ],
                    },
                  ],
                },
              },
            },
          },
        },
      ],
    },
  };
}

void describe('local cluster with Kueue', () => {
  let c: Cluster;
  let ns = '';
  let enabled = false;

  let queue: TestQueue | undefined;

  before(async () => {
    c = connect();
    enabled = await hasKueue(c);
    if (!enabled) return; // no Kueue CRDs: started without --kueue
    ns = await createNamespace(c, 'konduktor-kueue');
    queue = await createQueue(c, ns, { cpu: '1', memory: '1Gi' });
  });

  after(async () => {
    if (!enabled) return;
    await deleteNamespace(c, ns);
    await queue?.remove();
  });

  void test('a queued JobSet is admitted, runs and returns its result', async (t) => {
    if (!enabled) {
      t.skip('Kueue not installed (start the cluster with up.sh --kueue)');
      return;
    }
    await c.custom.createNamespacedCustomObject({
      ...JOBSET,
      namespace: ns,
      body: jobset('fits', ns, 'lq', '100m'),
    });
    const state = await waitFor(
      'queued JobSet to finish',
      async () => {
        const js = await getJobSet<{ status?: { terminalState?: string } }>(c, ns, 'fits');
        return js.status?.terminalState;
      },
      180_000,
    );
    assert.equal(state, 'Completed');
    const pods = await c.core.listNamespacedPod({
      namespace: ns,
      labelSelector: 'jobset.sigs.k8s.io/jobset-name=fits',
    });
    assert.equal(pods.items.length, 2);
    for (const p of pods.items) {
      const doc = JSON.parse(terminatedState(p).message ?? 'null') as { queued: boolean };
      assert.equal(doc.queued, true);
    }
  });

  void test('a JobSet over the queue quota stays suspended', async (t) => {
    if (!enabled) {
      t.skip('Kueue not installed (start the cluster with up.sh --kueue)');
      return;
    }
    await c.custom.createNamespacedCustomObject({
      ...JOBSET,
      namespace: ns,
      body: jobset('too-big', ns, 'lq', '800m'), // 2 x 800m > 1 CPU
    });
    const message = await waitFor('Workload to report insufficient quota', async () => {
      const list = (await c.custom.listNamespacedCustomObject({
        ...KUEUE,
        plural: 'workloads',
        namespace: ns,
      })) as {
        items: {
          metadata: { ownerReferences?: { name: string }[] };
          status?: { conditions?: { type: string; message?: string }[] };
        }[];
      };
      const wl = list.items.find((w) =>
        w.metadata.ownerReferences?.some((o) => o.name === 'too-big'),
      );
      const msg = wl?.status?.conditions?.find((x) => x.type === 'QuotaReserved')?.message;
      return msg?.includes('insufficient quota') ? msg : undefined;
    });
    assert.match(message, /insufficient quota for cpu/);
    const js = await getJobSet<{ spec?: { suspend?: boolean } }>(c, ns, 'too-big');
    assert.equal(js.spec?.suspend, true);
  });
});
