// Helpers for the tests that run against the real local cluster (scripts/cluster/up.sh).
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment --
   client-node 1.x models are plain-data classes; object literals are how its own docs build them */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import type { Backend } from '../../src/backends/backend.js';
import { KubernetesBackend } from '../../src/backends/kubernetes/kubernetes-backend.js';
import { waitFor } from '../support/common.js';

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

/**
 * Where pods reach the API server on the test cluster: the node IP (`NODE_IP`, `API_PORT` in
 * scripts/cluster/lib.sh). The cluster has no kube-proxy, so the `kubernetes` Service's ClusterIP
 * that in-cluster clients use by default does not route.
 */
export const IN_CLUSTER_API = { host: '10.200.0.1', port: 6443 } as const;

/** The JobSet API the test cluster serves (its custom-object coordinates). */
export const JOBSET = { group: 'jobset.x-k8s.io', version: 'v1alpha2', plural: 'jobsets' } as const;

export interface Cluster {
  kc: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  custom: k8s.CustomObjectsApi;
}

/**
 * A JobSet of the test cluster as JSON, in the shape the caller reads (`T`: only the fields it
 * looks at). Rejects as the API does (404 once the JobSet is gone).
 */
export async function getJobSet<T = unknown>(
  c: Cluster,
  namespace: string,
  name: string,
): Promise<T> {
  return (await c.custom.getNamespacedCustomObject({ ...JOBSET, namespace, name })) as T;
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

export { waitFor };

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

/** Waits until the JobSet of a konduktor job says it is terminal; returns its terminal state. */
export async function waitForTerminalJobSet(
  c: Cluster,
  namespace: string,
  name: string,
  timeoutMs = 120_000,
): Promise<string> {
  return waitFor(
    `JobSet ${namespace}/${name} to be terminal`,
    async () => {
      const js = await getJobSet<{ status?: { terminalState?: string } }>(c, namespace, name);
      return js.status?.terminalState;
    },
    timeoutMs,
  );
}

/** Deletes a konduktor job's Jobs and pods at once (as by hand) and waits until they are gone. */
export async function deleteJobPods(
  c: Cluster,
  namespace: string,
  name: string,
  timeoutMs = 120_000,
): Promise<void> {
  const selector = `konduktor.dev/job=${name}`;
  await deleteJobsAndPods(c, namespace, selector);
  await waitForNoPods(c, namespace, selector, timeoutMs);
}

/** Deletes the Jobs and pods a label selector matches (pods at once), without waiting. */
export async function deleteJobsAndPods(
  c: Cluster,
  namespace: string,
  selector: string,
): Promise<void> {
  await c.kc.makeApiClient(k8s.BatchV1Api).deleteCollectionNamespacedJob({
    namespace,
    labelSelector: selector,
    propagationPolicy: 'Background',
  });
  await c.core.deleteCollectionNamespacedPod({
    namespace,
    labelSelector: selector,
    gracePeriodSeconds: 0,
  });
}

/** Waits until no pod matches the label selector. */
export async function waitForNoPods(
  c: Cluster,
  namespace: string,
  selector: string,
  timeoutMs = 120_000,
): Promise<void> {
  await waitFor(
    `no pods ${selector} in ${namespace}`,
    async () => {
      const pods = await c.core.listNamespacedPod({ namespace, labelSelector: selector });
      return pods.items.length === 0 ? true : undefined;
    },
    timeoutMs,
  );
}

/** A namespace of a test file's own, and a Kubernetes backend on it. */
export interface NamespaceContext {
  readonly cluster: Cluster;
  readonly namespace: string;
  readonly backend: Backend;
}

/**
 * Makes a fresh namespace and a backend on it before the enclosing suite's tests (handing them to
 * `ready`), and closes the backend and deletes the namespace after them.
 */
export function withNamespace(
  prefix: string,
  home: string,
  ready: (context: NamespaceContext) => void,
): void {
  let context: NamespaceContext | undefined;
  before(async () => {
    const cluster = connect();
    const namespace = await createNamespace(cluster, prefix);
    const backend = await KubernetesBackend.connect({
      home,
      kubeconfig: kubeconfigPath(),
      namespace,
    });
    context = { cluster, namespace, backend };
    ready(context);
  });
  after(async () => {
    if (context === undefined) return;
    await context.backend.close();
    await deleteNamespace(context.cluster, context.namespace);
  });
}
