/**
 * Kubernetes benchmarks against the local cluster (`npm run cluster:up`), each beside a baseline
 * in the same run: the Python original's way of waiting, one loop per job polling the JobSet every
 * 5 s and then reading the pods. Called from bench/run.ts; alone: `node --import tsx
 * bench/kubernetes.ts`.
 *
 * 1. Latency from the end of the reporter's run to `result()` returning, p50/p95 over 20 jobs. The
 *    job writes its own end time (`date +%s%3N`, milliseconds; the pod's `finishedAt` has whole
 *    seconds only) as its last command, so the container ends a few milliseconds later.
 * 2. 50 concurrent `result()` waits in one process: watch connections opened and API requests per
 *    second while they wait, against 50 polling loops on the same jobs.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import type { Backend } from '../src/backends/backend.js';
import {
  KubernetesBackend,
  type KubernetesBackendInstance,
} from '../src/backends/kubernetes/kubernetes-backend.js';
import { JOBSET_API, LABELS } from '../src/backends/kubernetes/manifests.js';
import { Job } from '../src/job/job.js';
import type { TaskSpec } from '../src/task/types.js';
import { percentile } from './stats.js';

export const KUBECONFIG =
  process.env['KONDUKTOR_TEST_KUBECONFIG'] ??
  join(homedir(), '.cache', 'konduktor', 'cluster', 'admin.kubeconfig');
export const IMAGE = 'konduktor.local/workload:1';
const POLL_MS = 5000;

/** Requests counted per KubeConfig instance: API calls and watch/log streams apart. */
const counts = new WeakMap<k8s.KubeConfig, { api: number; streams: number }>();
let totalApi = 0;
let totalStreams = 0;
let patched = false;

/** Requests counted so far by every KubeConfig of this process: API calls and watch/log streams. */
export function requestTotals(): { api: number; streams: number } {
  return { api: totalApi, streams: totalStreams };
}

/** Starts counting the requests of every KubeConfig of this process (once). */
export function countRequests(): void {
  if (patched) return;
  patched = true;
  const proto = k8s.KubeConfig.prototype;
  /* eslint-disable @typescript-eslint/unbound-method -- wrapped and called with the instance */
  const api = proto.applySecurityAuthentication;
  const streams = proto.applyToFetchOptions;
  /* eslint-enable @typescript-eslint/unbound-method */
  proto.applySecurityAuthentication = function (this: k8s.KubeConfig, ...args) {
    totalApi += 1;
    const c = counts.get(this);
    if (c !== undefined) c.api += 1;
    return api.apply(this, args);
  };
  proto.applyToFetchOptions = function (this: k8s.KubeConfig, ...args) {
    totalStreams += 1;
    const c = counts.get(this);
    if (c !== undefined) c.streams += 1;
    return streams.apply(this, args);
  };
}

/** A one-node task of the workload image with tiny resources. */
export function spec(run: string, name = 'bench'): TaskSpec {
  return {
    name,
    run,
    envs: {},
    numNodes: 1,
    fileMounts: {},
    resources: { labels: {}, maxRestarts: 0, cpus: 0.01, memory: 0.02, imageId: IMAGE },
  };
}

interface JobSetLite {
  status?: { terminalState?: string };
}

/**
 * The original's wait: sleep 2 s, then every 5 s GET the JobSet until it is terminal, then read
 * rank 0's pod (its termination message).
 */
async function pollLikeTheOriginal(
  custom: k8s.CustomObjectsApi,
  core: k8s.CoreV1Api,
  namespace: string,
  name: string,
): Promise<number> {
  await sleep(2000);
  for (;;) {
    const js = (await custom.getNamespacedCustomObject({
      ...JOBSET_API,
      namespace,
      name,
    })) as JobSetLite;
    if (js.status?.terminalState !== undefined) {
      await core.listNamespacedPod({ namespace, labelSelector: `${LABELS.job}=${name}` });
      return Date.now();
    }
    await sleep(POLL_MS);
  }
}

const ms = (v: number): string => `${Math.round(v)} ms`;

/** Runs `fn` in a fresh namespace of the test cluster, deleted afterwards. */
export async function withNamespace<T>(fn: (namespace: string) => Promise<T>): Promise<T> {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(KUBECONFIG);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const namespace = `konduktor-bench-${Math.random().toString(16).slice(2, 8)}`;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- client-node models are plain data
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  for (let i = 0; i < 100; i += 1) {
    try {
      await core.readNamespacedServiceAccount({ name: 'default', namespace });
      break;
    } catch {
      await sleep(200);
    }
  }
  try {
    return await fn(namespace);
  } finally {
    await core.deleteNamespace({ name: namespace, propagationPolicy: 'Background' });
  }
}

