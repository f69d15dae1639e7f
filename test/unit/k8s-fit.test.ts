// Whether any node could ever hold one pod of a task: the warning konduktor prints beside the plan
// on Kubernetes (it does not refuse: a node may join later).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type NodeShape,
  nodeAllocatables,
  whyNoNodeFits,
} from '../../src/backends/kubernetes/fit.js';

const node = (name: string, allocatable: Record<string, string>): NodeShape => ({
  metadata: { name },
  status: { allocatable },
});

void describe('whyNoNodeFits', () => {
  const nodes = nodeAllocatables([
    node('small', { cpu: '2', memory: '16367164Ki' }),
    node('gpu', { cpu: '1500m', memory: '8Gi', 'nvidia.com/gpu': '4' }),
  ]);

  it('reads allocatable quantities in their Kubernetes forms', () => {
    assert.deepEqual(
      nodes.map((n) => [n.name, n.cpus, Number(n.memoryGiB.toFixed(2)), n.gpus]),
      [
        ['small', 2, 15.61, 0],
        ['gpu', 1.5, 8, 4],
      ],
    );
  });

  for (const [label, demand] of [
    ['too many CPUs', { cpus: 64, memoryGiB: 1, gpus: 0 }],
    ['too much memory', { cpus: 1, memoryGiB: 32, gpus: 0 }],
    ['too many GPUs', { cpus: 1, memoryGiB: 1, gpus: 8 }],
    // Each resource alone fits some node, but no node has all of them.
    ['no node with both', { cpus: 2, memoryGiB: 1, gpus: 1 }],
  ] as const) {
    it(`${label}: names the demand and what the nodes have`, () => {
      const why = whyNoNodeFits(demand, nodes);
      assert.ok(why !== undefined, 'expected a reason');
      assert.match(why, /each pod asks for/);
      assert.match(why, /small: 2 CPU, 15\.6 GiB/);
      assert.match(why, /gpu: 1\.5 CPU, 8 GiB, 4 GPU/);
    });
  }

  for (const [label, demand] of [
    ['exactly a node', { cpus: 2, memoryGiB: 16367164 / 1024 ** 2, gpus: 0 }],
    ['fractional', { cpus: 0.1, memoryGiB: 0.1, gpus: 0 }],
    ['GPUs on the GPU node', { cpus: 1.5, memoryGiB: 8, gpus: 4 }],
  ] as const) {
    it(`${label}: fits, no warning`, () => {
      assert.equal(whyNoNodeFits(demand, nodes), undefined);
    });
  }

  it('no nodes at all (every node from an autoscaler): nothing to judge by', () => {
    assert.equal(whyNoNodeFits({ cpus: 64, memoryGiB: 1, gpus: 0 }, []), undefined);
  });

  it('lists the three largest nodes and counts the rest', () => {
    const many = nodeAllocatables(
      [1, 2, 3, 4, 5].map((i) => node(`n${i}`, { cpu: String(i), memory: '1Gi' })),
    );
    const why = whyNoNodeFits({ cpus: 8, memoryGiB: 1, gpus: 0 }, many) ?? '';
    assert.match(why, /n5: 5 CPU.*n4: 4 CPU.*n3: 3 CPU, 1 GiB, and 2 more\)$/);
  });
});
