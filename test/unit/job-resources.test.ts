/**
 * `JobInfo.resources` is structured, made by one function for both backends (each with its own
 * defaults as data: the local backend's admission counts 1 CPU and 1 GiB for what a task leaves
 * out, Kubernetes requests nothing), written as one summary text and read back from it.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { formatResources, jobResourcesOf, parseResources } from '../../src/backends/resources.js';
import { resourceSummary } from '../../src/backends/kubernetes/manifests.js';
import { createKonduktor } from '../../src/index.js';
import { parseTaskYaml } from '../../src/task/load.js';
import { tempHome } from '../support/cli.js';
import { OUT } from '../support/common.js';

describe('job resources', () => {
  const cases = [
    ['name: a\nrun: "true"\n', {}, '1x(?CPU, ?GiB)', '1x(1CPU, 1GiB)', { cpus: 1, memory: 1 }],
    [
      'name: b\nrun: "true"\nnum_nodes: 2\nresources:\n  cpus: 0.5\n  memory: 16\n  accelerators: H100:2\n',
      { cpus: 0.5, memory: 16, accelerators: { name: 'H100', count: 2 } },
      '2x(0.5CPU, 16GiB, H100:2)',
      '2x(0.5CPU, 16GiB, H100:2)',
      { cpus: 0.5, memory: 16, accelerators: { name: 'H100', count: 2 } },
    ],
    [
      'name: c\nrun: "true"\nresources:\n  memory: 4\n',
      { memory: 4 },
      '1x(?CPU, 4GiB)',
      '1x(1CPU, 4GiB)',
      { cpus: 1, memory: 4 },
    ],
  ] as const;

  it('one function, the defaults as data; the summary reads back to the same structure', () => {
    for (const [yaml, asked, k8sText, localText, local] of cases) {
      const spec = parseTaskYaml(yaml);
      assert.deepEqual(jobResourcesOf(spec), asked);
      assert.equal(resourceSummary(spec), k8sText);
      assert.equal(
        formatResources(spec.numNodes, jobResourcesOf(spec, { cpus: 1, memory: 1 })),
        localText,
      );
      assert.deepEqual(parseResources(k8sText), asked);
      assert.deepEqual(parseResources(localText), local);
    }
    assert.deepEqual(parseResources(''), {});
    assert.deepEqual(parseResources('not a summary'), {});
  });

  describe('on the local backend', () => {
    const ctx = tempHome();
    after(ctx.cleanup);

    it('job.info().resources is the request, as numbers', async () => {
      const konduktor = createKonduktor({ backend: 'local', home: ctx.home });
      try {
        const job = await konduktor.launch(
          parseTaskYaml(`name: r\nrun: echo '{}' > ${OUT}\nresources:\n  cpus: 0.5\n  memory: 2\n`),
        );
        assert.deepEqual((await job.info()).resources, { cpus: 0.5, memory: 2 });
        await job.result({ timeout: '60s' });
      } finally {
        await konduktor.close();
      }
    });
  });
});
