/**
 * Kubernetes benchmarks of issue 14, against the local cluster (`npm run cluster:up`). Alone:
 * `node --import tsx bench/kubernetes-scale.ts [floor|scale]... [--repeats N]` (both by default;
 * the floor's two kinds of run are repeated N times, 3 by default, each with its load average).
 *
 * 1. The latency floor. Per job, three times on one clock: the job's own end (`date +%s%3N`, its
 *    last command), when a plain pod watch of this process first sees rank 0's container
 *    terminated (what the kubelet and the API make visible: nobody can know earlier), and when
 *    `result()` returns. konduktor's part is watch-seen → result; the kubelet's is end → seen.
 * 2. A sweep at scale: 100 trivial trials at parallelism 20, konduktor (`submit` + `result()`)
 *    beside a plain client loop that creates the same JobSets (konduktor's manifests) and waits on
 *    one pod watch for their rank 0 pod to end, in the same run: wall time and API requests per
 *    trial.
 */
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import type { Backend } from '../src/backends/backend.js';
import {
  KubernetesBackend,
  type KubernetesBackendInstance,
} from '../src/backends/kubernetes/kubernetes-backend.js';
import { buildJobSet, JOBSET_API, LABELS } from '../src/backends/kubernetes/manifests.js';
import { Job } from '../src/job/job.js';
import { makeJobName } from '../src/task/naming.js';
import { countRequests, KUBECONFIG, requestTotals, spec, withNamespace } from './kubernetes.js';
import { percentile } from './stats.js';

const ms = (v: number): string => `${Math.round(v)} ms`;

/** A pod watch of its own: the first time each job's rank 0 container is seen terminated. */
function watchTerminations(
  kc: k8s.KubeConfig,
  namespace: string,
): { seen: Map<string, number>; waitFor: (job: string) => Promise<number>; stop: () => void } {
  const seen = new Map<string, number>();
  const waiters = new Map<string, (at: number) => void>();
  let request: { abort: () => void } | undefined;
  void new k8s.Watch(kc)
    .watch(
      `/api/v1/namespaces/${namespace}/pods`,
      { labelSelector: `${LABELS.managed}=true` },
      (_type: string, pod: k8s.V1Pod) => {
        const job = pod.metadata?.labels?.[LABELS.job];
        const rank = pod.metadata?.labels?.['batch.kubernetes.io/job-completion-index'];
        if (job === undefined || rank !== '0' || seen.has(job)) return;
        if (pod.status?.containerStatuses?.some((s) => s.state?.terminated) !== true) return;
        const at = Date.now();
        seen.set(job, at);
        waiters.get(job)?.(at);
      },
      () => undefined,
    )
    .then((r: { abort: () => void }) => {
      request = r;
    });
  return {
    seen,
    waitFor: (job) =>
      new Promise((resolve) => {
        const at = seen.get(job);
        if (at !== undefined) resolve(at);
        else waiters.set(job, resolve);
      }),
    stop: () => request?.abort(),
  };
}

async function connect(namespace: string): Promise<Backend & KubernetesBackendInstance> {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- connect returns the class behind the interface
  return (await KubernetesBackend.connect({
    home: '/nonexistent',
    kubeconfig: KUBECONFIG,
    namespace,
  })) as Backend & KubernetesBackendInstance;
}

/** The 1-minute load average, with one decimal. */
const load = (): string => loadavg()[0]?.toFixed(1) ?? '?';

/**
 * Markdown rows of the latency floor benchmark: `repeats` times (default 3, argument `--repeats N`)
 * 20 jobs 4 at a time, then 10 jobs one at a time, each row with the load average before and
 * after it, then one row per kind over every repeat.
 */
export async function floorBenchmark(repeats = 3): Promise<string[]> {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(KUBECONFIG);
  return withNamespace(async (namespace) => {
    const backend = await connect(namespace);
    const watch = watchTerminations(kc, namespace);
    const rows: string[] = [];
    try {
      const run = `sleep 2; echo "{\\"end\\": $(date +%s%3N)}" > "$KONDUKTOR_OUTPUT_DIR/result.json"`;
      const measure = async (): Promise<Sample> => {
        const job = new Job(await backend.submit(spec(run, 'floor')), backend);
        const value = await job.result<{ end: number }>({ timeout: '5m' });
        const returned = Date.now();
        const seenAt = await watch.waitFor(job.name);
        return { floor: seenAt - value.end, added: returned - seenAt, total: returned - value.end };
      };
      const kinds = [
        ['20 jobs, 4 at a time', 5, 4],
        ['10 jobs, one at a time', 10, 1],
      ] as const;
      const all = new Map<string, Sample[]>();
      for (let repeat = 1; repeat <= repeats; repeat += 1) {
        for (const [label, rounds, width] of kinds) {
          const before = load();
          const samples: Sample[] = [];
          for (let round = 0; round < rounds; round += 1)
            samples.push(...(await Promise.all(Array.from({ length: width }, measure))));
          all.set(label, [...(all.get(label) ?? []), ...samples]);
          rows.push(floorRow(`${label} (repeat ${repeat})`, samples, `${before} → ${load()}`));
        }
      }
      for (const [label] of kinds)
        rows.push(floorRow(`**${label}, all ${repeats} repeats**`, all.get(label) ?? [], ''));
    } finally {
      watch.stop();
      await backend.close();
    }
    return rows;
  });
}