/** Markdown table rows: `| benchmark | konduktor | baseline (same run) | ratio |`. */
export async function kubernetesBenchmark(): Promise<string[]> {
  if (!existsSync(KUBECONFIG)) return [`| kubernetes | skipped: no cluster (${KUBECONFIG}) | | |`];
  countRequests();
  const pollKc = new k8s.KubeConfig();
  pollKc.loadFromFile(KUBECONFIG);
  const pollCounts = { api: 0, streams: 0 };
  counts.set(pollKc, pollCounts);
  const custom = pollKc.makeApiClient(k8s.CustomObjectsApi);
  const core = pollKc.makeApiClient(k8s.CoreV1Api);
  const rows: string[] = [];

  await withNamespace(async (namespace) => {
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- connect returns the class behind the interface
    const backend = (await KubernetesBackend.connect({
      home: '/nonexistent',
      kubeconfig: KUBECONFIG,
      namespace,
    })) as Backend & KubernetesBackendInstance;
    try {
      // 1. Latency, 20 jobs, 4 at a time (the node has 2 cores).
      const ours: number[] = [];
      const theirs: number[] = [];
      const run = `sleep 3; echo "{\\"end\\": $(date +%s%3N)}" > "$KONDUKTOR_OUTPUT_DIR/result.json"`;
      for (let round = 0; round < 5; round += 1) {
        await Promise.all(
          Array.from({ length: 4 }, async () => {
            const job = new Job(await backend.submit(spec(run, 'lat')), backend);
            const [value, polled] = await Promise.all([
              job.result<{ end: number }>({ timeout: '5m' }).then((v) => ({ v, at: Date.now() })),
              pollLikeTheOriginal(custom, core, namespace, job.name),
            ]);
            ours.push(value.at - value.v.end);
            theirs.push(polled - value.v.end);
          }),
        );
      }
      for (const p of [50, 95]) {
        const a = percentile(ours, p);
        const b = percentile(theirs, p);
        rows.push(
          `| kubernetes: end of run → result() returns, p${p} (20 jobs) | ${ms(a)} | ${ms(b)} (poll every 5 s) | ${(b / a).toFixed(1)}x faster |`,
        );
      }

      // 2. 50 concurrent waits in one process, beside 50 polling loops on the same jobs.
      const names = await Promise.all(
        Array.from({ length: 50 }, () =>
          backend.submit(
            spec(`sleep 20; echo '{"ok": true}' > "$KONDUKTOR_OUTPUT_DIR/result.json"`, 'fifty'),
          ),
        ),
      );
      const stats = backend.informerStats;
      const watchesBefore = stats.watchesOpened;
      const apiBefore = totalApi - pollCounts.api;
      const streamsBefore = totalStreams - pollCounts.streams;
      const pollApiBefore = pollCounts.api;
      const t0 = performance.now();
      let peakSubscribers = 0;
      const sampler = setInterval(() => {
        peakSubscribers = Math.max(peakSubscribers, backend.informers.subscribers);
      }, 200);
      await Promise.all([
        ...names.map((name) => new Job(name, backend).result({ timeout: '10m' })),
        ...names.map((name) => pollLikeTheOriginal(custom, core, namespace, name)),
      ]);
      clearInterval(sampler);
      const seconds = (performance.now() - t0) / 1000;
      const ourApi = totalApi - pollCounts.api - apiBefore;
      const ourStreams = totalStreams - pollCounts.streams - streamsBefore;
      const pollApi = pollCounts.api - pollApiBefore;
      rows.push(
        `| kubernetes: 50 concurrent result() waits, watch connections | ${ourStreams} (${stats.watchesOpened - watchesBefore} informer watches, ${peakSubscribers} waits subscribed) | 0 (50 polling loops) | constant, not per job |`,
        `| kubernetes: 50 concurrent result() waits, API requests/s over ${seconds.toFixed(0)} s | ${(ourApi / seconds).toFixed(2)} (${ourApi} requests) | ${(pollApi / seconds).toFixed(2)} (${pollApi} requests) | ${(pollApi / Math.max(1, ourApi)).toFixed(1)}x fewer |`,
      );
    } finally {
      await backend.close();
    }
  });
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = await kubernetesBenchmark();
  process.stdout.write(
    `| benchmark | konduktor | baseline (same run) | ratio |\n|---|---|---|---|\n${rows.join('\n')}\n`,
  );
}
