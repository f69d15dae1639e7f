import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TaskIssue } from '../../src/errors.js';
import { parseTaskYaml } from '../../src/task/load.js';
import { Resources, Task } from '../../src/task/task.js';
import type { ResourcesOptions, TaskOptions } from '../../src/task/task.js';
import type { TaskSpec } from '../../src/task/types.js';
import { issuesOf as issues } from '../support/common.js';

describe('Task and Resources', () => {
  it('builds the spec of the README example', () => {
    const task = new Task({
      name: 'sweep-trial-0',
      run: `echo '{"val_loss": 0.42}' > "$KONDUKTOR_OUTPUT_DIR/result.json"`,
    });
    const same = task.setResources(new Resources({ cpus: 1, memory: 2, imageId: 'ubuntu' }));
    assert.equal(same, task);
    assert.deepEqual(task.toSpec(), {
      name: 'sweep-trial-0',
      run: `echo '{"val_loss": 0.42}' > "$KONDUKTOR_OUTPUT_DIR/result.json"`,
      envs: {},
      numNodes: 1,
      resources: { labels: {}, maxRestarts: 0, cpus: 1, memory: 2, imageId: 'ubuntu' },
      fileMounts: {},
    });
  });

  it('exposes the fields through getters', () => {
    const resources = new Resources({
      cpus: 4,
      memory: 16,
      accelerators: 'H100:8',
      imageId: 'img',
      labels: { 'kueue.x-k8s.io/queue-name': 'q' },
      maxRestarts: 2,
    });
    const task = new Task({
      name: 'a',
      run: 'b',
      setup: 'c',
      envs: { X: 1, Y: true },
      workdir: '.',
      numNodes: 2,
      fileMounts: { '/r': '.' },
    }).setResources(resources);
    assert.equal(task.name, 'a');
    assert.equal(task.run, 'b');
    assert.equal(task.setup, 'c');
    assert.deepEqual(task.envs, { X: 1, Y: true });
    assert.equal(task.workdir, '.');
    assert.equal(task.numNodes, 2);
    assert.deepEqual(task.fileMounts, { '/r': '.' });
    assert.equal(task.resources, resources);
    assert.equal(resources.cpus, 4);
    assert.equal(resources.memory, 16);
    assert.equal(resources.accelerators, 'H100:8');
    assert.equal(resources.imageId, 'img');
    assert.deepEqual(resources.labels, { 'kueue.x-k8s.io/queue-name': 'q' });
    assert.equal(resources.maxRestarts, 2);
    const spec = task.toSpec();
    assert.deepEqual(spec.envs, { X: '1', Y: 'true' });
    assert.deepEqual(spec.resources.accelerators, { name: 'H100', count: 8 });
    assert.equal(spec.workdir, process.cwd());
  });

  it('defaults numNodes to 1 and has no resources until set', () => {
    const task = new Task({ name: 'a', run: 'b' });
    assert.equal(task.numNodes, 1);
    assert.equal(task.resources, undefined);
    assert.deepEqual(task.envs, {});
  });

  it('copies its inputs so later changes to them have no effect', () => {
    const envs: Record<string, string> = { A: '1' };
    const task = new Task({ name: 'a', run: 'b', envs });
    envs.B = '2';
    assert.deepEqual(task.envs, { A: '1' });
  });

  it('validates with the YAML rules and reports every problem with camelCase paths', () => {
    const task = new Task({
      name: 'Bad_Name',
      run: ' ',
      numNodes: 0,
      envs: { RANK: '0', '1X': 'y' },
      workdir: '/definitely/not/here',
      fileMounts: { '/a/../b': '.' },
    }).setResources(
      new Resources({ cpus: -1, memory: 0, accelerators: 'H100:0', imageId: '', maxRestarts: 1.5 }),
    );
    const all = issues(() => task.toSpec());
    assert.deepEqual(
      all.map((i) => i.path),
      [
        'name',
        'run',
        'envs.RANK',
        'envs["1X"]',
        'numNodes',
        'resources.cpus',
        'resources.memory',
        'resources.accelerators',
        'resources.imageId',
        'resources.maxRestarts',
        'fileMounts["/a/../b"]',
        'workdir',
      ],
    );
    for (const i of all) {
      assert.equal(i.line, undefined);
      assert.equal(i.file, undefined);
    }
    assert.match(all[0]!.message, /did you mean 'bad-name'\?/);
  });

  it('rejects bad label values given from JavaScript', () => {
    const labels = { maxRunDurationSeconds: 3000 } as unknown as Record<string, string>;
    const all = issues(() =>
      new Task({ name: 'a', run: 'b' }).setResources(new Resources({ labels })).toSpec(),
    );
    assert.equal(all[0]!.path, 'resources.labels.maxRunDurationSeconds');
    assert.match(all[0]!.message, /quote it/);
  });
});

