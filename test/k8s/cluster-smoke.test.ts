// Smoke test against the real local cluster (npm run cluster:up): a JobSet whose worker 0
// hands back a JSON document through its termination message, and the kubelet behaviour
// that konduktor's result decoder relies on (4096-byte tail, empty file, failure with File).
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment --
   client-node 1.x models are plain-data classes; object literals are how its own docs build them */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import {
  type Cluster,
  connect,
  createNamespace,
  deleteNamespace,
  getJobSet,
  JOBSET,
  terminatedState,
  waitFor,
  waitForTerminated,
  WORKLOAD_IMAGE,
} from './cluster.js';

interface JobSetStatus {
  terminalState?: string;
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
}

/** Deterministic 5000-byte payload: the line number is visible in every 100-byte line. */
function bigPayload(): string {
  let s = '';
  for (let i = 0; s.length < 5000; i++)
    s += `line-${String(i).padStart(4, '0')}-`.padEnd(99, 'x') + '\n';
  return s.slice(0, 5000);
}

void describe('local cluster smoke', () => {
  let c: Cluster;
  let ns: string;

  before(async () => {
    c = connect();
    ns = await createNamespace(c, 'konduktor-smoke');
  });
  after(async () => {
    if (ns) await deleteNamespace(c, ns);
  });

  void test('node is Ready and runs the workload image', async () => {
    const nodes = await c.core.listNode();
    assert.equal(nodes.items.length, 1);
    const ready = nodes.items[0]?.status?.conditions?.find((x) => x.type === 'Ready');
    assert.equal(ready?.status, 'True');
  });

  void test('JobSet with two workers: worker 0 returns JSON through its termination message', async () => {
    const name = 'two-workers';
    const body = {
      apiVersion: `${JOBSET.group}/${JOBSET.version}`,
      kind: 'JobSet',
      metadata: { name, namespace: ns },
      spec: {
        replicatedJobs: [
          {
            name: 'worker',
            replicas: 2,
            template: {
              spec: {
                backoffLimit: 0,
                template: {
                  spec: {
                    restartPolicy: 'Never',
                    containers: [
                      {
                        name: 'main',
                        image: WORKLOAD_IMAGE,
                        imagePullPolicy: 'IfNotPresent',
                        terminationMessagePath: '/konduktor/result.json',
                        terminationMessagePolicy: 'File',
                        env: [
                          {
                            name: 'WORKER',
                            valueFrom: {
                              fieldRef: {
                                fieldPath: "metadata.annotations['jobset.sigs.k8s.io/job-index']",
                              },
                            },
                          },
                        ],
                        command: [
                          'python3',
                          '-c',
                          [
                            'import json, os, socket',
                            'w = int(os.environ["WORKER"])',
                            'print("worker", w, "on", socket.gethostname())',
                            'if w == 0:',
                            '    doc = {"worker": w, "answer": 42, "items": [1, 2, 3], "unicode": "\\u00e9"}',
                            '    open("/konduktor/result.json", "w").write(json.dumps(doc))',
                          ].join('\n'),
                        ],
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
    const created = (await c.custom.createNamespacedCustomObject({
      ...JOBSET,
      namespace: ns,
      body,
    })) as { spec?: { successPolicy?: { operator?: string } } };
    // the JobSet mutating webhook ran (successPolicy is defaulted only there)
    assert.equal(created.spec?.successPolicy?.operator, 'All');

    const status = await waitFor(
      'JobSet to finish',
      async () => {
        const js = await getJobSet<{ status?: JobSetStatus }>(c, ns, name);
        return js.status?.terminalState ? js.status : undefined;
      },
      180_000,
    );
    assert.equal(status.terminalState, 'Completed', JSON.stringify(status));
    assert.ok(
      status.conditions?.some((x) => x.type === 'Completed' && x.status === 'True'),
      JSON.stringify(status.conditions),
    );

    const pods = await c.core.listNamespacedPod({
      namespace: ns,
      labelSelector: `jobset.sigs.k8s.io/jobset-name=${name}`,
    });
    assert.equal(pods.items.length, 2);
    const byIndex = new Map<string, k8s.V1Pod>();
    for (const p of pods.items) {
      byIndex.set(p.metadata?.labels?.['jobset.sigs.k8s.io/job-index'] ?? '?', p);
    }
    const w0 = terminatedState(byIndex.get('0')!);
    const w1 = terminatedState(byIndex.get('1')!);
    assert.equal(w0.exitCode, 0);
    assert.equal(w0.reason, 'Completed');
    assert.deepEqual(JSON.parse(w0.message ?? 'null'), {
      worker: 0,
      answer: 42,
      items: [1, 2, 3],
      unicode: 'é',
    });
    // worker 1 wrote nothing: the (empty) file gives no message, its log is not used
    assert.equal(w1.exitCode, 0);
    assert.equal(w1.message ?? '', '');
  });

  /** A one-worker JobSet whose container fails while the restart attempt is below `okFrom`. */
  function restartingJobSet(name: string, maxRestarts: number, okFrom: number): object {
    return {
      apiVersion: `${JOBSET.group}/${JOBSET.version}`,
      kind: 'JobSet',
      metadata: { name, namespace: ns },
      spec: {
        failurePolicy: { maxRestarts },
        replicatedJobs: [
          {
            name: 'worker',
            replicas: 1,
            template: {
              spec: {
                backoffLimit: 0,
                template: {
                  spec: {
                    restartPolicy: 'Never',
                    terminationGracePeriodSeconds: 1,
                    containers: [
                      {
                        name: 'main',
                        image: WORKLOAD_IMAGE,
                        imagePullPolicy: 'IfNotPresent',
                        env: [
                          {
                            name: 'ATTEMPT',
                            valueFrom: {
                              fieldRef: {
                                fieldPath: "metadata.labels['jobset.sigs.k8s.io/restart-attempt']",
                              },
                            },
                          },
                        ],
                        command: [
                          'bash',
                          '-c',
                          `echo "{\\"attempt\\":$ATTEMPT}" > /dev/termination-log; [ "$ATTEMPT" -ge ${okFrom} ]`,
                        ],
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

  async function finalStatus(name: string): Promise<JobSetStatus & { restarts?: number }> {
    return waitFor(
      `JobSet ${name} to finish`,
      async () => {
        const js = await getJobSet<{ status?: JobSetStatus & { restarts?: number } }>(c, ns, name);
        return js.status?.terminalState ? js.status : undefined;
      },
      180_000,
    );
  }

  void test('JobSet restarts a failed worker (failurePolicy.maxRestarts) and then completes', async () => {
    await c.custom.createNamespacedCustomObject({
      ...JOBSET,
      namespace: ns,
      body: restartingJobSet('restart-once', 2, 1),
    });
    const status = await finalStatus('restart-once');
    assert.equal(status.terminalState, 'Completed', JSON.stringify(status));
    assert.equal(status.restarts, 1);
    const pods = await c.core.listNamespacedPod({
      namespace: ns,
      labelSelector:
        'jobset.sigs.k8s.io/jobset-name=restart-once,jobset.sigs.k8s.io/restart-attempt=1',
    });
    assert.equal(pods.items.length, 1);
    assert.deepEqual(JSON.parse(terminatedState(pods.items[0]!).message ?? 'null'), { attempt: 1 });
  });

  void test('JobSet fails once maxRestarts is used up', async () => {
    await c.custom.createNamespacedCustomObject({
      ...JOBSET,
      namespace: ns,
      body: restartingJobSet('always-fails', 0, 99),
    });
    const status = await finalStatus('always-fails');
    assert.equal(status.terminalState, 'Failed', JSON.stringify(status));
    assert.ok(
      status.conditions?.some((x) => x.type === 'Failed' && x.status === 'True'),
      JSON.stringify(status.conditions),
    );
  });

  void describe('kubelet termination-message behaviour', () => {
    const cases: {
      name: string;
      script: string;
      policy: 'File' | 'FallbackToLogsOnError';
    }[] = [
      {
        name: 'big-file',
        policy: 'File',
        script:
          'import sys\n' +
          'p = ""\n' +
          'i = 0\n' +
          'while len(p) < 5000:\n' +
          '    p += ("line-%04d-" % i).ljust(99, "x") + "\\n"\n' +
          '    i += 1\n' +
          'open("/dev/termination-log", "w").write(p[:5000])\n',
      },
      {
        name: 'empty-file',
        policy: 'File',
        script: 'open("/dev/termination-log", "w").close()\nprint("LOG-LINE-NOT-A-MESSAGE")\n',
      },
      {
        name: 'failed-file',
        policy: 'File',
        script:
          'import sys\n' +
          'open("/dev/termination-log", "w").write(\'{"error":"boom"}\')\n' +
          'print("LOG-LINE-NOT-A-MESSAGE")\n' +
          'sys.exit(3)\n',
      },
      {
        name: 'failed-empty-file',
        policy: 'File',
        script: 'import sys\nprint("LOG-LINE-NOT-A-MESSAGE")\nsys.exit(4)\n',
      },
      {
        name: 'failed-empty-fallback',
        policy: 'FallbackToLogsOnError',
        script: 'import sys\nprint("LOG-LINE-FALLBACK", flush=True)\nsys.exit(5)\n',
      },
    ];
    const pods = new Map<string, Promise<k8s.V1Pod>>();

    before(async () => {
      // start all pods at once; each test awaits its own
      for (const k of cases) {
        const pod: k8s.V1Pod = {
          metadata: { name: k.name, namespace: ns },
          spec: {
            restartPolicy: 'Never',
            terminationGracePeriodSeconds: 1,
            containers: [
              {
                name: 'main',
                image: WORKLOAD_IMAGE,
                imagePullPolicy: 'IfNotPresent',
                terminationMessagePolicy: k.policy,
                command: ['python3', '-c', k.script],
              },
            ],
          },
        };
        await c.core.createNamespacedPod({ namespace: ns, body: pod });
      }
      for (const k of cases) {
        const p = waitForTerminated(c, ns, k.name);
        p.catch(() => undefined); // awaited in the tests
        pods.set(k.name, p);
      }
    });

    const state = async (name: string) => terminatedState(await pods.get(name)!);

    void test('a 5000-byte file arrives as its last 4096 bytes', async () => {
      const t = await state('big-file');
      assert.equal(t.exitCode, 0);
      const expected = bigPayload();
      assert.equal(expected.length, 5000);
      assert.equal(Buffer.byteLength(t.message ?? ''), 4096);
      assert.equal(t.message, expected.slice(5000 - 4096));
    });

    void test('an empty file gives an empty message (success, policy File)', async () => {
      const t = await state('empty-file');
      assert.equal(t.exitCode, 0);
      assert.equal(t.message ?? '', '');
    });

    void test('a failed container with policy File gives its file, not its log', async () => {
      const t = await state('failed-file');
      assert.equal(t.exitCode, 3);
      assert.equal(t.reason, 'Error');
      assert.equal(t.message, '{"error":"boom"}');
    });

    void test('the container log is readable through the API (apiserver -> kubelet)', async () => {
      await state('failed-file');
      const log = await c.core.readNamespacedPodLog({ name: 'failed-file', namespace: ns });
      assert.equal(log, 'LOG-LINE-NOT-A-MESSAGE\n');
    });

    void test('a failed container with policy File and an empty file gives no message', async () => {
      const t = await state('failed-empty-file');
      assert.equal(t.exitCode, 4);
      assert.equal(t.message ?? '', '');
    });

    void test('FallbackToLogsOnError with an empty file gives the log tail', async () => {
      const t = await state('failed-empty-fallback');
      assert.equal(t.exitCode, 5);
      assert.equal((t.message ?? '').trim(), 'LOG-LINE-FALLBACK');
    });
  });
});
