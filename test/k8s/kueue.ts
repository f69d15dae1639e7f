// Kueue on the local cluster (scripts/cluster/up.sh --kueue): a ResourceFlavor, a ClusterQueue
// with a quota, and a LocalQueue in a test's namespace.
import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import type { Cluster } from './cluster.js';

export const KUEUE = { group: 'kueue.x-k8s.io', version: 'v1beta2' } as const;

/** True when the cluster serves Kueue's API (started with --kueue). */
export async function hasKueue(c: Cluster): Promise<boolean> {
  try {
    await c.custom.listClusterCustomObject({ ...KUEUE, plural: 'clusterqueues' });
    return true;
  } catch {
    return false;
  }
}

/** A queue made for one test file; `remove` deletes its cluster-wide parts. */
export interface TestQueue {
  /** The LocalQueue's name (in the namespace given). */
  readonly name: string;
  /** The ClusterQueue's name. */
  readonly clusterQueue: string;
  remove(): Promise<void>;
}

/**
 * Makes a ResourceFlavor, a ClusterQueue for `namespace` only with the given quota, and a
 * LocalQueue `lq` in `namespace`.
 */
export async function createQueue(
  c: Cluster,
  namespace: string,
  quota: { readonly cpu: string; readonly memory: string },
): Promise<TestQueue> {
  const suffix = randomBytes(3).toString('hex');
  const flavor = `flavor-${suffix}`;
  const clusterQueue = `cq-${suffix}`;
  await c.custom.createClusterCustomObject({
    ...KUEUE,
    plural: 'resourceflavors',
    body: {
      apiVersion: 'kueue.x-k8s.io/v1beta2',
      kind: 'ResourceFlavor',
      metadata: { name: flavor },
    },
  });
  await c.custom.createClusterCustomObject({
    ...KUEUE,
    plural: 'clusterqueues',
    body: {
      apiVersion: 'kueue.x-k8s.io/v1beta2',
      kind: 'ClusterQueue',
      metadata: { name: clusterQueue },
      spec: {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
        resourceGroups: [
          {
            coveredResources: ['cpu', 'memory'],
            flavors: [
              {
                name: flavor,
                resources: [
                  { name: 'cpu', nominalQuota: quota.cpu },
                  { name: 'memory', nominalQuota: quota.memory },
                ],
              },
            ],
          },
        ],
      },
    },
  });
  await c.custom.createNamespacedCustomObject({
    ...KUEUE,
    plural: 'localqueues',
    namespace,
    body: {
      apiVersion: 'kueue.x-k8s.io/v1beta2',
      kind: 'LocalQueue',
      metadata: { name: 'lq', namespace },
      spec: { clusterQueue },
    },
  });
  return {
    name: 'lq',
    clusterQueue,
    remove: async () => {
      const del = (plural: string, name: string) =>
        c.custom.deleteClusterCustomObject({ ...KUEUE, plural, name }).catch(() => undefined);
      await del('clusterqueues', clusterQueue);
      await del('resourceflavors', flavor);
    },
  };
}

/** A Workload as the tests read it. */
export interface WorkloadJson {
  metadata: { ownerReferences?: { name: string }[] };
  spec: { active?: boolean };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

/** The Workload Kueue made for a JobSet. */
export async function workloadOf(
  c: Cluster,
  namespace: string,
  jobset: string,
): Promise<WorkloadJson | undefined> {
  const list = (await c.custom.listNamespacedCustomObject({
    ...KUEUE,
    plural: 'workloads',
    namespace,
  })) as { items: WorkloadJson[] };
  return list.items.find((w) => w.metadata.ownerReferences?.some((o) => o.name === jobset));
}

/** A test file's queue: see {@link useTestQueue}. */
export interface TestQueueHandle {
  /** Whether the cluster serves Kueue (known once the file's `before` hooks ran). */
  readonly enabled: boolean;
  /** The queue, when Kueue runs. */
  readonly queue: TestQueue | undefined;
}

/**
 * In a `describe`, after the hook that makes the namespace: a queue with `quota` in it when the
 * cluster serves Kueue, its cluster-wide parts removed after the file.
 */
export function useTestQueue(
  context: () => { readonly cluster: Cluster; readonly namespace: string },
  quota: { readonly cpu: string; readonly memory: string },
): TestQueueHandle {
  const handle: { enabled: boolean; queue: TestQueue | undefined } = {
    enabled: false,
    queue: undefined,
  };
  before(async () => {
    const { cluster, namespace } = context();
    handle.enabled = await hasKueue(cluster);
    if (handle.enabled) handle.queue = await createQueue(cluster, namespace, quota);
  });
  after(async () => {
    await handle.queue?.remove();
  });
  return handle;
}
