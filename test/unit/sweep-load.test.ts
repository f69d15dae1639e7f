import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { TaskValidationError } from '../../src/errors.js';
import { loadSweepFile, parseSweepYaml, resolveSweep } from '../../src/sweep/load.js';
import type { PrunerDefinition, SweepDefinition } from '../../src/sweep/load.js';
import { trialTask } from '../../src/sweep/run.js';
import { Task } from '../../src/task/task.js';
import { validationError } from '../support/common.js';

const dir = mkdtempSync(join(tmpdir(), 'konduktor-sweep-load-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function issuesOf(fn: () => unknown): TaskValidationError['issues'] {
  const err = validationError(fn);
  assert.match(err.message, /^invalid sweep/);
  return err.issues;
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

describe('parseSweepYaml: every problem of a parameter at once, misspelt words named', () => {
  const issuesAt = (lines: readonly string[]): Map<string, string[]> => {
    const text = ['task: {name: t, run: echo}', 'objective: loss', ...lines].join('\n');
    const found = new Map<string, string[]>();
    for (const issue of issuesOf(() => parseSweepYaml(text, { file: 's.yaml', baseDir: dir }))) {
      assert.equal(typeof issue.line, 'number', JSON.stringify(issue));
      found.set(issue.path, [...(found.get(issue.path) ?? []), `${issue.line}: ${issue.message}`]);
    }
    return found;
  };

  it('says "did you mean" for misspelt types, samplers and directions', () => {
    const found = issuesAt([
      'parameters:', // 3
      '  a: {type: unifrom, low: 0, high: 1}', // 4
      '  b: {type: logunifrom, low: 1, high: 2}', // 5
      '  c: {type: itn, low: 1, high: 4}', // 6
      '  d: {type: choise, values: [1, 2]}', // 7
      '  e: {type: gird, values: [1, 2]}', // 8
      '  f: {type: normal, low: 0, high: 1}', // 9
      'sampler: rnadom', // 10
      'direction: maximise', // 11
    ]);
    const hint = (path: string, line: number, word: string): void => {
      assert.match(
        found.get(path)?.join('\n') ?? '',
        new RegExp(`^${line}: .*did you mean '${word}'\\?$`),
        path,
      );
    };
    hint('parameters.a.type', 4, 'uniform');
    hint('parameters.b.type', 5, 'loguniform');
    hint('parameters.c.type', 6, 'int');
    hint('parameters.d.type', 7, 'choice');
    hint('parameters.e.type', 8, 'grid');
    hint('sampler', 10, 'random');
    hint('direction', 11, 'maximize');
    // Nothing is near: the allowed words, no guess.
    assert.deepEqual(found.get('parameters.f.type'), [
      '9: type must be one of uniform, loguniform, int, choice, grid, got "normal"',
    ]);
    const sampler = issuesAt(['parameters: {x: [1]}', 'sampler: {type: tpee}']);
    assert.match(sampler.get('sampler.type')?.[0] ?? '', /^4: .*did you mean 'tpe'\?$/);
  });

  it('checks low, high, step and values whatever else is wrong with the parameter', () => {
    const found = issuesAt([
      'parameters:', // 3
      '  a: {type: unifrom, low: 1, high: 0}', // 4: the issue's own input
      '  b: {type: logunifrom, low: 0, high: 1}', // 5
      '  c: {type: int, low: 5, high: 1, step: 0}', // 6
      '  d: {type: uniform, low: 2, high: 1, env: "1x"}', // 7
      '  e: {type: normal, low: 3, high: 3}', // 8
      '  f: {type: choise, values: []}', // 9
      '  g: {type: int, low: 0.5, high: 2, log: true, stepp: 2}', // 10
      '  h: {type: itn, low: 1, high: 3, step: 5}', // 11
      '  i: {type: unifrom, low: one, high: 2}', // 12
    ]);
    const has = (path: string, message: RegExp): void => {
      const messages = found.get(path) ?? [];
      assert.ok(
        messages.some((m) => message.test(m)),
        `${path}: ${JSON.stringify(messages)} in ${JSON.stringify([...found])}`,
      );
    };
    has('parameters.a.type', /^4: .*did you mean 'uniform'/);
    has('parameters.a.high', /^4: high \(0\) must be greater than low \(1\)$/);
    has('parameters.b.type', /^5: .*did you mean 'loguniform'/);
    has('parameters.b.low', /^5: a loguniform parameter needs low > 0, got 0$/);
    has('parameters.c.step', /^6: must be a whole number of at least 1, got 0$/);
    has('parameters.c.high', /^6: high \(1\) must be greater than low \(5\)$/);
    has('parameters.d.env', /^7: env must be a variable name/);
    has('parameters.d.high', /^7: high \(1\) must be greater than low \(2\)$/);
    has('parameters.e.type', /^8: type must be one of/);
    has('parameters.e.high', /^8: high \(3\) must be greater than low \(3\)$/);
    has('parameters.f.type', /^9: .*did you mean 'choice'/);
    has('parameters.f.values', /^9: give at least one value$/);
    has('parameters.g.stepp', /^10: unknown field 'stepp'; did you mean 'step'/);
    has('parameters.g.low', /^10: low must be an integer, got 0.5$/);
    has('parameters.g.low', /^10: an int parameter with log: true needs low >= 1, got 0.5$/);
    has('parameters.h.step', /^11: step \(5\) is larger than high - low \(2\)/);
    has('parameters.i.low', /^12: low must be a number, got "one"$/);
    // One problem, one message: nothing said twice.
    for (const [path, messages] of found) {
      assert.equal(new Set(messages).size, messages.length, `${path}: ${JSON.stringify(messages)}`);
    }
  });

  it('keeps the checks of a valid parameter (int: low may equal high) quiet', () => {
    const spec = parseSweepYaml(
      'task: {name: t, run: echo}\nobjective: loss\nparameters:\n  n: {type: int, low: 3, high: 3}\n  m: {type: int, low: 1, high: 9, step: 4}\n',
      { baseDir: dir, file: 'ok.yaml' },
    );
    assert.deepEqual(Object.keys(spec.parameters), ['n', 'm']);
  });

  it('the object form gets the same checks', () => {
    const issues = issuesOf(() =>
      resolveSweep({
        name: 's',
        task: { name: 't', run: 'echo' },
        parameters: { a: { type: 'unifrom', low: 1, high: 0 } as never },
        objective: 'loss',
        direction: 'maximise' as never,
      }),
    );
    const messages = issues.map((i) => `${i.path}: ${i.message}`);
    assert.ok(
      messages.some((m) => /^parameters\.a\.type: .*did you mean 'uniform'/.test(m)),
      String(messages),
    );
    assert.ok(
      messages.includes('parameters.a.high: high (0) must be greater than low (1)'),
      String(messages),
    );
    assert.ok(
      messages.some((m) => /^direction: .*did you mean 'maximize'/.test(m)),
      String(messages),
    );
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

describe('pruner', () => {
  const base = [
    'name: p',
    'task: { name: t, run: echo hi }',
    'parameters: { x: [1, 2] }',
    'objective: v',
  ];
  /** The object form of the same sweep, with `pruner`. */
  const withPruner = (pruner: PrunerDefinition): ReturnType<typeof resolveSweep> =>
    resolveSweep({
      name: 'obj',
      task: { name: 'base', run: 'echo 1' },
      parameters: { x: { type: 'grid', values: [1, 2] } },
      objective: 'v',
      pruner,
    });

  it('reads median and asha with their defaults, in both forms', () => {
    const median = parseSweepYaml([...base, 'pruner: { type: median }'].join('\n'));
    assert.deepEqual(median.pruner, {
      type: 'median',
      nStartupTrials: 5,
      nWarmupSteps: 0,
      intervalSteps: 1,
    });
    const asha = parseSweepYaml(
      [...base, 'pruner: { type: asha, min_resource: 2, reduction_factor: 4 }'].join('\n'),
    );
    assert.deepEqual(asha.pruner, { type: 'asha', minResource: 2, reductionFactor: 4 });
    assert.equal(parseSweepYaml(base.join('\n')).pruner, undefined);
    const object = withPruner({
      type: 'median',
      nStartupTrials: 2,
      nWarmupSteps: 3,
      intervalSteps: 2,
    });
    assert.deepEqual(object.pruner, {
      type: 'median',
      nStartupTrials: 2,
      nWarmupSteps: 3,
      intervalSteps: 2,
    });
  });

  it('refuses unknown types, misplaced keys and bad numbers', () => {
    for (const [pruner, pattern] of [
      ['pruner: { type: hyperband }', /pruner/],
      ['pruner: { type: asha, n_warmup_steps: 2 }', /n_warmup_steps/],
      ['pruner: { type: asha, reduction_factor: 1 }', /reduction_factor/],
      ['pruner: { type: median, interval_steps: 0 }', /interval_steps/],
      ['pruner: median', /pruner/],
    ] as const) {
      const issues = issuesOf(() => parseSweepYaml([...base, pruner].join('\n')));
      assert.ok(
        issues.some((i) => pattern.test(`${i.path}: ${i.message}`)),
        `${pruner}: ${JSON.stringify(issues)}`,
      );
    }
    // The YAML spelling in the object form is named by the object form's key.
    const issues = issuesOf(() =>
      withPruner({ type: 'asha', min_resource: 2 } as unknown as PrunerDefinition),
    );
    assert.match(issues.map((i) => `${i.path}: ${i.message}`).join('\n'), /minResource/);
  });
});
