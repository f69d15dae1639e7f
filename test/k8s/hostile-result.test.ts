// What rank 0 leaves at result.json on the real cluster, through the CLI: a directory is the
// job's own outcome (no result, saying it is a directory), the pod ends at once, and the
// namespace's other jobs and `status` are untouched; a job that reports nothing shows rank 0's
// last log lines. The other kinds go through the same container script outside a cluster
// (test/fuzz/kubernetes-path.test.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCli, tempHome, writeTask } from '../support/cli.js';
import { OUT } from '../support/hostile-results.js';
import {
  type Cluster,
  WORKLOAD_IMAGE,
  connect,
  createNamespace,
  deleteNamespace,
  kubeconfigPath,
} from './cluster.js';

void describe('hostile result.json on kubernetes', () => {
  let cluster: Cluster;
  let namespace = '';
  const ctx = tempHome('konduktor-k8s-hostile-');

  before(async () => {
    cluster = connect();
    namespace = await createNamespace(cluster, 'konduktor-hostile');
  });
  after(async () => {
    if (namespace !== '') await deleteNamespace(cluster, namespace);
    ctx.cleanup();
  });

  /** `konduktor ARGS --backend kubernetes --namespace NS` with the test cluster's kubeconfig. */
  const cli = (args: readonly string[]): ReturnType<typeof runCli> =>
    runCli([...args, '--backend', 'kubernetes', '--namespace', namespace], {
      home: ctx.home,
      env: { KUBECONFIG: kubeconfigPath() },
      timeoutMs: 180_000,
    });

  /** `launch --wait --json` of a one-line task on the cluster. */
  const launch = async (name: string, run: string): Promise<Record<string, unknown>> => {
    const task = writeTask(
      ctx.dir,
      `${name}.yaml`,
      `name: ${name}\nrun: ${JSON.stringify(run)}\nresources:\n  image_id: ${WORKLOAD_IMAGE}\n  cpus: 0.1\n  memory: 0.1\n`,
    );
    const result = await cli(['launch', task, '--wait', '--json', '-y', '--timeout', '150s']);
    return { code: result.code, stderr: result.stderr, ...(JSON.parse(result.stdout) as object) };
  };

  it('a directory at result.json is no result, saying so; other jobs and status work', async () => {
    const hostile = await launch('dir', `mkdir ${OUT}`);
    assert.equal(hostile['code'], 3, String(hostile['stderr']));
    assert.equal(hostile['outcome'], 'no_result');
    assert.match(String(hostile['stderr']), /result\.json is a directory/);
    const error = hostile['error'] as { detail: string; found: { kind: string } };
    assert.equal(error.detail, 'not_a_file');
    assert.equal(error.found.kind, 'directory');
    const other = await launch('other', `echo '{"ok": 1}' > ${OUT}`);
    assert.equal(other['code'], 0, String(other['stderr']));
    assert.deepEqual(other['value'], { ok: 1 });
    const status = await cli(['status', '--json']);
    assert.equal(status.code, 0, status.stderr);
    const names = (JSON.parse(status.stdout) as { name: string }[]).map((j) => j.name);
    assert.ok(names.includes(String(hostile['job'])) && names.includes(String(other['job'])));
  });

  it('no result after a command failed inside a pipeline carries rank 0 log tail', async () => {
    const result = await launch('pipe', `echo 'epoch 1'; false | tee /tmp/log; echo 'no result'`);
    assert.equal(result['code'], 3, String(result['stderr']));
    assert.match(
      String(result['stderr']),
      /last log lines of rank 0:\n {2}\| epoch 1\n {2}\| no result/,
    );
    const error = result['error'] as { logTail: string[] };
    assert.deepEqual(error.logTail.slice(-2), ['epoch 1', 'no result']);
  });
});
