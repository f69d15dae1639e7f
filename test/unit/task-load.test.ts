import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TaskValidationError, formatTaskIssue } from '../../src/errors.js';
import type { TaskIssue } from '../../src/errors.js';
import { loadTaskFile, parseTaskYaml } from '../../src/task/load.js';
import type { ParseTaskOptions } from '../../src/task/load.js';
import { issuesOf as issues } from '../support/common.js';

function yamlIssues(text: string, options?: ParseTaskOptions): TaskIssue[] {
  return issues(() => parseTaskYaml(text, options));
}

function where(i: TaskIssue): string {
  return `${i.line ?? '-'}:${i.col ?? '-'} ${i.path}`;
}

describe('parseTaskYaml: every problem at once', () => {
  const text = [
    'name: Bad_Name', // 1
    'run: echo', // 2
    'num_nodes: 0', // 3
    'envs:', // 4
    '  RANK: "1"', // 5
    '  EMPTY:', // 6
    'resources:', // 7
    '  cpus: 4+', // 8
    '  memroy: 8', // 9
    '  labels:', // 10
    '    maxRunDurationSeconds: 3000', // 11
    '  job_config:', // 12
    '    max_restart: 1', // 13
    'workdri: .', // 14
    '',
  ].join('\n');

  it('reports them all, in document order, with line and column', () => {
    const all = yamlIssues(text, { file: 'task.yaml' });
    assert.deepEqual(all.map(where), [
      '1:7 name',
      '3:12 num_nodes',
      '5:3 envs.RANK',
      '6:3 envs.EMPTY',
      '8:9 resources.cpus',
      '9:3 resources.memroy',
      '11:28 resources.labels.maxRunDurationSeconds',
      '13:5 resources.job_config.max_restart',
      '14:1 workdri',
    ]);
    for (const i of all) assert.equal(i.file, 'task.yaml');
  });

  it('gives did-you-mean hints for unknown keys, pointing at the key', () => {
    const all = yamlIssues(text);
    const byPath = new Map(all.map((i) => [i.path, i.message]));
    assert.equal(
      byPath.get('resources.memroy'),
      "unknown field 'memroy'; did you mean 'resources.memory'?",
    );
    assert.equal(
      byPath.get('resources.job_config.max_restart'),
      "unknown field 'max_restart'; did you mean 'resources.job_config.max_restarts'?",
    );
    assert.equal(byPath.get('workdri'), "unknown field 'workdri'; did you mean 'workdir'?");
  });

  it('formats the error message as file:line:col: path: message', () => {
    try {
      parseTaskYaml(text, { file: 'task.yaml' });
      assert.fail('expected an error');
    } catch (err) {
      assert.ok(err instanceof TaskValidationError);
      assert.match(err.message, /^invalid task \(9 problems\):/);
      assert.match(err.message, /\n {2}task\.yaml:8:9: resources\.cpus: "4\+" is not a number/);
      assert.equal(
        formatTaskIssue(err.issues[0]!),
        `task.yaml:1:7: name: ${err.issues[0]!.message}`,
      );
    }
  });
});

