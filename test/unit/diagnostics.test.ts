/**
 * The diagnostics module: field lists read from the schemas (they used to be copied by hand, and
 * drifted), and "did you mean" for every kind of document.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { fieldsAt, objectLevels, valuesAt } from '../../src/diagnostics/fields.js';
import { parseYamlDocument } from '../../src/diagnostics/yaml.js';
import { fieldGuide, fromZodIssues, readableError } from '../../src/diagnostics/zod.js';
import { parseUserConfig } from '../../src/config-file.js';
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

describe('closed sets of words: "did you mean" for misspelt values', () => {
  it('reads the allowed words from enums, literals and a union discriminator', () => {
    const input = { parameters: { k: { type: 'unifrom' } }, sampler: { type: 'rnadom' } };
    assert.deepEqual(valuesAt(SweepSchema, ['direction'], input), ['minimize', 'maximize']);
    assert.deepEqual(valuesAt(SweepSchema, ['parameters', 'k', 'type'], input), [
      'uniform',
      'loguniform',
      'int',
      'choice',
      'grid',
    ]);
    assert.deepEqual(valuesAt(SweepSchema, ['sampler'], { sampler: 'x' }), [
      'grid',
      'random',
      'tpe',
    ]);
    assert.deepEqual(valuesAt(SweepSchema, ['sampler', 'type'], input), ['grid', 'random', 'tpe']);
    // Open kinds of value have no closed set, so no hint.
    assert.deepEqual(valuesAt(SweepSchema, ['objective'], input), []);
    assert.deepEqual(valuesAt(TaskSchema, ['name'], {}), []);
  });

  it('suggests the nearest word for any schema, and nothing when none is near', () => {
    const schema = z.strictObject({
      mode: z.enum(['fast', 'thorough']).optional(),
      kind: z.union([z.literal('alpha'), z.literal('beta')]).optional(),
    });
    const guide = fieldGuide(schema);
    const messages = (input: unknown): string[] => {
      const parsed = schema.safeParse(input, { error: readableError });
      assert.equal(parsed.success, false);
      return parsed.success
        ? []
        : fromZodIssues(parsed.error.issues, input, guide).map((d) => d.message);
    };
    assert.deepEqual(messages({ mode: 'thorugh', kind: 'bta' }), [
      `must be fast or thorough, got "thorugh"; did you mean 'thorough'?`,
      `must be alpha or beta, got "bta"; did you mean 'beta'?`,
    ]);
    assert.deepEqual(messages({ mode: 'zzzzzz' }), ['must be fast or thorough, got "zzzzzz"']);
    // A number where a word belongs is not a spelling mistake.
    assert.deepEqual(messages({ mode: 3 }), ['must be fast or thorough, got 3']);
  });

  it('config.yaml backend gets the hint, with its position', () => {
    for (const [written, meant] of [
      ['kubernets', 'kubernetes'],
      ['Local', 'local'],
      ['locl', 'local'],
    ]) {
      assert.throws(
        () => parseUserConfig(`backend: ${written}\n`, 'config.yaml'),
        (err: Error) => {
          assert.match(
            err.message,
            new RegExp(
              `config\\.yaml:1:10: backend: .*got "${written}"; did you mean '${meant}'\\?`,
            ),
          );
          return true;
        },
      );
    }
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
