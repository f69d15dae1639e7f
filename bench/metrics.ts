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
import type { Backend } from '../src/backends/backend.js';
import { KubernetesBackend } from '../src/backends/kubernetes/kubernetes-backend.js';
import { LocalBackend } from '../src/backends/local/local-backend.js';
import { Job } from '../src/job/job.js';
import { sweep } from '../src/sweep/run.js';
import type { TaskSpec } from '../src/task/types.js';
import { LEARNING_CURVE } from '../test/support/curve-sweep.js';
import { spec as kubernetesSpec, withNamespace } from './kubernetes.js';
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

/** The writer's task: the Kubernetes benchmarks' one, without its image for the local backend. */
function spec(run: string, kubernetes: boolean): TaskSpec {
  const task = kubernetesSpec(run, 'metrics-latency');
  if (kubernetes) return task;
  const { imageId: _image, ...resources } = task.resources;
  return { ...task, resources };
}

/** Launches the writer and returns each line's write → seen lag, in ms. */
async function lags(backend: Backend, kubernetes: boolean): Promise<number[]> {
  const job = new Job(
    await backend.submit(spec(`python3 -c '${WRITER.replaceAll("'", "'\\''")}'`, kubernetes)),
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
  return withNamespace(async (namespace) => {
    const backend = await KubernetesBackend.connect({
      home: '/nonexistent',
      kubeconfig: KUBECONFIG,
      namespace,
    });
    try {
      return await lags(backend, true);
    } finally {
      await backend.close();
    }
  });
}

async function sweepFigures(work: string, home: string): Promise<string[]> {
  const script = join(work, 'curve.py');
  writeFileSync(script, LEARNING_CURVE);
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
  console.log(latencyLine('local', await lags(local, false)));
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