describe('parseTaskYaml: unknown keys', () => {
  const one = (text: string): TaskIssue => {
    const all = yamlIssues(text);
    assert.equal(all.length, 1, JSON.stringify(all));
    return all[0]!;
  };

  it('suggests fields at the same level', () => {
    assert.match(one('name: a\nrun: b\nnum_node: 2\n').message, /did you mean 'num_nodes'\?/);
    assert.match(one('name: a\nrun: b\nnumNodes: 2\n').message, /did you mean 'num_nodes'\?/);
    assert.match(one('name: a\nrun: b\nenv: {}\n').message, /did you mean 'envs'\?/);
    assert.match(one('nmae: a\nrun: b\n').message, /did you mean 'name'\?/);
  });

  it('suggests common aliases', () => {
    const gpus = one('name: a\nrun: b\nresources:\n  gpus: H100:1\n');
    assert.equal(gpus.message, "unknown field 'gpus'; did you mean 'resources.accelerators'?");
    assert.deepEqual([gpus.line, gpus.col], [4, 3]);
    assert.match(
      one('name: a\nrun: b\nresources: {image: x}\n').message,
      /did you mean 'resources.image_id'\?/,
    );
    assert.match(
      one('name: a\nrun: b\nresources: {max_restarts: 1}\n').message,
      /did you mean 'resources.job_config.max_restarts'\?/,
    );
  });

  it('suggests the right level for a field in the wrong place', () => {
    assert.match(one('name: a\nrun: b\ncpus: 2\n').message, /did you mean 'resources.cpus'\?/);
    assert.match(one('name: a\nrun: b\ngpus: 2\n').message, /'resources.accelerators'/);
    assert.match(
      one('name: a\nrun: b\nresources: {num_nodes: 2}\n').message,
      /did you mean 'num_nodes' \(at the top level\)\?/,
    );
  });

  it('lists the allowed fields when nothing is close', () => {
    const i = one('name: a\nrun: b\nfoobarbaz: 1\n');
    assert.match(i.message, /unknown field 'foobarbaz' \(allowed here: name, run, setup/);
  });

  it('explains fields of the original that konduktor lacks', () => {
    assert.match(one('name: a\nrun: b\nresources: {cloud: k8s}\n').message, /--backend/);
  });

  it('reports each unknown key separately', () => {
    const all = yamlIssues('name: a\nrun: b\nfoo: 1\nbar: 2\n');
    assert.deepEqual(all.map(where), ['3:1 foo', '4:1 bar']);
  });
});

describe('parseTaskYaml: YAML syntax and documents', () => {
  it('reports syntax errors with line and column', () => {
    const all = yamlIssues('name: a\nrun: b\nresources: [1\n');
    assert.equal(all.length, 1);
    assert.match(all[0]!.message, /^YAML syntax error:/);
    assert.equal(all[0]!.line, 4);
  });

  it('reports duplicate keys by name', () => {
    const all = yamlIssues('name: a\nrun: b\nname: c\n');
    assert.deepEqual(all.map(where), ['3:1 ']);
    assert.match(all[0]!.message, /duplicate key 'name'/);
  });

  it('reports tabs used as indentation', () => {
    const all = yamlIssues('name: a\nrun: b\nresources:\n\tcpus: 1\n');
    assert.ok(all.length >= 1);
    assert.equal(all[0]!.line, 4);
  });

  it('refuses more than one document, pointing at the second, along with other problems', () => {
    const all = yamlIssues('name: a\nrun: b\ncpu: 1\n---\nname: c\nrun: d\n');
    assert.deepEqual(all.map(where), ['3:1 cpu', '4:1 ']);
    assert.match(all[1]!.message, /2 YAML documents/);
  });

  it('accepts a leading document marker and a trailing empty document', () => {
    assert.equal(parseTaskYaml('---\nname: a\nrun: b\n').name, 'a');
    assert.equal(parseTaskYaml('name: a\nrun: b\n---\n').name, 'a');
  });

  it('reports an empty file and a comment-only file', () => {
    assert.match(yamlIssues('')[0]!.message, /the task is empty/);
    assert.match(yamlIssues('# nothing\n')[0]!.message, /the task is empty/);
  });

  it('reports an unresolved alias with its position', () => {
    const all = yamlIssues('name: a\nrun: *script\n');
    assert.equal(all.length, 1);
    assert.deepEqual([all[0]!.line, all[0]!.col], [2, 6]);
  });

  it('resolves anchors, aliases and merge keys', () => {
    const spec = parseTaskYaml('name: a\nrun: b\nenvs:\n  <<: &common {A: "1"}\n  B: "2"\n');
    assert.deepEqual(spec.envs, { A: '1', B: '2' });
  });

  it('strips a byte-order mark', () => {
    assert.equal(parseTaskYaml('\uFEFFname: a\nrun: b\n').name, 'a');
  });

  it('points at the key when a value is empty', () => {
    const all = yamlIssues('name: a\nrun:\n');
    assert.deepEqual(all.map(where), ['2:1 run']);
  });
});

describe('parseTaskYaml: workdir and file_mounts', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'konduktor-task-'));
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'data.txt'), 'x');
    symlinkSync(join(dir, 'src'), join(dir, 'link'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('resolves a relative workdir against baseDir', () => {
    const spec = parseTaskYaml('name: a\nrun: b\nworkdir: src\n', { baseDir: dir });
    assert.equal(spec.workdir, join(dir, 'src'));
    assert.equal(parseTaskYaml('name: a\nrun: b\nworkdir: .\n', { baseDir: dir }).workdir, dir);
  });

  it('accepts an absolute workdir and a symlink to a directory', () => {
    const abs = parseTaskYaml(`name: a\nrun: b\nworkdir: ${join(dir, 'src')}\n`);
    assert.equal(abs.workdir, join(dir, 'src'));
    const link = parseTaskYaml('name: a\nrun: b\nworkdir: ./link\n', { baseDir: dir });
    assert.equal(link.workdir, join(dir, 'link'));
  });

  it('resolves relative text paths against the current directory by default', () => {
    const spec = parseTaskYaml('name: a\nrun: b\nworkdir: .\n');
    assert.equal(spec.workdir, process.cwd());
  });

  it('reports a missing workdir and a file given as workdir, with positions', () => {
    const missing = yamlIssues('name: a\nrun: b\nworkdir: ./nope\n', { baseDir: dir });
    assert.deepEqual(missing.map(where), ['3:10 workdir']);
    assert.match(missing[0]!.message, /directory not found: .*nope \(from "\.\/nope"\)/);
    const file = yamlIssues('name: a\nrun: b\nworkdir: data.txt\n', { baseDir: dir });
    assert.match(file[0]!.message, /is a file, not a directory/);
  });

  it('resolves file mount sources and keeps remote paths as written', () => {
    const spec = parseTaskYaml(
      'name: a\nrun: b\nfile_mounts:\n  /data/in.txt: data.txt\n  ~/src: ./src\n',
      { baseDir: dir },
    );
    assert.deepEqual(spec.fileMounts, {
      '/data/in.txt': join(dir, 'data.txt'),
      '~/src': join(dir, 'src'),
    });
  });

  it('reports missing mount sources at the value', () => {
    const all = yamlIssues('name: a\nrun: b\nfile_mounts:\n  /data: ./gone\n', { baseDir: dir });
    assert.deepEqual(all.map(where), ['4:10 file_mounts["/data"]']);
    assert.match(all[0]!.message, /local source not found/);
  });

  it('reports path problems together with schema problems', () => {
    const all = yamlIssues('name: a\nrun: b\nnum_nodes: x\nworkdir: ./nope\n', { baseDir: dir });
    assert.deepEqual(all.map(where), ['3:12 num_nodes', '4:10 workdir']);
  });
});

describe('loadTaskFile', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'konduktor-taskfile-'));
    mkdirSync(join(dir, 'project', 'code'), { recursive: true });
    writeFileSync(join(dir, 'project', 'task.yaml'), 'name: a\nrun: b\nworkdir: code\n');
    writeFileSync(join(dir, 'project', 'bad.yaml'), 'name: a\nrun: b\ncpus: 1\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('resolves paths against the file directory', () => {
    const spec = loadTaskFile(join(dir, 'project', 'task.yaml'));
    assert.equal(spec.workdir, join(dir, 'project', 'code'));
  });

  it('names the file in every issue', () => {
    const path = join(dir, 'project', 'bad.yaml');
    const all = issues(() => loadTaskFile(path));
    assert.deepEqual(
      all.map((i) => [i.file, i.line, i.col]),
      [[path, 3, 1]],
    );
  });

  it('reports a missing file and a directory clearly', () => {
    const missing = issues(() => loadTaskFile(join(dir, 'nope.yaml')));
    assert.match(missing[0]!.message, /task file not found/);
    assert.equal(missing[0]!.file, join(dir, 'nope.yaml'));
    const directory = issues(() => loadTaskFile(join(dir, 'project')));
    assert.match(directory[0]!.message, /is a directory/);
  });
});
