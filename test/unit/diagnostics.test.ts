/**
 * The diagnostics module: field lists read from the schemas (they used to be copied by hand, and
 * drifted), and "did you mean" for every kind of document.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fieldsAt, objectLevels } from '../../src/diagnostics/fields.js';
import { parseYamlDocument } from '../../src/diagnostics/yaml.js';
import { SweepSchema } from '../../src/sweep/schema.js';
import { TaskSchema } from '../../src/task/schema.js';

describe('field lists read from the schemas', () => {
  it('gives the task levels and their fields', () => {
    assert.deepEqual(Object.fromEntries(objectLevels(TaskSchema)), {
      '': ['name', 'run', 'setup', 'envs', 'workdir', 'num_nodes', 'resources', 'file_mounts'],
      resources: ['cpus', 'memory', 'accelerators', 'image_id', 'labels', 'job_config'],
      'resources.job_config': ['max_restarts', 'priority'],
    });
  });

  it('follows a union by its discriminator, else lists every shape', () => {
    const input = { parameters: { w: { type: 'int' }, u: { type: 'uniform' }, k: { type: 'x' } } };
    assert.deepEqual(fieldsAt(SweepSchema, ['parameters', 'w'], input), [
      'type',
      'low',
      'high',
      'env',
      'step',
      'log',
    ]);
    assert.deepEqual(fieldsAt(SweepSchema, ['parameters', 'u'], input), [
      'type',
      'low',
      'high',
      'env',
    ]);
    assert.deepEqual([...fieldsAt(SweepSchema, ['parameters', 'k'], input)].sort(), [
      'env',
      'high',
      'log',
      'low',
      'step',
      'type',
      'values',
    ]);
    assert.deepEqual(fieldsAt(SweepSchema, ['sampler'], { sampler: { type: 'tpe' } }), [
      'type',
      'n_startup_trials',
      'n_candidates',
      'gamma',
      'prior_weight',
    ]);
  });
});

describe('YAML with positions', () => {
  it('gives the value hint only where a plain value is at fault', () => {
    const hinted = (text: string): boolean => {
      const parsed = parseYamlDocument(text, { empty: 'empty' });
      assert.equal(parsed.ok, false, text);
      return !parsed.ok && /to give it as text/.test(parsed.issues[0]!.message);
    };
    assert.equal(hinted('run: echo a: b\n'), true);
    assert.equal(hinted('- run: echo a: b\n'), true);
    assert.equal(hinted('"run": "x" y\n'), true);
    assert.equal(hinted('run: @x\n'), true);
    // Not a value problem: an unclosed collection and a tab indent get the parser's words only.
    assert.equal(hinted('run: [a, b\n'), false);
    assert.equal(hinted('a:\n\tb: 1\n'), false);
  });

  it('accepts an empty text when the document may be empty', () => {
    const parsed = parseYamlDocument('# only a comment\n', {});
    assert.ok(parsed.ok);
    assert.equal(parsed.yaml.input, null);
  });
});
