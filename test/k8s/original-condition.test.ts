// A JobSet launched by the Python original, its outcome recorded by the original's controller as
// the KonduktorResult condition (reference-konduktor.md §10): `konduktor result` reads each reason
// and exits as it does for the same outcome of its own jobs.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../support/cli.js';
import {
  type Cluster,
  getJobSet,
  JOBSET,
  kubeconfigPath,
  waitFor,
  withNamespace,
  WORKLOAD_IMAGE,
} from './cluster.js';

interface JobSetJson {
  metadata: { resourceVersion?: string };
  status?: { conditions?: { type: string; reason?: string; message?: string }[] };
}

/** A JobSet as the original creates it (its labels, replicated job `workers`), held suspended. */
function originalJobSet(name: string, namespace: string): object {
  return {
    apiVersion: 'jobset.x-k8s.io/v1alpha2',
    kind: 'JobSet',
    metadata: {
      name,
      namespace,
      labels: {
        'trainy.ai/job-name': name,
        'trainy.ai/konduktor-managed': 'true',
        'trainy.ai/username': 'asai',
        parent: 'trainy',
      },
      annotations: { 'kueue.x-k8s.io/maxRunDurationSeconds': '604800' },
    },
    spec: {
      suspend: true,
      replicatedJobs: [
        {
          name: 'workers',
          replicas: 1,
          template: {
            spec: {
              parallelism: 1,
              completions: 1,
              completionMode: 'Indexed',
              backoffLimit: 0,
              template: {
                spec: {
                  restartPolicy: 'Never',
                  containers: [
                    {
                      name: 'konduktor-container',
                      image: WORKLOAD_IMAGE,
                      imagePullPolicy: 'IfNotPresent',
                      command: ['true'],
                    },
                  ],
                },
              },
            },
          },
        },
      ],
    },
  };
}

void describe("the original's KonduktorResult condition", () => {
  let cluster: Cluster;
  let namespace = '';
  const home = mkdtempSync(join(tmpdir(), 'konduktor-k8s-original-'));
  withNamespace('konduktor-original', home, (context) => {
    ({ cluster, namespace } = context);
  });
  after(() => {
    rmSync(home, { recursive: true, force: true });
  });

  /** Creates an original-style JobSet and writes the condition as the original's controller. */
  async function recorded(name: string, reason: string, message: string): Promise<void> {
    await cluster.custom.createNamespacedCustomObject({
      ...JOBSET,
      namespace,
      body: originalJobSet(name, namespace),
    });
    await waitFor(`the condition on ${name}`, async () => {
      const js = await getJobSet<JobSetJson>(cluster, namespace, name);
      const conditions = js.status?.conditions ?? [];
      if (conditions.some((c) => c.type === 'KonduktorResult')) return true;
      const condition = {
        type: 'KonduktorResult',
        status: 'True',
        reason,
        message,
        lastTransitionTime: `${new Date().toISOString().slice(0, 19)}Z`,
      };
      // The JobSet controller writes its status too: a conflict is retried on the next turn.
      await cluster.custom
        .replaceNamespacedCustomObjectStatus({
          ...JOBSET,
          namespace,
          name,
          body: { ...js, status: { ...js.status, conditions: [...conditions, condition] } },
        })
        .catch(() => undefined);
      return undefined;
    });
  }

  const result = (name: string, ...flags: string[]) =>
    runCli(['result', name, '--backend', 'kubernetes', '--namespace', namespace, ...flags], {
      home,
      env: { KUBECONFIG: kubeconfigPath() },
    });

  it('Succeeded with the value: the value on stdout, exit 0', async () => {
    await recorded('orig-value-160a', 'Succeeded', '{"val_loss": 0.42, "tags": ["a"]}');
    const cli = await result('orig-value-160a');
    assert.equal(cli.code, 0, cli.stderr);
    assert.deepEqual(JSON.parse(cli.stdout), { val_loss: 0.42, tags: ['a'] });
  });

  it('Succeeded with {"error":"NoResult"}: no result, exit 3', async () => {
    await recorded('orig-none-160a', 'Succeeded', '{"error":"NoResult"}');
    const cli = await result('orig-none-160a');
    assert.equal(cli.code, 3, cli.stderr);
    assert.equal(cli.stdout, '');
  });

  it('ResultTooLarge: too large with the size, exit 5', async () => {
    await recorded('orig-large-160a', 'ResultTooLarge', '{"size":5123}');
    const cli = await result('orig-large-160a');
    assert.equal(cli.code, 5, cli.stderr);
    assert.match(cli.stderr, /5123/);
  });

  it('MalformedResult: malformed with the reason, exit 4', async () => {
    await recorded(
      'orig-malformed-160a',
      'MalformedResult',
      '{"reason":"Expecting value: line 1 column 1 (char 0)"}',
    );
    const cli = await result('orig-malformed-160a');
    assert.equal(cli.code, 4, cli.stderr);
    assert.match(cli.stderr, /Expecting value/);
  });

  it('Failed with an exit code or a reason: failed, exit 1', async () => {
    await recorded('orig-exit-160a', 'Failed', '{"exit":7}');
    const exit = await result('orig-exit-160a');
    assert.equal(exit.code, 1, exit.stderr);
    assert.match(exit.stderr, /exited with code 7/);
    await recorded(
      'orig-failed-160a',
      'Failed',
      '{"error":"Failed","reason":"BackoffLimitExceeded"}',
    );
    const failed = await result('orig-failed-160a', '--json');
    assert.equal(failed.code, 1, failed.stderr);
    assert.match(failed.stdout, /BackoffLimitExceeded/);
  });
});
