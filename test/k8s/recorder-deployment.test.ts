// The recorder as users run it: the image built from this checkout (scripts/image/build.sh),
// imported into the cluster's containerd, and deploy/recorder.yaml applied as it is in a fresh
// namespace. With it running and no konduktor process on the host, a detached job's rank 0 pod is
// deleted the moment it ends, and `result` still gives the value. Its RBAC is the manifest's:
// enough to record, and no Secrets.
//
// Two test-cluster quirks are patched into the Deployment: the image name the build printed (it is
// the manifest's own unless the package version changed), and KUBERNETES_SERVICE_HOST/PORT set to
// the node IP, because this cluster has no kube-proxy to route the `kubernetes` Service.
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment --
   client-node 1.x models are plain-data classes; object literals are how its own docs build them */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { ROOT, runCli, writeTask } from '../support/cli.js';
import {
  type Cluster,
  deleteJobPods,
  getJobSet,
  IN_CLUSTER_API,
  kubeconfigPath,
  waitFor,
  waitForTerminalJobSet,
  withNamespace,
  WORKLOAD_IMAGE,
} from './cluster.js';
import { type CliTarget, deleteRank0WhenItEnds, launchDetached, statusOf } from './durable.js';

const run = promisify(execFile);
const MANIFEST = join(ROOT, 'deploy', 'recorder.yaml');
const NAME = 'konduktor-recorder';

