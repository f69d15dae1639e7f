/**
 * Invalid task fields through the CLI: exit 2, the field and its line, nothing launched.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { runCli, tempHome, writeTask } from '../support/cli.js';

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

describe('invalid task files', () => {
  const ctx = tempHome();
  after(ctx.cleanup);

  for (const { field, yaml, line, message } of cases) {
    it(`${field}: exit 2 with the field and line, nothing launched`, async () => {
      const path = writeTask(ctx.dir, `${field.replace(/\W+/g, '-')}.yaml`, yaml);
      const result = await runCli(['launch', '-y', '--wait', path], { home: ctx.home });
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
      assert.ok(
        result.stderr.includes(`${path}:${line}:`),
        `expected ${path}:${line}: in ${result.stderr}`,
      );
      assert.equal(result.stdout, '');
      const status = await runCli(['status', '--json'], { home: ctx.home });
      assert.deepEqual(JSON.parse(status.stdout), []);
    });
  }

  it('reports every problem of a file at once', async () => {
    const path = writeTask(
      ctx.dir,
      'many.yaml',
      'name: BAD\nrun: echo\nnum_nodes: -2\nresources:\n  cpus: 0\n  gpu: 1\n',
    );
    const result = await runCli(['launch', '-y', path], { home: ctx.home });
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
