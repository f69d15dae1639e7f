import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { TaskValidationError } from '../../src/errors.js';
import { loadSweepFile, parseSweepYaml, resolveSweep } from '../../src/sweep/load.js';
import type { SweepDefinition } from '../../src/sweep/load.js';
import { trialTask } from '../../src/sweep/run.js';
import { Task } from '../../src/task/task.js';

const dir = mkdtempSync(join(tmpdir(), 'konduktor-sweep-load-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function issuesOf(fn: () => unknown): TaskValidationError['issues'] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof TaskValidationError, String(err));
    assert.match(err.message, /^invalid sweep/);
    return err.issues;
  }
  assert.fail('expected a TaskValidationError');
}

describe('parseSweepYaml', () => {
  it('reads a sweep with an inline task and applies the defaults', () => {
    const spec = parseSweepYaml(
      [
        'name: demo',
        'task:',
        '  name: t',
        '  run: echo hi',
        'parameters:',
        '  lr: {type: loguniform, low: 0.0001, high: 0.1}',
        '  opt: [adam, sgd]',
        '  depth: {type: int, low: 1, high: 8, env: NUM_LAYERS}',
        'objective: metrics.acc',
        'direction: maximize',
      ].join('\n'),
      { baseDir: dir },
    );
    assert.equal(spec.name, 'demo');
    assert.equal(spec.task.run, 'echo hi');
    assert.deepEqual(spec.parameters['opt'], { type: 'grid', values: ['adam', 'sgd'], env: 'OPT' });
    assert.equal(spec.parameters['lr']?.env, 'LR');
    assert.equal(spec.parameters['depth']?.env, 'NUM_LAYERS');
    assert.equal(spec.direction, 'maximize');
    assert.equal(spec.trials, 20);
    assert.equal(spec.parallelism, 1);
    assert.deepEqual(spec.sampler, { type: 'tpe' });
    assert.equal(spec.seed, 0);
    assert.equal(spec.maxFailures, 5);
  });

  it('reports every problem at once with file:line:col and hints', () => {
    const text = [
      'name: Bad_Name', // 1
      'task:', // 2
      '  name: t', // 3
      '  run: echo', // 4
      '  cpu: 2', // 5
      'parameters:', // 6
      '  lr: {type: loguniform, low: 0, high: 1}', // 7
      '  w: {type: int, low: 1, hihg: 3}', // 8
      '  k: {type: normal, low: 1}', // 9
      'objective: val loss', // 10
      'direction: up', // 11
      'paralelism: 2', // 12
    ].join('\n');
    const issues = issuesOf(() => parseSweepYaml(text, { file: 'bad.yaml', baseDir: dir }));
    const at = (path: string): (typeof issues)[number] => {
      const issue = issues.find((i) => i.path === path);
      assert.ok(issue, `no issue at ${path}: ${JSON.stringify(issues)}`);
      return issue;
    };
    assert.deepEqual([at('name').line, at('name').col], [1, 7]);
    assert.match(at('task.cpu').message, /did you mean 'resources.cpus'/);
    assert.equal(at('task.cpu').line, 5);
    assert.match(at('parameters.lr.low').message, /low > 0/);
    assert.equal(at('parameters.lr.low').line, 7);
    assert.match(at('parameters.w.hihg').message, /did you mean 'high'/);
    assert.deepEqual([at('parameters.w.hihg').line, at('parameters.w.hihg').col], [8, 26]);
    assert.match(at('parameters.k.type').message, /uniform, loguniform, int, choice, grid/);
    assert.equal(at('objective').line, 10);
    assert.match(at('direction').message, /minimize or maximize/);
    assert.match(at('paralelism').message, /did you mean 'parallelism'/);
    for (const issue of issues) assert.equal(issue.file, 'bad.yaml');
  });

  it('refuses a grid sampler over a continuous parameter, and reserved variable names', () => {
    const issues = issuesOf(() =>
      parseSweepYaml(
        'task: {name: t, run: echo}\nparameters:\n  x: {type: uniform, low: 0, high: 1}\n  rank: [1, 2]\nobjective: v\nsampler: grid\n',
        { file: 's.yaml', baseDir: dir },
      ),
    );
    assert.ok(
      issues.some(
        (i) => i.path === 'sampler' && /continuous parameter 'x'/.test(i.message) && i.line === 6,
      ),
    );
    assert.ok(
      issues.some((i) => i.path === 'parameters.rank' && /RANK is reserved/.test(i.message)),
    );
  });

  it('caps the trials of a grid at its size and names the sweep after its file', () => {
    const file = join(dir, 'My Grid.yaml');
    writeFileSync(
      file,
      'task: {name: t, run: echo}\nparameters:\n  a: [1, 2, 3]\n  b: {type: int, low: 0, high: 1}\nobjective: v\nsampler: grid\ntrials: 100\n',
    );
    const spec = loadSweepFile(file);
    assert.equal(spec.trials, 6);
    assert.equal(spec.name, 'my-grid');
  });

  it('loads a task file relative to the sweep file, reporting its problems with its own positions', () => {
    writeFileSync(join(dir, 'task.yaml'), 'name: trial\nrun: echo ok\n');
    writeFileSync(join(dir, 'broken.yaml'), 'name: trial\nrun: echo ok\nnum_nodes: zero\n');
    writeFileSync(join(dir, 'good.yaml'), 'task: task.yaml\nparameters: {x: [1]}\nobjective: v\n');
    writeFileSync(join(dir, 'bad.yaml'), 'task: broken.yaml\nparameters: {x: [1]}\nobjective: v\n');
    assert.equal(loadSweepFile(join(dir, 'good.yaml')).task.run, 'echo ok');
    const issues = issuesOf(() => loadSweepFile(join(dir, 'bad.yaml')));
    assert.ok(
      issues.some((i) => i.file?.endsWith('broken.yaml') === true && i.line === 3),
      JSON.stringify(issues),
    );
  });

  it('reports a missing file and YAML syntax errors with positions', () => {
    assert.match(issuesOf(() => loadSweepFile(join(dir, 'nope.yaml')))[0]!.message, /not found/);
    const issues = issuesOf(() =>
      parseSweepYaml('task: {name: t\nparameters: [', { file: 'x.yaml' }),
    );
    assert.ok(issues[0]!.line !== undefined);
  });
});

