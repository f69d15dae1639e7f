/**
 * Client plumbing shared by the Kubernetes backend's modules: loading the kubeconfig (the
 * connection), reading the API's errors, the merge-patch header.
 * @module
 */
import { existsSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { BackendError, isKonduktorError } from '../../errors.js';

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
 * The kubeconfig (`options.kubeconfig`, else `$KUBECONFIG` or `~/.kube/config`, else in a pod
 * its ServiceAccount's in-cluster config) at the context asked for, and the namespace to use
 * (asked for, else the context's, which in a pod is the pod's own, else `default`).
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
