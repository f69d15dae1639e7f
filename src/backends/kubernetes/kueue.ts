/**
 * Kueue: the label that queues a JobSet, and the Workload a cancel deactivates. Kueue owns
 * `spec.suspend` of the JobSets it queues (it unsuspends them on admission), so anything konduktor
 * suspends for good must also be taken from Kueue.
 * @module
 */
import type * as k8s from '@kubernetes/client-node';
import { mergePatch } from './client.js';
import type { JobSetObject } from './types.js';

/** The label that puts a JobSet in a Kueue queue. */
export const KUEUE_QUEUE_LABEL = 'kueue.x-k8s.io/queue-name';

/** The Kueue queue a JobSet was submitted to, or `undefined` when Kueue does not manage it. */
export function kueueQueueOf(js: JobSetObject): string | undefined {
  return js.metadata.labels?.[KUEUE_QUEUE_LABEL];
}

/**
 * Kueue would resume a cancelled JobSet on admission: its Workload is deactivated
 * (`spec.active: false`) as the original's `stop` does. Best effort: without Kueue's API or the
 * right to patch Workloads, the JobSet stays suspended only until Kueue admits it.
 */
export async function deactivateWorkload(
  custom: k8s.CustomObjectsApi,
  namespace: string,
  js: JobSetObject,
): Promise<void> {
  const uid = js.metadata.uid;
  if (uid === undefined) return;
  for (const version of ['v1beta2', 'v1beta1']) {
    try {
      const list = (await custom.listNamespacedCustomObject({
        group: 'kueue.x-k8s.io',
        version,
        plural: 'workloads',
        namespace,
      })) as { items?: { metadata?: { name?: string; ownerReferences?: { uid?: string }[] } }[] };
      const owned = (list.items ?? []).filter((w) =>
        w.metadata?.ownerReferences?.some((o) => o.uid === uid),
      );
      for (const workload of owned) {
        await custom.patchNamespacedCustomObject(
          {
            group: 'kueue.x-k8s.io',
            version,
            plural: 'workloads',
            namespace,
            name: workload.metadata?.name ?? '',
            body: { spec: { active: false } },
          },
          mergePatch,
        );
      }
      return;
    } catch {
      // This Kueue version is not served, or Workloads are not ours to patch: try the next.
    }
  }
}