describe("parseSweepYaml: the task file's messages", () => {
  it('words whole numbers, ranges and choices like task files, never raw validator text', () => {
    const issues = issuesOf(() =>
      parseSweepYaml(
        [
          'task: {name: t, run: echo}', // 1
          'parameters: {x: {type: int, low: 1, high: 3, step: 0}}', // 2
          'objective: v', // 3
          'trials: 1.5', // 4
          'seed: -1', // 5
          'max_failures: many', // 6
          'sampler: {type: tpe, n_candidates: 0, prior_weight: 0}', // 7
          'trial_timeout: soon', // 8
          'output_dir: ""', // 9
        ].join('\n'),
        { file: 's.yaml', baseDir: dir },
      ),
    );
    const text = issues.map((i) => `${i.line}: ${i.path}: ${i.message}`);
    for (const line of text) assert.doesNotMatch(line, /Too small|Too big|Invalid input|expected/);
    const expected = [
      /^2: parameters\.x\.step: must be a whole number of at least 1, got 0$/,
      /^4: trials: must be a whole number of at least 1, got 1\.5$/,
      /^5: seed: must be a whole number of at least 0, got -1$/,
      /^6: max_failures: must be a whole number of at least 0, got "many"$/,
      /^7: sampler\.n_candidates: must be a whole number of at least 1, got 0$/,
      /^7: sampler\.prior_weight: must be greater than 0, got 0$/,
      /^8: trial_timeout: must be a duration such as 90s/,
      /^9: output_dir: must not be empty/,
    ];
    for (const pattern of expected) {
      assert.ok(
        text.some((line) => pattern.test(line)),
        `${String(pattern)} in\n${text.join('\n')}`,
      );
    }
  });

  it('hints a YAML value with ": " once per line, and refuses extra documents', () => {
    const syntax = issuesOf(() =>
      parseSweepYaml('task:\n  name: t\n  run: echo a: b\n  setup: echo c: d\n', {
        file: 's.yaml',
      }),
    );
    assert.deepEqual(
      syntax.map((i) => [i.line, i.col]),
      [
        [3, 8],
        [4, 10],
      ],
    );
    assert.match(syntax[0]!.message, /The value of 'run' contains ': '.*"run: \|"/);
    const two = issuesOf(() =>
      parseSweepYaml(
        'task: {name: t, run: echo}\nparameters: {x: [1]}\nobjective: v\n---\na: 1\n',
        {
          file: 's.yaml',
        },
      ),
    );
    assert.match(two[0]!.message, /holds 2 YAML documents; it must hold exactly one sweep/);
    assert.equal(two[0]!.line, 4);
  });
});

describe('resolveSweep (the object form)', () => {
  it('takes a Task and camelCase options', () => {
    const spec = resolveSweep({
      name: 'obj',
      task: new Task({ name: 'base', run: 'echo 1' }),
      parameters: { x: { type: 'uniform', low: 0, high: 1 } },
      objective: '.',
      maxFailures: 0,
      trialTimeout: '90s',
      sampler: { type: 'tpe', nStartupTrials: 3 },
    });
    assert.equal(spec.maxFailures, 0);
    assert.equal(spec.trialTimeoutMs, 90_000);
    assert.deepEqual(spec.sampler, { type: 'tpe', nStartupTrials: 3 });
  });

  it('refuses keys the object form does not have, YAML spellings included, in its own names', () => {
    const issues = issuesOf(() =>
      resolveSweep({
        name: 'obj',
        task: new Task({ name: 'base', run: 'echo 1' }),
        parameters: { x: [1, 2] },
        objective: 'v',
        max_failures: 1,
        trial: 3,
        trialTimeout: 'soon',
        sampler: { type: 'tpe', n_startup_trials: 3 },
      } as unknown as SweepDefinition),
    );
    assert.deepEqual(
      issues.map((i) => `${i.path}: ${i.message}`),
      [
        "max_failures: unknown field 'max_failures'; did you mean 'maxFailures'?",
        "trial: unknown field 'trial'; did you mean 'trials'?",
        "sampler.n_startup_trials: unknown field 'n_startup_trials'; did you mean 'sampler.nStartupTrials'?",
        'trialTimeout: must be a duration such as 90s, 10m or 1h (or milliseconds, more than 0), got "soon"',
      ],
    );
  });

  it('builds each trial task with its parameters as environment variables', () => {
    const spec = resolveSweep({
      name: 'obj',
      task: { name: 'base', run: 'echo $X', envs: { KEEP: '1' } },
      parameters: {
        x: { type: 'loguniform', low: 1e-8, high: 1 },
        mode: { type: 'choice', values: ['a', true] },
      },
      objective: 'v',
    });
    const task = trialTask(spec, 7, { x: 1e-7, mode: true });
    assert.equal(task.name, 'obj-7');
    assert.equal(task.envs['X'], '1e-7');
    assert.equal(task.envs['MODE'], 'true');
    assert.equal(task.envs['KEEP'], '1');
    assert.equal(task.envs['KONDUKTOR_TRIAL'], '7');
    assert.deepEqual(JSON.parse(task.envs['KONDUKTOR_PARAMS']!), { x: 1e-7, mode: true });
  });
});
