/**
 * The Python API's first product-page usage against the real cluster (npm run cluster:up): runs
 * python/tests/kubernetes with pytest (the cached venv of test/support/python.ts), the workload
 * image, KONDUKTOR_BACKEND=kubernetes and a fresh namespace named in the home's config.yaml.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT, tempHome } from '../support/cli.js';
import { PYTHON, preparePython } from '../support/python.js';
import {
  type Cluster,
  WORKLOAD_IMAGE,
  connect,
  createNamespace,
  deleteNamespace,
  kubeconfigPath,
} from './cluster.js';

describe('the Python API on Kubernetes (pytest, python/tests/kubernetes)', () => {
  const tmp = tempHome('konduktor-python-k8s-');
  let cluster: Cluster;
  let namespace = '';
  let env: NodeJS.ProcessEnv;
  before(async () => {
    cluster = connect();
    namespace = await createNamespace(cluster, 'konduktor-python');
    env = {
      ...preparePython(tmp),
      KUBECONFIG: kubeconfigPath(),
      KONDUKTOR_BACKEND: 'kubernetes',
      KONDUKTOR_TEST_IMAGE: WORKLOAD_IMAGE,
    };
    mkdirSync(tmp.home, { recursive: true });
    writeFileSync(join(tmp.home, 'config.yaml'), `kubernetes:\n  namespace: ${namespace}\n`);
  });
  after(async () => {
    if (namespace !== '') await deleteNamespace(cluster, namespace);
    tmp.cleanup();
  });

  it('launches a job and awaits its result, as the product page does', { timeout: 900_000 }, () => {
    const run = spawnSync(
      PYTHON,
      [
        '-m',
        'pytest',
        '-v',
        '-rfEs',
        '-p',
        'no:cacheprovider',
        join(ROOT, 'python', 'tests', 'kubernetes'),
      ],
      { cwd: tmp.dir, env, encoding: 'utf8', timeout: 900_000 },
    );
    const output = `${run.stdout}${run.stderr}`;
    assert.equal(run.status, 0, output);
    const summary = output.trim().split('\n').at(-1) ?? '';
    assert.doesNotMatch(summary, /failed|error|skipped/, output);
    assert.match(summary, /\b3 passed/, output);
  });
});
