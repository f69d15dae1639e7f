// The loss case of a durable outcome, shared by the tests of the recorder (as a process beside the
// cluster, and as a Deployment in it): `launch -d`, then rank 0's pod deleted the moment it ends,
// with no konduktor client running in between.
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { type RunningCli, runCli, startCli } from '../support/cli.js';
import type { Cluster } from './cluster.js';

/** Where and as whom the CLI runs: its home, its environment, its target flags. */
export interface CliTarget {
  readonly home: string;
  readonly env: Record<string, string>;
  readonly flags: readonly string[];
}

/**
 * Watches a job's pods and deletes rank 0's pod (grace 0) as soon as a watch event shows its
 * container terminated; resolves with the pod's name once deleted.
 */
export function deleteRank0WhenItEnds(
  cluster: Cluster,
  namespace: string,
  job: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let request: { abort: () => void } | undefined;
    const timer = setTimeout(() => {
      request?.abort();
      reject(new Error(`rank 0 of ${job} did not end`));
    }, 180_000);
    void new k8s.Watch(cluster.kc)
      .watch(
        `/api/v1/namespaces/${namespace}/pods`,
        { labelSelector: `konduktor.dev/job=${job}` },
        (_type: string, pod: k8s.V1Pod) => {
          const ended = pod.status?.containerStatuses?.some((s) => s.state?.terminated);
          const rank = pod.metadata?.labels?.['batch.kubernetes.io/job-completion-index'];
          if (ended !== true || rank !== '0' || pod.metadata?.deletionTimestamp) return;
          const name = pod.metadata?.name ?? '';
          clearTimeout(timer);
          request?.abort();
          cluster.core
            .deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 })
            .then(() => resolve(name), reject);
        },
        (err: unknown) => {
          // The watch ends with an abort once the pod is deleted; anything else is an error.
          if (err instanceof Error && !/abort/i.test(err.message)) reject(err);
        },
      )
      .then((r: { abort: () => void }) => {
        request = r;
      }, reject);
  });
}

/** `konduktor launch TASK -d -y`: the job's name (`<prefix>-xxxx`) once the launch has exited. */
export async function launchDetached(
  target: CliTarget,
  task: string,
  prefix: string,
): Promise<string> {
  const launched = await runCli(['launch', task, '-d', '-y', ...target.flags], target);
  assert.equal(launched.code, 0, launched.stderr);
  const name = new RegExp(`\\b(${prefix}-[0-9a-f]{4})\\b`).exec(
    launched.stdout + launched.stderr,
  )?.[1];
  assert.ok(name !== undefined, launched.stdout + launched.stderr);
  return name;
}

/** `konduktor launch TASK --wait -y --json`: the job's name once it succeeded (3 min at most). */
export async function launchWaited(target: CliTarget, task: string): Promise<string> {
  const launched = await runCli(['launch', task, '--wait', '-y', '--json', ...target.flags], {
    ...target,
    timeoutMs: 180_000,
  });
  assert.equal(launched.code, 0, launched.stderr);
  return (JSON.parse(launched.stdout) as { job: string }).job;
}

/** The job's status as `konduktor status --json` gives it (`absent` when it is not listed). */
export async function statusOf(target: CliTarget, name: string): Promise<string> {
  const status = await runCli(['status', '--json', ...target.flags], target);
  assert.equal(status.code, 0, status.stderr);
  const jobs = JSON.parse(status.stdout) as { name: string; status: string }[];
  return jobs.find((j) => j.name === name)?.status ?? 'absent';
}

/**
 * Runs `fn` while `konduktor recorder --namespace NAMESPACE` runs (as a process beside the
 * cluster, started once it says it records), then stops it with SIGTERM and checks it exits 0.
 */
export async function withRecorder<T>(
  target: Omit<CliTarget, 'flags'>,
  namespace: string,
  fn: (recorder: RunningCli) => Promise<T>,
): Promise<T> {
  // The recorder runs on Kubernetes only: it takes no --backend.
  const recorder = startCli(['recorder', '--namespace', namespace], {
    home: target.home,
    env: target.env,
    timeoutMs: 600_000,
  });
  try {
    await recorder.waitFor('stderr', /recording outcomes/);
    return await fn(recorder);
  } finally {
    recorder.child.kill('SIGTERM');
    const done = await recorder.done;
    assert.equal(done.code, 0, done.stderr);
  }
}
