// Helpers for the tests that run against the real local cluster (scripts/cluster/up.sh).
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment --
   client-node 1.x models are plain-data classes; object literals are how its own docs build them */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as k8s from '@kubernetes/client-node';

/** Where scripts/cluster/up.sh writes the admin kubeconfig (server https://127.0.0.1:16443). */
export const defaultKubeconfigPath = join(
  homedir(),
  '.cache',
  'konduktor',
  'cluster',
  'admin.kubeconfig',
);

/** The workload image built by scripts/cluster/build.sh: bash, coreutils, python3. */
export const WORKLOAD_IMAGE = 'konduktor.local/workload:1';

export interface Cluster {
  kc: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  custom: k8s.CustomObjectsApi;
}

export function kubeconfigPath(): string {
  return process.env['KONDUKTOR_TEST_KUBECONFIG'] ?? defaultKubeconfigPath;
}

export function connect(): Cluster {
  const path = kubeconfigPath();
  if (!existsSync(path)) {
    throw new Error(`no kubeconfig at ${path}: start the cluster with \`npm run cluster:up\``);
  }
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(path);
  return {
    kc,
    core: kc.makeApiClient(k8s.CoreV1Api),
    custom: kc.makeApiClient(k8s.CustomObjectsApi),
  };
}

/** Poll `fn` until it returns a value other than undefined, or fail after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 120_000,
  intervalMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await sleep(intervalMs);
  }
}

/** Create a fresh namespace and wait until its default ServiceAccount exists (pods need it). */
export async function createNamespace(c: Cluster, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await c.core.createNamespace({ body: { metadata: { name } } });
  await waitFor(`serviceaccount default in ${name}`, async () => {
    await c.core.readNamespacedServiceAccount({ name: 'default', namespace: name });
    return true;
  });
  return name;
}

export async function deleteNamespace(c: Cluster, name: string): Promise<void> {
  await c.core.deleteNamespace({ name, propagationPolicy: 'Background' }).catch(() => undefined);
}

/** Wait until the pod's first container has terminated; returns the pod. */
export async function waitForTerminated(
  c: Cluster,
  namespace: string,
  name: string,
  timeoutMs = 120_000,
): Promise<k8s.V1Pod> {
  return waitFor(
    `pod ${namespace}/${name} to terminate`,
    async () => {
      const pod = await c.core.readNamespacedPod({ name, namespace });
      const phase = pod.status?.phase;
      const terminated = pod.status?.containerStatuses?.[0]?.state?.terminated;
      return (phase === 'Succeeded' || phase === 'Failed') && terminated ? pod : undefined;
    },
    timeoutMs,
  );
}

export function terminatedState(pod: k8s.V1Pod): k8s.V1ContainerStateTerminated {
  const t = pod.status?.containerStatuses?.[0]?.state?.terminated;
  if (!t) throw new Error(`pod ${pod.metadata?.name ?? '?'} has no terminated container`);
  return t;
}
