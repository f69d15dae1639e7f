import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { JOB_NAME_MAX_LENGTH, isValidJobName, makeJobName } from '../../src/task/naming.js';
import { closestMatch, editDistance } from '../../src/diagnostics/suggest.js';

describe('makeJobName', () => {
  it('appends 4 hex digits from the random source', () => {
    assert.equal(
      makeJobName('train', () => Buffer.from([0x0a, 0xff])),
      'train-0aff',
    );
    assert.equal(
      makeJobName('t', () => new Uint8Array([1, 2])),
      't-0102',
    );
  });

  it('uses crypto randomness by default', () => {
    const names = new Set(Array.from({ length: 50 }, () => makeJobName('x')));
    assert.ok(names.size > 40);
    for (const name of names) assert.match(name, /^x-[0-9a-f]{4}$/);
  });

  it('makes valid job names, even from the longest prefix', () => {
    const name = makeJobName('a'.repeat(40));
    assert.equal(name.length, JOB_NAME_MAX_LENGTH);
    assert.ok(isValidJobName(name));
  });

  it('refuses an invalid prefix', () => {
    assert.throws(() => makeJobName('Bad_Prefix'), UsageError);
    assert.throws(() => makeJobName('a'.repeat(41)), /40/);
  });
});

describe('isValidJobName', () => {
  it('accepts DNS labels that start with a letter', () => {
    for (const name of ['a', 'train-3f9a', 'a1-b2-c3']) assert.ok(isValidJobName(name), name);
  });

  it('rejects everything else', () => {
    for (const name of ['', 'A', '1a', 'a-', '-a', 'a_b', 'a.b', 'a'.repeat(46)]) {
      assert.equal(isValidJobName(name), false, name);
    }
  });
});

describe('did-you-mean helpers', () => {
  it('counts transpositions as one edit', () => {
    assert.equal(editDistance('nmae', 'name'), 1);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('kitten', 'sitting'), 3);
  });

  it('matches spelling variants and near misses only', () => {
    const fields = ['num_nodes', 'name', 'memory'];
    assert.equal(closestMatch('numNodes', fields), 'num_nodes');
    assert.equal(closestMatch('NUM-NODES', fields), 'num_nodes');
    assert.equal(closestMatch('memroy', fields), 'memory');
    assert.equal(closestMatch('zzz', fields), undefined);
    assert.equal(closestMatch('x', fields), undefined);
  });
});
