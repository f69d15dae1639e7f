/**
 * Metrics (issue 16), three figures from one run:
 *
 * 1. Write → seen: how long from a job's write of a metric line to `job.metrics({ follow: true })`
 *    yielding it, on the local backend and on Kubernetes (the shared test cluster, when its
 *    kubeconfig exists). A job writes 100 lines 50 ms apart, each carrying its write time; the
 *    follower notes when it sees each (the pod and this process share the machine's clock).
 * 2. The ASHA sweep beside the unpruned one, one after the other: 30 trials of a Python learning
 *    curve (20 steps of 0.15 s, x sets the floor, lr the speed), parallelism 4, seed 1: total
 *    trial-steps run and wall time.
 *
 * Run: `node --import tsx bench/metrics.ts` (about 3 minutes).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as k8s from '@kubernetes/client-node';
import type { Backend } from '../src/backends/backend.js';
import { KubernetesBackend } from '../src/backends/kubernetes/kubernetes-backend.js';
import { LocalBackend } from '../src/backends/local/local-backend.js';
import { Job } from '../src/job/job.js';
import { sweep } from '../src/sweep/run.js';
import type { TaskSpec } from '../src/task/types.js';
import { percentile } from './stats.js';

const LINES = 100;
const KUBECONFIG =
  process.env['KONDUKTOR_TEST_KUBECONFIG'] ??
  join(homedir(), '.cache', 'konduktor', 'cluster', 'admin.kubeconfig');

const WRITER = [
  'import json, os, time',
  "path = os.path.join(os.environ['KONDUKTOR_OUTPUT_DIR'], 'metrics.jsonl')",
  'time.sleep(2)',
  `for step in range(${LINES}):`,
  "    with open(path, 'a') as f:",
  "        f.write(json.dumps({'step': step, 'written_ms': time.time() * 1000}) + '\\n')",
  '    time.sleep(0.05)',
].join('\n');

const CURVE = String.raw`
import json, math, os, time
x = float(os.environ['X'])
u = (math.log10(float(os.environ['LR'])) + 3) / 3
tau = 3.0 + 1.0 * (1 - u)
floor = (x - 0.3) ** 2 + 0.1
out = os.environ['KONDUKTOR_OUTPUT_DIR']
for step in range(1, 21):
    time.sleep(0.15)
    loss = floor + (2.0 - floor) * math.exp(-step / tau)
    with open(os.path.join(out, 'metrics.jsonl'), 'a') as f:
        f.write(json.dumps({'step': step, 'val_loss': loss}) + '\n')
    with open(os.environ['STEPS_LOG'], 'a') as f:
        f.write('%d\n' % step)
with open(os.path.join(out, 'result.json'), 'w') as f:
    f.write(json.dumps({'val_loss': loss}))
`;

function spec(run: string, imageId?: string): TaskSpec {
  return {
    name: 'metrics-latency',
    run,
    envs: {},
    numNodes: 1,
    fileMounts: {},
    resources: {
      labels: {},
      maxRestarts: 0,
      cpus: 0.1,
      memory: 0.1,
      ...(imageId === undefined ? {} : { imageId }),
    },
  };
}

/** Launches the writer and returns each line's write → seen lag, in ms. */
async function lags(backend: Backend, imageId?: string): Promise<number[]> {
  const job = new Job(
    await backend.submit(spec(`python3 -c '${WRITER.replaceAll("'", "'\\''")}'`, imageId)),
    backend,
  );
  const seen: number[] = [];
  for await (const point of job.metrics({ follow: true, timeout: '300s' })) {
    const written = point.values['written_ms'];
    if (written !== undefined) seen.push(Date.now() - written);
  }
  return seen;
}

function latencyLine(where: string, seen: readonly number[]): string {
  return (
    `write → seen by job.metrics({ follow: true }), ${where}, ${seen.length} lines 50 ms apart: ` +
    `p50 ${percentile(seen, 50).toFixed(0)} ms, p95 ${percentile(seen, 95).toFixed(0)} ms, ` +
    `max ${Math.max(...seen).toFixed(0)} ms`
  );
}

async function kubernetesLags(): Promise<number[] | undefined> {
  if (!existsSync(KUBECONFIG)) return undefined;
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(KUBECONFIG);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const namespace = `konduktor-bench-metrics-${Math.random().toString(16).slice(2, 8)}`;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- client-node models are plain data
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  try {
    for (let i = 0; i < 100; i += 1) {
      try {
        await core.readNamespacedServiceAccount({ name: 'default', namespace });
        break;
      } catch {
        await sleep(200);
      }
    }
    const backend = await KubernetesBackend.connect({
      home: '/nonexistent',
      kubeconfig: KUBECONFIG,
      namespace,
    });
    try {
      return await lags(backend, 'konduktor.local/workload:1');
    } finally {
      await backend.close();
    }
  } finally {
    await core.deleteNamespace({ name: namespace, propagationPolicy: 'Background' });
  }
}

async function sweepFigures(work: string, home: string): Promise<string[]> {
  const script = join(work, 'curve.py');
  writeFileSync(script, CURVE);
  const lines: string[] = [];
  for (const pruner of [undefined, { type: 'asha' as const, minResource: 1, reductionFactor: 3 }]) {
    const label = pruner === undefined ? 'none' : 'asha';
    const steps = join(work, `steps-${label}.log`);
    writeFileSync(steps, '');
    const started = Date.now();
    const result = await sweep(
      {
        name: `bench-curves-${label}`,
        task: { name: 'curve', run: `python3 ${script}`, envs: { STEPS_LOG: steps } },
        parameters: {
          x: { type: 'uniform', low: 0, high: 1 },
          lr: { type: 'loguniform', low: 0.001, high: 1 },
        },
        objective: 'val_loss',
        trials: 30,
        parallelism: 4,
        sampler: 'random',
        seed: 1,
        ...(pruner === undefined ? {} : { pruner }),
      },
      { home, outputDir: false },
    );
    const seconds = (Date.now() - started) / 1000;
    const count = readFileSync(steps, 'utf8').trim().split('\n').length;
    const pruned = result.trials.filter((t) => t.state === 'pruned').length;
    lines.push(
      `sweep of 30 trials × 20 steps, pruner ${label}: ${count} trial-steps, ${seconds.toFixed(1)} s, ` +
        `${pruned} pruned, best ${result.best?.value?.toFixed(4) ?? '-'}`,
    );
  }
  return lines;
}

const work = mkdtempSync(join(tmpdir(), 'konduktor-bench-metrics-'));
const home = join(work, 'home');
const local = new LocalBackend({ home });
try {
  console.log(latencyLine('local', await lags(local)));
  const remote = await kubernetesLags();
  console.log(
    remote === undefined
      ? `kubernetes: skipped, no cluster (${KUBECONFIG})`
      : latencyLine('kubernetes', remote),
  );
  for (const line of await sweepFigures(work, home)) console.log(line);
} finally {
  await local.close();
  rmSync(work, { recursive: true, force: true });
}
