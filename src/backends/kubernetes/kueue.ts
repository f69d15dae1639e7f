/**
 * Kueue: the label that queues a JobSet, and its Workload, through which konduktor holds, resumes
 * and ends the jobs Kueue queues. Kueue owns `spec.suspend` of those JobSets (it unsuspends an
 * admitted one that anyone else suspends), so `stop`, `start`, a cancel and a failure go through
 * the Workload's `spec.active` (`peers.md` §6).
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type * as k8s from '@kubernetes/client-node';
import { BackendError } from '../../errors.js';
import { apiMessage, mergePatch } from './client.js';
import type { JobSetObject } from './types.js';

/** The label that puts a JobSet in a Kueue queue. */
export const KUEUE_QUEUE_LABEL = 'kueue.x-k8s.io/queue-name';

/** The Kueue queue a JobSet was submitted to, or `undefined` when Kueue does not manage it. */
export function kueueQueueOf(js: JobSetObject): string | undefined {
  return js.metadata.labels?.[KUEUE_QUEUE_LABEL];
}

/** A Workload as konduktor reads it. */
interface WorkloadObject {
  readonly metadata?: { readonly name?: string; readonly ownerReferences?: { uid?: string }[] };
  readonly spec?: { readonly active?: boolean };
  readonly status?: {
    readonly conditions?: readonly {
      readonly type?: string;
      readonly status?: string;
      readonly message?: string;
    }[];
  };
}

const KUEUE_VERSIONS = ['v1beta2', 'v1beta1'] as const;

/** How long {@link setWorkloadActive} waits for Kueue to create a new JobSet's Workload. */
const WORKLOAD_APPEAR_MS = 15_000;
const WORKLOAD_RETRY_MS = 250;

/** The namespace's Workloads, with the Kueue API version that served them. */
async function listWorkloads(
  custom: k8s.CustomObjectsApi,
  namespace: string,
): Promise<{ version: string; items: WorkloadObject[] }> {
  let lastError: unknown;
  for (const version of KUEUE_VERSIONS) {
    try {
      const list = (await custom.listNamespacedCustomObject({
        group: 'kueue.x-k8s.io',
        version,
        plural: 'workloads',
        namespace,
      })) as { items?: WorkloadObject[] };
      return { version, items: list.items ?? [] };
    } catch (err) {
      // This Kueue version is not served: try the next.
      lastError = err;
    }
  }
  throw lastError;
}

/** The Workloads owned by a JobSet, with the Kueue API version that served them. */
async function workloadsOf(
  custom: k8s.CustomObjectsApi,
  namespace: string,
  uid: string,
): Promise<{ version: string; names: string[] }> {
  const { version, items } = await listWorkloads(custom, namespace);
  const names = items
    .filter((w) => w.metadata?.ownerReferences?.some((o) => o.uid === uid))
    .map((w) => w.metadata?.name ?? '')
    .filter((n) => n !== '');
  return { version, names };
}

/**
 * Why Kueue has not admitted the JobSets it holds, by JobSet uid: the message of each Workload's
 * `QuotaReserved=False` condition (e.g. `LocalQueue q doesn't exist`, `couldn't assign flavors to
 * pod set …: insufficient quota …`). One list of the namespace's Workloads answers for every job.
 * Never throws: without Kueue's API or the right to list Workloads the map is empty, and the
 * reason a job waits stays konduktor's own.
 */
export async function admissionMessages(
  custom: k8s.CustomObjectsApi,
  namespace: string,
): Promise<Map<string, string>> {
  const messages = new Map<string, string>();
  let items: WorkloadObject[];
  try {
    ({ items } = await listWorkloads(custom, namespace));
  } catch {
    return messages;
  }
  for (const workload of items) {
    const held = workload.status?.conditions?.find(
      (c) => c.type === 'QuotaReserved' && c.status === 'False',
    );
    const message = held?.message?.trim();
    if (message === undefined || message === '') continue;
    for (const owner of workload.metadata?.ownerReferences ?? [])
      if (owner.uid !== undefined) messages.set(owner.uid, message);
  }
  return messages;
}

/**
 * Sets `spec.active` of the JobSet's Kueue Workload: `false` makes Kueue evict it (it suspends the
 * JobSet, whose pods go, and frees its quota) and never admit it again until it is `true` again.
 * Kueue owns `spec.suspend` of the JobSets it queues and undoes anyone else's change, so this is
 * the only way to hold such a job. Waits up to 15 s for Kueue to create the Workload of a JobSet
 * created just now.
 * @throws {BackendError} when the Workload cannot be found or patched (Kueue's API, RBAC).
 */
export async function setWorkloadActive(
  custom: k8s.CustomObjectsApi,
  namespace: string,
  js: JobSetObject,
  active: boolean,
  options: { readonly signal?: AbortSignal } = {},
): Promise<void> {
  const uid = js.metadata.uid;
  const name = js.metadata.name ?? '';
  const what = `${active ? 'activate' : 'deactivate'} the Kueue Workload of job ${name}`;
  if (uid === undefined) throw new BackendError(`could not ${what}: the JobSet has no uid`);
  const deadline = Date.now() + WORKLOAD_APPEAR_MS;
  for (;;) {
    let found: { version: string; names: string[] };
    try {
      found = await workloadsOf(custom, namespace, uid);
    } catch (err) {
      throw new BackendError(
        `could not ${what}: ${apiMessage(err)} (konduktor needs list and patch on workloads.kueue.x-k8s.io: docs/kubernetes.md)`,
        { cause: err },
      );
    }
    if (found.names.length > 0) {
      for (const workload of found.names) {
        try {
          await custom.patchNamespacedCustomObject(
            {
              group: 'kueue.x-k8s.io',
              version: found.version,
              plural: 'workloads',
              namespace,
              name: workload,
              body: { spec: { active } },
            },
            mergePatch,
          );
        } catch (err) {
          throw new BackendError(
            `could not ${what}: ${apiMessage(err)} (konduktor needs patch on workloads.kueue.x-k8s.io: docs/kubernetes.md)`,
            { cause: err },
          );
        }
      }
      return;
    }
    if (Date.now() >= deadline)
      throw new BackendError(
        `could not ${what}: Kueue made no Workload for it within ${WORKLOAD_APPEAR_MS / 1000} s (is Kueue running, and does it manage JobSets?)`,
      );
    await sleep(WORKLOAD_RETRY_MS, undefined, options.signal ? { signal: options.signal } : {});
  }
}

/**
 * Takes a job konduktor ended (cancelled, failed to pull its image) from Kueue: its Workload is
 * deactivated, so Kueue never resumes it and frees its quota. Best effort: without Kueue's API or
 * the right to patch Workloads, the JobSet stays suspended only until Kueue admits it.
 */
export async function deactivateWorkload(
  custom: k8s.CustomObjectsApi,
  namespace: string,
  js: JobSetObject,
): Promise<void> {
  await setWorkloadActive(custom, namespace, js, false).catch(() => undefined);
}
