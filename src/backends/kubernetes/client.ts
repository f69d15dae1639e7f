/**
 * Client plumbing shared by the Kubernetes backend's modules: the process-wide informers, reading
 * the API's errors, and the Kueue Workload a cancel deactivates.
 * @module
 */
import { existsSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { BackendError, isKonduktorError } from '../../errors.js';
import { NamespaceInformers } from './informers.js';
import type { JobSetObject } from './types.js';

/** Informers shared by every backend of this process, per API server, user and namespace. */
const sharedInformers = new Map<string, { informers: NamespaceInformers; users: number }>();

/**
 * The informers of a namespace, shared by every backend of this process on the same API server and
 * user; give them back with {@link releaseInformers}.
 */
export function acquireInformers(kc: k8s.KubeConfig, namespace: string): NamespaceInformers {
  const key = JSON.stringify([
    kc.getCurrentCluster()?.server,
    kc.getCurrentUser()?.name,
    namespace,
  ]);
  let entry = sharedInformers.get(key);
  if (entry === undefined) {
    entry = { informers: new NamespaceInformers(kc, namespace), users: 0 };
    sharedInformers.set(key, entry);
  }
  entry.users += 1;
  const { informers } = entry;
  return informers;
}

/** Gives back informers from {@link acquireInformers}; the last user stops them. */
export function releaseInformers(informers: NamespaceInformers): void {
  for (const [key, entry] of sharedInformers) {
    if (entry.informers !== informers) continue;
    entry.users -= 1;
    if (entry.users <= 0) {
      entry.informers.stop();
      sharedInformers.delete(key);
    }
  }
}

/** The HTTP status of a client error, when it has one. */
export function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'number') return code;
  const statusCode = (err as { statusCode?: unknown }).statusCode;
  return typeof statusCode === 'number' ? statusCode : undefined;
}

/** The API's own message of a client error. */
export function apiMessage(err: unknown): string {
  if (err instanceof k8s.ApiException) {
    const body: unknown = err.body;
    if (typeof body === 'string') {
      try {
        const parsed = JSON.parse(body) as { message?: unknown };
        if (typeof parsed.message === 'string') return parsed.message;
      } catch {
        return body.slice(0, 500);
      }
    }
    if (typeof body === 'object' && body !== null) {
      const message = (body as { message?: unknown }).message;
      if (typeof message === 'string') return message;
    }
    return `HTTP ${err.code}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** Request options for a JSON merge patch. */
export const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

/**
 * Kueue owns `spec.suspend` of the JobSets it queues and would resume a cancelled one on
 * admission: its Workload is deactivated (`spec.active: false`) as the original's `stop` does.
 * Best effort: without Kueue's API or the right to patch Workloads, the JobSet stays suspended
 * only until Kueue admits it.
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

/**
 * The kubeconfig (`options.kubeconfig`, else `$KUBECONFIG` or `~/.kube/config`) at the context
 * asked for, and the namespace to use (asked for, else the context's, else `default`).
 * @throws {BackendError} when the file, the context or its cluster is missing or unreadable.
 */
export function loadKubeConfig(options: {
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly namespace?: string;
}): { kc: k8s.KubeConfig; namespace: string } {
  const kc = new k8s.KubeConfig();
  try {
    if (options.kubeconfig !== undefined) {
      if (!existsSync(options.kubeconfig))
        throw new BackendError(`no kubeconfig at ${options.kubeconfig}`);
      kc.loadFromFile(options.kubeconfig);
    } else {
      kc.loadFromDefault();
    }
  } catch (err) {
    if (isKonduktorError(err)) throw err;
    throw new BackendError(`could not read the kubeconfig: ${apiMessage(err)}`, { cause: err });
  }
  if (options.context !== undefined) {
    if (kc.getContextObject(options.context) === null) {
      const known = kc.getContexts().map((c) => c.name);
      throw new BackendError(
        `no context ${JSON.stringify(options.context)} in the kubeconfig (contexts: ${known.join(', ') || 'none'})`,
      );
    }
    kc.setCurrentContext(options.context);
  }
  if (kc.getCurrentCluster() === null) {
    throw new BackendError(
      'the kubeconfig names no cluster: set KUBECONFIG, or pass --context (see docs/kubernetes.md)',
    );
  }
  const namespace =
    options.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
  return { kc, namespace };
}