describe('the object API is as strict as YAML (issue 10 §7)', () => {
  // Keys a JavaScript caller (or an untyped TypeScript one) can pass.
  const task = (options: Record<string, unknown>): Task =>
    new Task(options as unknown as TaskOptions);
  const resources = (options: unknown): Resources => new Resources(options as ResourcesOptions);
  const listed = (all: TaskIssue[]): string[] => all.map((i) => `${i.path}: ${i.message}`);

  it("refuses the issue's input: num_nodes and envz, each with a suggestion", () => {
    const all = issues(() =>
      task({ name: 'unk', run: 'echo', num_nodes: 2, envz: { A: '1' } }).toSpec(),
    );
    assert.deepEqual(listed(all), [
      "num_nodes: unknown field 'num_nodes'; did you mean 'numNodes'?",
      "envz: unknown field 'envz'; did you mean 'envs'?",
    ]);
  });

  it('words an unknown key exactly as a task file does', () => {
    for (const key of ['envz', 'stup', 'workdri', 'command', 'cloud']) {
      const fromObject = issues(() => task({ name: 'a', run: 'b', [key]: 'x' }).toSpec());
      const fromYaml = issues(() => parseTaskYaml(`name: a\nrun: b\n${key}: x\n`));
      assert.equal(fromObject[0]!.message, fromYaml[0]!.message, key);
    }
  });

  it('accepts only the camelCase keys, suggesting them for the YAML spellings', () => {
    const all = issues(() =>
      task({ name: 'a', run: 'b', file_mounts: {}, NumNodes: 2 })
        .setResources(resources({ image_id: 'ubuntu', max_restarts: 1, job_config: {} }))
        .toSpec(),
    );
    assert.deepEqual(listed(all), [
      "file_mounts: unknown field 'file_mounts'; did you mean 'fileMounts'?",
      "NumNodes: unknown field 'NumNodes'; did you mean 'numNodes'?",
      "resources.image_id: unknown field 'image_id'; did you mean 'resources.imageId'?",
      "resources.max_restarts: unknown field 'max_restarts'; did you mean 'resources.maxRestarts'?",
      "resources.job_config: unknown field 'job_config': give maxRestarts and priority as options of Resources",
    ]);
  });

  it('points a field at the wrong object to where it belongs', () => {
    const all = issues(() =>
      task({ name: 'a', run: 'b', cpus: 2, resources: { cpus: 2 } })
        .setResources(resources({ gpus: 'H100:1', numNodes: 2 }))
        .toSpec(),
    );
    assert.deepEqual(listed(all), [
      "cpus: unknown field 'cpus'; did you mean 'resources.cpus'?",
      "resources: unknown field 'resources': set resources with task.setResources(new Resources({ … }))",
      "resources.gpus: unknown field 'gpus'; did you mean 'resources.accelerators'?",
      "resources.numNodes: unknown field 'numNodes'; did you mean 'numNodes' (at the top level)?",
    ]);
  });

  it('says a misspelt required field once, and lists unknown keys with bad values', () => {
    assert.deepEqual(listed(issues(() => task({ nmae: 'a', run: 'b' }).toSpec())), [
      "nmae: unknown field 'nmae'; did you mean 'name'?",
    ]);
    const both = issues(() => task({ name: 'a', run: 'b', numNodes: 0, zzz: 1 }).toSpec());
    assert.deepEqual(
      both.map((i) => i.path),
      ['zzz', 'numNodes'],
    );
    assert.match(
      both[0]!.message,
      /allowed here: name, run, setup, envs, workdir, numNodes, fileMounts/,
    );
  });

  it('refuses options that are not an object, instead of a TypeError', () => {
    assert.match(
      listed(issues(() => new Task(null as unknown as TaskOptions).toSpec()))[0]!,
      /the options of a Task must be an object, got an empty value/,
    );
    assert.match(
      listed(issues(() => task({ name: 'a', run: 'b' }).setResources(resources('x')).toSpec()))[0]!,
      /^resources: the options of Resources must be an object, got "x"/,
    );
  });

  it('checks a plain spec from JavaScript the same way (no TypeError for a missing resources)', () => {
    const spec = { name: 'a', run: 'b', num_nodes: 2 } as unknown as TaskSpec;
    assert.deepEqual(listed(issues(() => Task.fromSpec(spec).toSpec())), [
      "num_nodes: unknown field 'num_nodes'; did you mean 'numNodes'?",
    ]);
    const extra = {
      ...parseTaskYaml('name: a\nrun: b\nresources: {accelerators: H100:2}\n'),
      resources: { labels: {}, maxRestarts: 0, accelerators: { name: 'H100', count: 2 }, gpu: 1 },
    } as unknown as TaskSpec;
    assert.deepEqual(listed(issues(() => Task.fromSpec(extra).toSpec())), [
      "resources.gpu: unknown field 'gpu'; did you mean 'resources.accelerators'?",
    ]);
  });
});

describe('Task.fromYaml', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'konduktor-fromyaml-'));
    mkdirSync(join(dir, 'code'));
    writeFileSync(
      join(dir, 'task.yaml'),
      'name: t\nrun: echo\nworkdir: code\nresources:\n  cpus: 2\n  accelerators: L4:1\n',
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file path, resolving paths against its directory', () => {
    const task = Task.fromYaml(join(dir, 'task.yaml'));
    assert.equal(task.name, 't');
    assert.equal(task.workdir, join(dir, 'code'));
    assert.equal(task.resources?.cpus, 2);
    assert.equal(task.resources?.accelerators, 'L4:1');
    assert.equal(task.toSpec().workdir, join(dir, 'code'));
  });

  it('reads YAML text', () => {
    const task = Task.fromYaml('name: hello\nrun: echo hi\n');
    assert.equal(task.name, 'hello');
    assert.equal(Task.fromYaml('{name: a, run: b}').run, 'b');
  });

  it('treats a string without newline or colon as a path', () => {
    const all = issues(() => Task.fromYaml(join(dir, 'missing.yaml')));
    assert.match(all[0]!.message, /task file not found/);
  });

  it('reports YAML text problems with line numbers and no file', () => {
    const all = issues(() => Task.fromYaml('name: a\nrun: b\ncpus: 1\n'));
    assert.deepEqual(
      all.map((i) => [i.path, i.line, i.file]),
      [['cpus', 3, undefined]],
    );
  });

  it('round-trips through fromSpec', () => {
    const spec = Task.fromYaml(join(dir, 'task.yaml')).toSpec();
    assert.deepEqual(Task.fromSpec(spec).toSpec(), spec);
  });
});