/** One job's times (ms): end of run → watch saw it ended, seen → result(), end → result(). */
interface Sample {
  floor: number;
  added: number;
  total: number;
}

function floorRow(label: string, samples: readonly Sample[], loads: string): string {
  const p = (key: keyof Sample, q: number): number =>
    percentile(
      samples.map((s) => s[key]),
      q,
    );
  const both = (key: keyof Sample): string => `${ms(p(key, 50))} / ${ms(p(key, 95))}`;
  return `| ${label} | ${both('total')} | ${both('floor')} | ${both('added')} | ${loads} |`;
}

/** Runs `work` over `items`, at most `width` at once. */
async function pool<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const item = items[next] as T;
        next += 1;
        await work(item);
      }
    }),
  );
}

/** Markdown rows of the scale benchmark: 100 trials at parallelism 20, konduktor and plain. */
export async function scaleBenchmark(trials = 100, width = 20): Promise<string[]> {
  countRequests();
  const trialRun = `echo "{\\"trial\\": $KONDUKTOR_JOB_NAME}" > /dev/null; echo '{"loss": 0.5}' > "$KONDUKTOR_OUTPUT_DIR/result.json"`;
  const rows: string[] = [];
  const ids = Array.from({ length: trials }, (_, i) => i);

  const loadBefore = load();
  const konduktor = await withNamespace(async (namespace) => {
    const backend = await connect(namespace);
    try {
      const before = requestTotals();
      const t0 = performance.now();
      await pool(ids, width, async () => {
        const job = new Job(await backend.submit(spec(trialRun, 'trial')), backend);
        await job.result({ timeout: '10m' });
      });
      const wall = performance.now() - t0;
      const after = requestTotals();
      return { wall, api: after.api - before.api, streams: after.streams - before.streams };
    } finally {
      await backend.close();
    }
  });

  const plain = await withNamespace(async (namespace) => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(KUBECONFIG);
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const before = requestTotals();
    const t0 = performance.now();
    const watch = watchTerminations(kc, namespace);
    try {
      await pool(ids, width, async () => {
        const name = makeJobName('trial');
        await custom.createNamespacedCustomObject({
          ...JOBSET_API,
          namespace,
          body: buildJobSet(spec(trialRun, 'trial'), { name, namespace, user: 'bench' }),
        });
        await watch.waitFor(name);
      });
    } finally {
      watch.stop();
    }
    const wall = performance.now() - t0;
    const after = requestTotals();
    return { wall, api: after.api - before.api, streams: after.streams - before.streams };
  });

  const loads = `${loadBefore} → ${load()}`;
  const per = (n: number): string => (n / trials).toFixed(2);
  rows.push(
    `| ${trials} trials at parallelism ${width}: wall time | ${(konduktor.wall / 1000).toFixed(1)} s | ${(plain.wall / 1000).toFixed(1)} s | ${(konduktor.wall / plain.wall).toFixed(2)}x | ${loads} |`,
    `| the same: API requests per trial (watch streams in all) | ${per(konduktor.api)} (${konduktor.streams}) | ${per(plain.api)} (${plain.streams}) | +${per(konduktor.api - plain.api)} per trial | ${loads} |`,
  );
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--repeats');
  const repeats = at >= 0 ? Number(args[at + 1]) : 3;
  const which = args.filter((a, i) => a !== '--repeats' && args[i - 1] !== '--repeats');
  const all = which.length === 0;
  if (all || which.includes('floor')) {
    const rows = await floorBenchmark(repeats);
    process.stdout.write(
      `| jobs | end of run → result(), p50 / p95 | end of run → pod seen terminated by a watch (the floor) | seen → result() (konduktor's part) | load (1 min) |\n|---|---|---|---|---|\n${rows.join('\n')}\n\n`,
    );
  }
  if (all || which.includes('scale')) {
    const rows = await scaleBenchmark();
    process.stdout.write(
      `| measured | konduktor | plain client loop (same run) | ratio | load (1 min) |\n|---|---|---|---|---|\n${rows.join('\n')}\n`,
    );
  }
}
