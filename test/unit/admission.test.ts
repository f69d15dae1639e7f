import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { neverFits, planAdmission, type Demand } from '../../src/backends/local/admission.js';

const job = (name: string, demand: Partial<Demand> = {}) => ({
  name,
  demand: { nodes: 1, cpus: 1, memory: 1, gpus: 0, ...demand },
});

describe('planAdmission', () => {
  const capacity = { cpus: 4, memory: 16, gpus: [0, 1] };

  it('admits in order while jobs fit, handing out distinct GPUs', () => {
    const plan = planAdmission(
      capacity,
      [],
      [job('a', { gpus: 1 }), job('b', { gpus: 1 }), job('c', { gpus: 1 })],
    );
    assert.deepEqual(plan.admit, [
      { name: 'a', gpus: [[0]] },
      { name: 'b', gpus: [[1]] },
    ]);
    assert.deepEqual(plan.waiting.get('c'), { position: 1, reason: 'waiting for 1 GPU (0 free)' });
  });

  it('admits all ranks of a job together or none (gang)', () => {
    const holders = [{ demand: { nodes: 1, cpus: 2, memory: 1, gpus: 0 }, gpus: [] }];
    const plan = planAdmission(capacity, holders, [job('pair', { nodes: 2, cpus: 2 })]);
    assert.deepEqual(plan.admit, []);
    assert.match(plan.waiting.get('pair')?.reason ?? '', /4 CPUs \(2 free\)/);
    const later = planAdmission(capacity, [], [job('pair', { nodes: 2, cpus: 2, gpus: 1 })]);
    assert.deepEqual(later.admit, [{ name: 'pair', gpus: [[0], [1]] }]);
  });

  it('counts GPUs and CPUs in the plural above one', () => {
    const holders = [{ demand: { nodes: 1, cpus: 4, memory: 1, gpus: 2 }, gpus: [[0, 1]] }];
    const plan = planAdmission(capacity, holders, [job('two', { gpus: 2, cpus: 2 })]);
    assert.equal(plan.waiting.get('two')?.reason, 'waiting for 2 CPUs (0 free), 2 GPUs (0 free)');
  });

  it('serves the queue strictly: a job that does not fit blocks the ones behind it', () => {
    const holders = [{ demand: { nodes: 1, cpus: 3, memory: 1, gpus: 0 }, gpus: [] }];
    const plan = planAdmission(capacity, holders, [job('big', { cpus: 2 }), job('small')]);
    assert.deepEqual(plan.admit, []);
    assert.deepEqual(plan.waiting.get('small'), { position: 2, reason: 'queued behind big' });
  });

  it('skips GPUs in use', () => {
    const holders = [{ demand: { nodes: 1, cpus: 1, memory: 1, gpus: 1 }, gpus: [[0]] }];
    const plan = planAdmission(capacity, holders, [job('x', { gpus: 1 })]);
    assert.deepEqual(plan.admit, [{ name: 'x', gpus: [[1]] }]);
  });

  it('adds fractional CPUs without refusing an exact fit', () => {
    const plan = planAdmission(
      { cpus: 0.3, memory: 1, gpus: [] },
      [],
      [job('a', { cpus: 0.1, memory: 0.1 }), job('b', { cpus: 0.2, memory: 0.1 })],
    );
    assert.equal(plan.admit.length, 2);
  });
});

describe('neverFits', () => {
  it('names what is over the capacity', () => {
    assert.equal(
      neverFits({ nodes: 1, cpus: 4, memory: 1, gpus: 0 }, { cpus: 4, memory: 8, gpus: [] }),
      undefined,
    );
    assert.match(
      neverFits({ nodes: 2, cpus: 3, memory: 1, gpus: 0 }, { cpus: 4, memory: 8, gpus: [] }) ?? '',
      /3 CPU × 2 nodes, but the local capacity is 4 CPUs/,
    );
    assert.match(
      neverFits({ nodes: 1, cpus: 1, memory: 1, gpus: 1 }, { cpus: 4, memory: 8, gpus: [] }) ?? '',
      /1 GPU, but the local capacity is 0 GPUs/,
    );
  });
});
