/**
 * config.yaml and sweep files through the CLI: the task file's messages and hints (no raw
 * validator text), every problem at once with file:line:col, exit 2. In-process (`run(argv, io)`),
 * except an invalid KONDUKTOR_BACKEND, which goes through the real binary and its environment.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ROOT, runCli, tempHome, writeTask } from '../support/cli.js';
import { runInProcess } from '../support/in-process.js';

// Wording zod uses when a schema gives none; none of it may reach a user.
const RAW = /Too small|Too big|Unrecognized key|Invalid input|Invalid option|expected number/;

describe('invalid config.yaml', () => {
  const ctx = tempHome();
  after(ctx.cleanup);
  mkdirSync(ctx.home, { recursive: true });
  const config = join(ctx.home, 'config.yaml');

  async function launchWith(text: string): Promise<string> {
    writeFileSync(config, text);
    const result = await runInProcess(['launch', '-y', '--dryrun', 'examples/hello.yaml'], {
      home: ctx.home,
      cwd: ROOT,
    });
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.stdout, '');
    assert.doesNotMatch(result.stderr, RAW);
    assert.match(result.stderr, /^error\[CONFIG_INVALID\]: invalid konduktor configuration/m);
    return result.stderr;
  }

  it('words every schema problem like a task file, with positions and suggestions', async () => {
    const stderr = await launchWith(
      [
        'backend: locl', // 1
        'local:', // 2
        '  capacity:', // 3
        '    cpus: 0', // 4
        '    gpu: 2', // 5
        '    memory: 16Gi', // 6
        'kubernetes:', // 7
        '  contxt: kind', // 8
        '',
      ].join('\n'),
    );
    assert.match(stderr, /\(5 problems\)/);
    const at = (line: string, message: RegExp): void => {
      const found = stderr.split('\n').find((l) => l.includes(`${config}:${line}`));
      assert.ok(found, `no problem at ${config}:${line} in\n${stderr}`);
      assert.match(found, message);
    };
    at('1:10', /backend: must be local or kubernetes, got "locl"; did you mean 'local'\?/);
    at('4:11', /local\.capacity\.cpus: must be greater than 0, got 0/);
    at('5:5', /unknown field 'gpu'; did you mean 'local\.capacity\.gpus'\?/);
    at('6:13', /memory is counted in GiB, so write 16 for 16Gi/);
    at('8:3', /unknown field 'contxt'; did you mean 'kubernetes\.context'\?/);
  });

  it('words problems of kubernetes.storage with positions', async () => {
    const stderr = await launchWith(
      [
        'kubernetes:', // 1
        '  storage:', // 2
        '    url: https://bucket/x', // 3
        '    endpoint: 127.0.0.1:9000', // 4
        '    regoin: us-east-1', // 5
        '',
      ].join('\n'),
    );
    assert.match(stderr, /\(3 problems\)/);
    assert.match(
      stderr,
      /:3:10: kubernetes\.storage\.url: must be s3:\/\/BUCKET or s3:\/\/BUCKET\/PREFIX/,
    );
    assert.match(
      stderr,
      /:4:15: kubernetes\.storage\.endpoint: must be the S3 endpoint konduktor uploads to, such as http:\/\/host:port/,
    );
    assert.match(
      stderr,
      /:5:5: kubernetes\.storage\.regoin: unknown field 'regoin'; did you mean 'kubernetes\.storage\.region'\?/,
    );
  });

  it('a kubernetes.kubeconfig that does not exist is named with where it was set', async () => {
    writeFileSync(config, 'kubernetes:\n  kubeconfig: /nonexistent/kc\n');
    const result = await runInProcess(['status', '--backend', 'kubernetes'], { home: ctx.home });
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      /no kubeconfig at \/nonexistent\/kc \(kubernetes\.kubeconfig in .*config\.yaml\): fix the path, or remove the key/,
    );
  });

  it('suggests the right level for a field written at the wrong one', async () => {
    const stderr = await launchWith('capacity:\n  cpus: 2\ncontext: kind\n');
    assert.match(stderr, /unknown field 'capacity'; did you mean 'local\.capacity'\?/);
    assert.match(stderr, /unknown field 'context'; did you mean 'kubernetes\.context'\?/);
  });

  it('words gpus problems, in a count or a list of indices', async () => {
    const count = await launchWith('local:\n  capacity:\n    gpus: -1\n');
    assert.match(count, /:3:11: local\.capacity\.gpus: must be a number of GPUs such as 2/);
    const list = await launchWith('local:\n  capacity:\n    gpus: [0, x]\n');
    assert.match(list, /local\.capacity\.gpus\[1\]: must be a whole number of at least 0, got "x"/);
  });

  it('reports every YAML error, not only the first, with the value hint', async () => {
    const stderr = await launchWith(
      'backend: local\nkubernetes:\n  context: a: b\n  namespace: "ns" x\n',
    );
    assert.match(stderr, /\(2 problems\)/);
    assert.match(
      stderr,
      new RegExp(`${config}:3:\\d+: YAML syntax error: .*The value of 'context' contains ': '`),
    );
    assert.match(
      stderr,
      new RegExp(`${config}:4:\\d+: YAML syntax error: .*'namespace' starts with a quote`),
    );
  });

  it('reports a duplicate key and extra documents', async () => {
    const duplicate = await launchWith('backend: local\nbackend: kubernetes\n');
    assert.match(duplicate, /:2:1: duplicate key 'backend'/);
    const two = await launchWith('backend: local\n---\nbackend: local\n');
    assert.match(two, /holds 2 YAML documents; it must hold exactly one configuration/);
  });

  it('accepts an empty file and a file of comments', async () => {
    for (const text of ['', '# nothing here yet\n']) {
      writeFileSync(config, text);
      const result = await runInProcess(['launch', '-y', '--dryrun', 'examples/hello.yaml'], {
        home: ctx.home,
        cwd: ROOT,
      });
      assert.equal(result.code, 0, result.stderr);
    }
  });
});

describe('an invalid KONDUKTOR_BACKEND', () => {
  const ctx = tempHome();
  after(ctx.cleanup);

  it('is a configuration error (CONFIG_INVALID, exit 2), for every command that picks a backend', async () => {
    for (const [value, args] of [
      ['nomad', ['result', 'no-such-job']],
      ['Local', ['logs', 'no-such-job']],
      ['k8s', ['down', '-y', 'no-such-job']],
    ] as const) {
      const result = await runCli(args, { home: ctx.home, env: { KONDUKTOR_BACKEND: value } });
      assert.equal(result.code, 2, result.stderr);
      assert.match(
        result.stderr,
        new RegExp(
          `^error\\[CONFIG_INVALID\\]: KONDUKTOR_BACKEND="${value}" is not a backend`,
          'm',
        ),
      );
    }
  });
});

describe('invalid sweep files', () => {
  const ctx = tempHome();
  after(ctx.cleanup);

  /** `konduktor sweep <file>` of the sweep `lines`: exit 2, words only; its stderr. */
  async function refusedSweep(name: string, lines: readonly string[]): Promise<string> {
    const file = writeTask(ctx.dir, name, [...lines, ''].join('\n'));
    const result = await runInProcess(['sweep', file, '-y'], { home: ctx.home });
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.stdout, '');
    assert.doesNotMatch(result.stderr, RAW);
    return result.stderr;
  }

  it('words sweep fields and the inline task like a task file', async () => {
    const stderr = await refusedSweep('sweep.yaml', [
      'name: My_Sweep', // 1
      'task:', // 2
      '  name: t', // 3
      '  run: echo', // 4
      '  resources:', // 5
      '    gpu: 1', // 6
      'parameters:', // 7
      '  lr: {type: uniform, low: 0, high: 1, steps: 2}', // 8
      'objective: loss', // 9
      'trials: 0', // 10
      'parallelism: -1', // 11
      'sampler: {type: tpe, gamma: 2}', // 12
      'direction: up', // 13
    ]);
    const file = join(ctx.dir, 'sweep.yaml');
    const lines = stderr.split('\n');
    const at = (line: number, message: RegExp): void => {
      const found = lines.find((l) => l.includes(`${file}:${line}:`));
      assert.ok(found, `no problem at line ${line} in\n${stderr}`);
      assert.match(found, message);
    };
    at(1, /name: .*did you mean 'my-sweep'\?/);
    at(6, /unknown field 'gpu'; did you mean 'resources\.accelerators'\?/);
    at(8, /unknown field 'steps' \(allowed here: type, low, high, env\)/);
    at(10, /trials: must be a whole number of at least 1, got 0/);
    at(11, /parallelism: must be a whole number of at least 1, got -1/);
    at(12, /sampler\.gamma: must be at most 1, got 2/);
    at(13, /direction: must be minimize or maximize, got "up"/);
  });

  it('lists every problem of every parameter at once, with "did you mean" for misspelt words', async () => {
    const stderr = await refusedSweep('bad.yaml', [
      'name: bad', // 1
      'task: {name: t, run: echo}', // 2
      'parameters:', // 3
      '  x: {type: unifrom, low: 1, high: 0}', // 4
      '  lr: {type: loguniform, low: 0, high: 1, env: "1x"}', // 5
      '  n: {type: int, low: 5, high: 1, step: 0}', // 6
      '  c: {type: choise, values: []}', // 7
      'objective: loss', // 8
      'sampler: rnadom', // 9
      'direction: maximise', // 10
    ]);
    const file = join(ctx.dir, 'bad.yaml');
    const expected: readonly string[] = [
      `4:13: parameters.x.type: type must be one of uniform, loguniform, int, choice, grid, got "unifrom"; did you mean 'uniform'?`,
      '4:36: parameters.x.high: high (0) must be greater than low (1)',
      '5:31: parameters.lr.low: a loguniform parameter needs low > 0, got 0',
      '5:48: parameters.lr.env: env must be a variable name: letters, digits and _, not starting with a digit',
      '6:32: parameters.n.high: high (1) must be greater than low (5)',
      '6:41: parameters.n.step: must be a whole number of at least 1, got 0',
      `7:13: parameters.c.type: type must be one of uniform, loguniform, int, choice, grid, got "choise"; did you mean 'choice'?`,
      '7:29: parameters.c.values: give at least one value',
      `9:10: sampler: must be grid, random or tpe, got "rnadom"; did you mean 'random'?`,
      `10:12: direction: must be minimize or maximize, got "maximise"; did you mean 'maximize'?`,
    ];
    assert.match(stderr, new RegExp(`\\(${expected.length} problems\\)`));
    const lines = stderr.split('\n').map((line) => line.trim());
    for (const problem of expected) {
      assert.ok(lines.includes(`${file}:${problem}`), `missing ${problem} in\n${stderr}`);
    }
  });

  it('gives the YAML value hint in sweep files too', async () => {
    const file = writeTask(
      ctx.dir,
      'one-liner.yaml',
      `task:\n  name: t\n  run: echo '{"loss": 1}' > "$KONDUKTOR_OUTPUT_DIR/result.json"\nparameters: {x: [1]}\nobjective: loss\n`,
    );
    const result = await runInProcess(['sweep', file, '-y'], { home: ctx.home });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /one-liner\.yaml:3:8: YAML syntax error: .*\("run: \|"/);
    assert.match(result.stderr, /\(1 problem\)/);
  });
});
