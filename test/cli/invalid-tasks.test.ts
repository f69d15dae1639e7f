/**
 * Invalid task fields through the CLI: exit 2, the field and its line, nothing launched. Run
 * in-process (`run(argv, io)`), except the last two, which go through the real binary with paths
 * relative to its working directory.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { runCli, tempHome, writeTask } from '../support/cli.js';
import { runInProcess } from '../support/in-process.js';

const cases: { field: string; yaml: string; line: number; message: RegExp }[] = [
  { field: 'name', yaml: 'name: Bad_Name\nrun: echo\n', line: 1, message: /name/ },
  { field: 'run', yaml: 'name: ok\nrun: ""\n', line: 2, message: /run/ },
  { field: 'setup', yaml: 'name: ok\nrun: echo\nsetup: [1]\n', line: 3, message: /setup/ },
  { field: 'envs', yaml: 'name: ok\nrun: echo\nenvs:\n  1BAD: x\n', line: 4, message: /envs/ },
  {
    field: 'envs null',
    yaml: 'name: ok\nrun: echo\nenvs:\n  EMPTY:\n',
    line: 4,
    message: /EMPTY: ""/,
  },
  {
    field: 'envs reserved',
    yaml: 'name: ok\nrun: echo\nenvs:\n  RANK: "3"\n',
    line: 4,
    message: /reserved/,
  },
  {
    field: 'workdir',
    yaml: 'name: ok\nrun: echo\nworkdir: /does/not/exist\n',
    line: 3,
    message: /workdir/,
  },
  {
    field: 'num_nodes',
    yaml: 'name: ok\nrun: echo\nnum_nodes: 0\n',
    line: 3,
    message: /num_nodes/,
  },
  {
    field: 'resources.cpus',
    yaml: 'name: ok\nrun: echo\nresources:\n  cpus: 4+\n',
    line: 4,
    message: /resources\.cpus/,
  },
  {
    field: 'resources.memory',
    yaml: 'name: ok\nrun: echo\nresources:\n  memory: -1\n',
    line: 4,
    message: /resources\.memory/,
  },
  {
    field: 'resources.accelerators',
    yaml: 'name: ok\nrun: echo\nresources:\n  accelerators: "H100:x"\n',
    line: 4,
    message: /resources\.accelerators/,
  },
  {
    field: 'resources.image_id',
    yaml: 'name: ok\nrun: echo\nresources:\n  image_id: 3\n',
    line: 4,
    message: /resources\.image_id/,
  },
  {
    field: 'resources.labels',
    yaml: 'name: ok\nrun: echo\nresources:\n  labels:\n    a: 1\n',
    line: 5,
    message: /resources\.labels/,
  },
  {
    field: 'resources.job_config.max_restarts',
    yaml: 'name: ok\nrun: echo\nresources:\n  job_config:\n    max_restarts: -1\n',
    line: 5,
    message: /max_restarts/,
  },
  {
    field: 'file_mounts',
    yaml: 'name: ok\nrun: echo\nfile_mounts:\n  /data: /no/such/source\n',
    line: 4,
    message: /file_mounts/,
  },
  {
    field: 'unknown key',
    yaml: 'name: ok\nrun: echo\nnum_node: 2\n',
    line: 3,
    message: /did you mean 'num_nodes'/,
  },
];

// YAML reads these plain values as structure, not text: the error says which value, why, and how
// to write it (issue 10 §8). The README's one-liner is the first.
const yamlValueCases: { what: string; yaml: string; at: string; hint: RegExp }[] = [
  {
    what: 'the README one-liner (": " inside a plain run value)',
    yaml: `name: ok\nrun: echo '{"val_loss": 0.1}' > "$KONDUKTOR_OUTPUT_DIR/result.json"\n`,
    at: '2:6',
    hint: /The value of 'run' contains ': '.*write it as a block \("run: \|"/,
  },
  {
    what: 'a python -c command with ": " in setup',
    yaml: 'name: ok\nrun: echo\nsetup: python -c "print(1)": x\n',
    at: '3:8',
    hint: /The value of 'setup' contains ': '/,
  },
  {
    what: 'an env value holding a URL and ": "',
    yaml: 'name: ok\nrun: echo\nenvs:\n  URL: http://host a: b\n',
    at: '4:8',
    hint: /The value of 'URL' contains ': '.*quote the whole value/,
  },
  {
    what: 'a quoted word followed by more text',
    yaml: 'name: ok\nrun: "$X" > out.txt\n',
    at: '2:',
    hint: /The value of 'run' starts with a quote, so the value ends at the closing "/,
  },
  {
    what: 'a value starting with a reserved character',
    yaml: 'name: ok\nrun: `date`\n',
    at: '2:6',
    hint: /The value of 'run' starts with '`'/,
  },
  {
    what: 'a shebang that YAML reads as a comment',
    yaml: 'name: ok\nrun: #!/bin/bash\n',
    at: '2:1',
    hint: /run: is empty.*everything from '#' on is a YAML comment/,
  },
  {
    what: 'a brace group that YAML reads as a mapping',
    yaml: 'name: ok\nrun: { echo hi; }\n',
    at: '2:6',
    hint: /got a mapping; in YAML a value starting with '\{' is a mapping: quote the command/,
  },
];

describe('task values YAML reads as structure', () => {
  const ctx = tempHome();
  after(ctx.cleanup);

  for (const { what, yaml, at, hint } of yamlValueCases) {
    it(`${what}: exit 2 with file:line:col and how to write it`, async () => {
      const path = writeTask(ctx.dir, `${what.replace(/\W+/g, '-')}.yaml`, yaml);
      const result = await runInProcess(['launch', '-y', '--dryrun', path], { home: ctx.home });
      assert.equal(result.code, 2, result.stderr);
      assert.ok(
        result.stderr.includes(`${path}:${at}`),
        `expected ${path}:${at} in ${result.stderr}`,
      );
      assert.match(result.stderr, hint);
      assert.equal(result.stdout, '');
    });
  }

  it('accepts the README one-liner written as the hint says', async () => {
    const path = writeTask(
      ctx.dir,
      'as-block.yaml',
      `name: ok\nrun: |\n  echo '{"val_loss": 0.1}' > "$KONDUKTOR_OUTPUT_DIR/result.json"\n`,
    );
    const result = await runInProcess(['launch', '-y', '--dryrun', path], { home: ctx.home });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      (JSON.parse(result.stdout) as { task: { run: string } }).task.run,
      `echo '{"val_loss": 0.1}' > "$KONDUKTOR_OUTPUT_DIR/result.json"\n`,
    );
  });

  it('reports one syntax error per line, every line', async () => {
    const path = writeTask(
      ctx.dir,
      'two-lines.yaml',
      'name: ok\nrun: echo a: b\nsetup: echo c: d\n',
    );
    const result = await runInProcess(['launch', '-y', '--dryrun', path], { home: ctx.home });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /\(2 problems\)/);
    assert.ok(result.stderr.includes(`${path}:2:6`), result.stderr);
    assert.ok(result.stderr.includes(`${path}:3:8`), result.stderr);
  });
});

describe('invalid task files', () => {
  const ctx = tempHome();
  after(ctx.cleanup);

  for (const { field, yaml, line, message } of cases) {
    it(`${field}: exit 2 with the field and line, nothing launched`, async () => {
      const path = writeTask(ctx.dir, `${field.replace(/\W+/g, '-')}.yaml`, yaml);
      const result = await runInProcess(['launch', '-y', '--wait', path], { home: ctx.home });
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
      assert.ok(
        result.stderr.includes(`${path}:${line}:`),
        `expected ${path}:${line}: in ${result.stderr}`,
      );
      assert.equal(result.stdout, '');
      const status = await runInProcess(['status', '--json'], { home: ctx.home });
      assert.deepEqual(JSON.parse(status.stdout), []);
    });
  }

  it('reports every problem of a file at once', async () => {
    const path = writeTask(
      ctx.dir,
      'many.yaml',
      'name: BAD\nrun: echo\nnum_nodes: -2\nresources:\n  cpus: 0\n  gpu: 1\n',
    );
    const result = await runInProcess(['launch', '-y', path], { home: ctx.home });
    assert.equal(result.code, 2);
    for (const line of [1, 3, 5, 6])
      assert.ok(result.stderr.includes(`${path}:${line}:`), result.stderr);
  });

  it('rejects a bad override with exit 2', async () => {
    const result = await runCli(['launch', '-y', 'examples/hello.yaml', '--cpus', 'lots'], {
      home: ctx.home,
    });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--cpus/);
  });

  it('rejects a missing task file with exit 2', async () => {
    const result = await runCli(['launch', '-y', 'no-such-task.yaml'], { home: ctx.home });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /no-such-task\.yaml/);
  });
});