void describe('the recorder as an in-cluster Deployment (deploy/recorder.yaml)', () => {
  let cluster: Cluster;
  let namespace = '';
  let image = '';
  let recorderPod = '';
  const home = mkdtempSync(join(tmpdir(), 'konduktor-k8s-recorder-'));
  const target = (): CliTarget => ({
    home,
    env: { KUBECONFIG: kubeconfigPath() },
    flags: ['--backend', 'kubernetes', '--namespace', namespace],
  });
  withNamespace('konduktor-recorder', home, (context) => {
    ({ cluster, namespace } = context);
  });
  after(() => {
    rmSync(home, { recursive: true, force: true });
  });

  before(
    async () => {
      // The image carries this checkout's dist/: built and imported by every run (~10 s).
      const tar = join(home, 'konduktor-image.tar');
      const built = await run('bash', [join(ROOT, 'scripts/image/build.sh'), tar], {
        timeout: 600_000,
      });
      image = built.stdout.trim();
      await run('bash', [join(ROOT, 'scripts/cluster/import-image.sh'), tar], {
        timeout: 300_000,
      });
      rmSync(tar);
    },
    { timeout: 900_000 },
  );

  /** The manifest's objects, with the Deployment patched for the test cluster. */
  function manifestObjects(): k8s.KubernetesObject[] {
    const objects = k8s.loadAllYaml(readFileSync(MANIFEST, 'utf8')) as k8s.KubernetesObject[];
    const deployment = objects.find((o) => o.kind === 'Deployment') as k8s.V1Deployment;
    const container = deployment.spec?.template.spec?.containers[0];
    assert.ok(container !== undefined, 'the manifest has a Deployment with a container');
    container.image = image;
    container.env = [
      ...(container.env ?? []),
      { name: 'KUBERNETES_SERVICE_HOST', value: IN_CLUSTER_API.host },
      { name: 'KUBERNETES_SERVICE_PORT', value: String(IN_CLUSTER_API.port) },
    ];
    for (const object of objects) {
      object.metadata ??= {};
      object.metadata.namespace = namespace;
    }
    return objects;
  }

  async function recorderLog(): Promise<string> {
    return cluster.core.readNamespacedPodLog({
      name: recorderPod,
      namespace,
      container: 'recorder',
    });
  }

  /** The recorder's pods (`ready`: only those the kubelet says are Ready). */
  async function recorderPods(ready: boolean): Promise<k8s.V1Pod[]> {
    const pods = await cluster.core.listNamespacedPod({
      namespace,
      labelSelector: `app.kubernetes.io/name=${NAME}`,
    });
    return pods.items.filter(
      (p) => !ready || p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    );
  }

  /** Waits for a ready recorder pod that says it records (this test's namespace); returns it. */
  async function recorderStarted(): Promise<k8s.V1Pod> {
    const pod = await waitFor(
      'the recorder pod to be ready',
      async () => (await recorderPods(true))[0],
      180_000,
    );
    recorderPod = pod.metadata?.name ?? '';
    // No --namespace and no kubeconfig in the pod: in-cluster config, the pod's own namespace.
    await waitFor(
      'the recorder to start recording',
      async () =>
        (await recorderLog()).includes(
          `recording outcomes in the kubernetes backend (context inClusterContext, namespace ${namespace})`,
        ),
      60_000,
    );
    return pod;
  }

  /** Sets the Deployment's replicas. */
  async function scaleRecorder(replicas: number): Promise<void> {
    await cluster.kc
      .makeApiClient(k8s.AppsV1Api)
      .patchNamespacedDeploymentScale(
        { name: NAME, namespace, body: { spec: { replicas } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
  }

  it('applies deploy/recorder.yaml; the recorder runs as nobody and records its own namespace', async () => {
    const objects = k8s.KubernetesObjectApi.makeApiClient(cluster.kc);
    for (const object of manifestObjects()) await objects.create(object);
    const pod = await recorderStarted();
    assert.equal(pod.spec?.securityContext?.runAsUser, 65534);
  });

  /** `launch -d` of a task, once the recorder runs. */
  function launch(task: string, prefix: string): Promise<string> {
    assert.notEqual(recorderPod, '', 'the recorder is running');
    return launchDetached(target(), task, prefix);
  }

  it('launch -d, rank 0 deleted as it ends, no konduktor on the host: result gives the value', async () => {
    const task = writeTask(
      home,
      'task.yaml',
      `name: incluster
run: |
  echo '{"recorded": "in the cluster"}' > "$KONDUKTOR_OUTPUT_DIR/result.json"
resources: { image_id: ${WORKLOAD_IMAGE}, cpus: 0.1, memory: 0.1 }
`,
    );
    const name = await launch(task, 'incluster');
    // The launch has exited: from here until `result`, no konduktor process runs on the host.
    await deleteRank0WhenItEnds(cluster, namespace, name);
    const result = await runCli(['result', name, '--timeout', '120s', ...target().flags], target());
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { recorded: 'in the cluster' });
    assert.equal(await statusOf(target(), name), 'SUCCEEDED');
    // Only the recorder can have written it (the pod was gone when `result` ran).
    await recorded(name, 'SUCCEEDED');
  });

  /**
   * Waits until the recorder logs the job's outcome, and checks it met no API error on the way (a
   * missing permission is logged as `konduktor recorder: <job>: …`).
   */
  async function recorded(name: string, status: string): Promise<void> {
    await waitFor(`the recorder to log ${name} ${status}`, async () =>
      (await recorderLog()).includes(`${name} ${status}`),
    );
    assert.doesNotMatch(await recorderLog(), /konduktor recorder: [a-z0-9-]+: /);
  }

  it("records a failure with the failing rank's last log lines (pods/log)", async () => {
    const task = writeTask(
      home,
      'fails.yaml',
      `name: fails
run: |
  echo "the recorder read this line" >&2
  exit 3
resources: { image_id: ${WORKLOAD_IMAGE}, cpus: 0.1, memory: 0.1 }
`,
    );
    const name = await launch(task, 'fails');
    // Recorded by the recorder before any konduktor process here looks.
    await recorded(name, 'FAILED');
    const result = await runCli(['result', name, '--timeout', '60s', ...target().flags], target());
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /the recorder read this line/);
  });

  it('fails a job whose image cannot be pulled and suspends its JobSet (jobsets patch)', async () => {
    const task = writeTask(
      home,
      'unpullable.yaml',
      `name: unpullable
run: 'true'
resources: { image_id: konduktor.local/no-such-image:1, cpus: 0.1, memory: 0.1 }
`,
    );
    const name = await launch(task, 'unpullable');
    await recorded(name, 'FAILED');
    const js = await getJobSet<{ spec?: { suspend?: boolean } }>(cluster, namespace, name);
    assert.equal(js.spec?.suspend, true);
    const result = await runCli(['result', name, '--timeout', '60s', ...target().flags], target());
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /ErrImagePull|ImagePullBackOff|could not be pulled/);
  });

  it('a job that ended while the recorder was down is recorded when it comes back', async () => {
    const task = writeTask(
      home,
      'while-down.yaml',
      `name: whiledown
run: |
  echo '{"ended": "while the recorder was down"}' > "$KONDUKTOR_OUTPUT_DIR/result.json"
resources: { image_id: ${WORKLOAD_IMAGE}, cpus: 0.1, memory: 0.1 }
`,
    );
    await scaleRecorder(0);
    await waitFor('the recorder pod to go', async () => (await recorderPods(false)).length === 0);
    recorderPod = '';
    const name = await launchDetached(target(), task, 'whiledown');
    // The JobSet controller ends it; nobody records it.
    await waitForTerminalJobSet(cluster, namespace, name);
    const before = await getJobSet<{ status?: { conditions?: { type: string }[] } }>(
      cluster,
      namespace,
      name,
    );
    assert.ok(!(before.status?.conditions ?? []).some((c) => c.type === 'KonduktorResult'));
    await scaleRecorder(1);
    await recorderStarted();
    await recorded(name, 'SUCCEEDED');
    // Recorded: the pods may go now.
    await deleteJobPods(cluster, namespace, name);
    const result = await runCli(['result', name, '--timeout', '60s', ...target().flags], target());
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { ended: 'while the recorder was down' });
  });

  it("the recorder's ServiceAccount can do what recording needs, and cannot read Secrets", async () => {
    // A token of the recorder's ServiceAccount, used from here as the pod would use its own.
    const token = await cluster.core.createNamespacedServiceAccountToken({
      name: NAME,
      namespace,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const server = cluster.kc.getCurrentCluster();
    assert.ok(server !== null && token.status?.token !== undefined);
    const asRecorder = new k8s.KubeConfig();
    asRecorder.loadFromOptions({
      clusters: [server],
      users: [{ name: NAME, token: token.status.token }],
      contexts: [{ name: NAME, cluster: server.name, user: NAME, namespace }],
      currentContext: NAME,
    });
    const core = asRecorder.makeApiClient(k8s.CoreV1Api);
    // A real call: pods are listed, Secrets are refused.
    await core.listNamespacedPod({ namespace });
    await assert.rejects(core.listNamespacedSecret({ namespace }), (err: unknown) => {
      assert.equal((err as { code?: unknown }).code, 403);
      return true;
    });
    // `kubectl auth can-i` as the recorder, for each verb it needs and a few it must not have.
    const authz = asRecorder.makeApiClient(k8s.AuthorizationV1Api);
    const can = async (
      verb: string,
      group: string,
      resource: string,
      where = namespace,
    ): Promise<boolean> => {
      const [res, subresource] = resource.split('/');
      const review = await authz.createSelfSubjectAccessReview({
        body: {
          spec: {
            resourceAttributes: {
              namespace: where,
              verb,
              group,
              resource: res ?? resource,
              ...(subresource === undefined ? {} : { subresource }),
            },
          },
        },
      });
      return review.status?.allowed === true;
    };
    const needed: [string, string, string][] = [
      ['list', 'jobset.x-k8s.io', 'jobsets'],
      ['watch', 'jobset.x-k8s.io', 'jobsets'],
      ['get', 'jobset.x-k8s.io', 'jobsets'],
      ['patch', 'jobset.x-k8s.io', 'jobsets'],
      ['delete', 'jobset.x-k8s.io', 'jobsets'],
      ['update', 'jobset.x-k8s.io', 'jobsets/status'],
      ['list', '', 'pods'],
      ['watch', '', 'pods'],
      ['get', '', 'pods/log'],
      ['create', '', 'configmaps'],
      ['list', 'kueue.x-k8s.io', 'workloads'],
      ['patch', 'kueue.x-k8s.io', 'workloads'],
    ];
    const refused: [string, string, string][] = [
      ['get', '', 'secrets'],
      ['list', '', 'secrets'],
      ['create', '', 'secrets'],
      ['create', 'jobset.x-k8s.io', 'jobsets'],
      ['create', '', 'pods'],
      ['delete', '', 'pods'],
      ['create', '', 'pods/exec'],
      ['get', '', 'configmaps'],
      ['delete', '', 'configmaps'],
    ];
    for (const [verb, group, resource] of needed)
      assert.equal(await can(verb, group, resource), true, `${verb} ${resource}.${group}`);
    for (const [verb, group, resource] of refused)
      assert.equal(await can(verb, group, resource), false, `${verb} ${resource}.${group}`);
    // And nothing outside its namespace.
    assert.equal(await can('list', 'jobset.x-k8s.io', 'jobsets', 'default'), false);
  });
});
