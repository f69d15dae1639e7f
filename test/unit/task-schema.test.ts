import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TaskIssue } from '../../src/errors.js';
import { parseTaskYaml } from '../../src/task/load.js';
import {
  TASK_NAME_MAX_LENGTH,
  TaskSchema,
  parseAccelerators,
  taskNameProblem,
} from '../../src/task/schema.js';
import { RESERVED_ENV_NAMES } from '../../src/task/types.js';
import type { TaskSpec } from '../../src/task/types.js';
import { issuesOf } from '../support/common.js';

const BASE = 'name: t\nrun: echo hi\n';

function parse(extra: string): TaskSpec {
  return parseTaskYaml(BASE + extra);
}

function issues(text: string): TaskIssue[] {
  return issuesOf(() => parseTaskYaml(text));
}

/** The single issue of an invalid task. */
function issue(text: string): TaskIssue {
  const all = issues(text);
  assert.equal(all.length, 1, `expected one issue, got ${JSON.stringify(all)}`);
  return all[0]!;
}

function extraIssue(extra: string): TaskIssue {
  return issue(BASE + extra);
}

describe('task schema: name', () => {
  it('accepts lower-case names with digits and dashes', () => {
    for (const name of ['a', 'train', 'sweep-trial-0', 'a1-b2', 'x'.repeat(TASK_NAME_MAX_LENGTH)]) {
      assert.equal(parseTaskYaml(`name: ${name}\nrun: x\n`).name, name);
    }
  });

  it('is required', () => {
    const i = issue('run: x\n');
    assert.equal(i.path, 'name');
    assert.match(i.message, /missing required field 'name'/);
  });

  it('rejects upper case and underscores with a suggestion', () => {
    const i = issue('name: My_Job\nrun: x\n');
    assert.equal(i.path, 'name');
    assert.match(i.message, /not a valid name/);
    assert.match(i.message, /did you mean 'my-job'\?/);
  });

  it('rejects a leading digit, a leading dash and a trailing dash', () => {
    for (const name of ['1job', '-job', 'job-', 'a.b', 'a b']) {
      assert.match(issue(`name: "${name}"\nrun: x\n`).message, /not a valid name/, name);
    }
  });

  it('rejects names over 40 characters and explains the 63-character limit', () => {
    const i = issue(`name: ${'a'.repeat(41)}\nrun: x\n`);
    assert.match(i.message, /41 characters long; the limit is 40/);
    assert.match(i.message, /63-character limit/);
    assert.match(i.message, /workers-0-<index>/);
  });

  it('rejects non-strings and empty names', () => {
    assert.match(issue('name: 123\nrun: x\n').message, /must be a string/);
    assert.match(issue('name: ""\nrun: x\n').message, /must not be empty/);
    assert.match(issue('name: [a]\nrun: x\n').message, /got a list/);
  });

  it('taskNameProblem returns undefined for a valid name', () => {
    assert.equal(taskNameProblem('ok-1'), undefined);
    assert.ok(taskNameProblem('Not OK') !== undefined);
  });
});

describe('task schema: run and setup', () => {
  it('takes run and setup as strings', () => {
    const spec = parseTaskYaml('name: t\nsetup: |\n  pip install x\nrun: |\n  python a.py\n');
    assert.equal(spec.run, 'python a.py\n');
    assert.equal(spec.setup, 'pip install x\n');
  });

  it('requires run', () => {
    const i = issue('name: t\n');
    assert.equal(i.path, 'run');
    assert.match(i.message, /missing required field 'run'/);
  });

  it('rejects an empty or blank run', () => {
    assert.match(issue('name: t\nrun:\n').message, /is empty/);
    assert.match(issue('name: t\nrun: ""\n').message, /is empty/);
    assert.match(issue('name: t\nrun: "  "\n').message, /is empty/);
  });

  it('rejects a list of commands with a block-scalar hint', () => {
    const i = issue('name: t\nrun:\n  - echo a\n  - echo b\n');
    assert.match(i.message, /got a list/);
    assert.match(i.message, /run: \|/);
  });

  it('rejects a number as run and a mapping as setup', () => {
    assert.match(issue('name: t\nrun: 42\n').message, /must be a string/);
    assert.match(extraIssue('setup: {a: 1}\n').message, /must be a string.*got a mapping/);
  });

  it('treats an empty setup as no setup', () => {
    assert.equal(parse('setup:\n').setup, undefined);
  });
});

describe('task schema: envs', () => {
  it('coerces numbers and booleans to strings, keeping the text as written', () => {
    const spec = parse('envs:\n  A: x\n  B: 3\n  C: 1.10\n  D: true\n  E: ""\n  F: 0x1F\n');
    assert.deepEqual(spec.envs, { A: 'x', B: '3', C: '1.10', D: 'true', E: '', F: '0x1F' });
  });

  it('accepts keys with underscores and digits', () => {
    assert.deepEqual(parse('envs: {_A1: x, lower_case: y}\n').envs, { _A1: 'x', lower_case: 'y' });
  });

  it('rejects bad keys at the key', () => {
    const i = issue(`${BASE}envs:\n  1FOO: x\n`);
    assert.equal(i.path, 'envs["1FOO"]');
    assert.match(i.message, /not a valid environment variable name/);
    assert.deepEqual([i.line, i.col], [4, 3]);
    assert.match(extraIssue('envs: {"A-B": x}\n').message, /not a valid environment/);
  });

  it('rejects a null value and says how to set an empty string', () => {
    const i = extraIssue('envs:\n  TOKEN:\n');
    assert.equal(i.path, 'envs.TOKEN');
    assert.match(i.message, /TOKEN: ""/);
    assert.match(i.message, /--env TOKEN=/);
  });

  it('rejects every reserved name, naming them', () => {
    for (const name of RESERVED_ENV_NAMES) {
      const i = extraIssue(`envs:\n  ${name}: x\n`);
      assert.equal(i.path, `envs.${name}`);
      assert.match(i.message, new RegExp(`${name} is reserved`));
      assert.match(i.message, /KONDUKTOR_OUTPUT_DIR, KONDUKTOR_JOB_NAME/);
    }
  });

  it('rejects collections as values and a list of KEY=VAL', () => {
    assert.match(extraIssue('envs: {A: [1]}\n').message, /A must be a string, number or boolean/);
    const i = extraIssue('envs:\n  - A=1\n');
    assert.match(i.message, /must be a mapping/);
    assert.match(i.message, /FOO: bar/);
  });

  it('rejects a NUL character in a value, at its key', () => {
    const i = extraIssue('envs:\n  A: "x\\0y"\n');
    assert.match(i.message, /cannot hold a NUL character/);
    assert.equal(i.path, 'envs.A');
  });
});

describe('task schema: num_nodes', () => {
  it('defaults to 1 and accepts integers and digit strings', () => {
    assert.equal(parse('').numNodes, 1);
    assert.equal(parse('num_nodes: 4\n').numNodes, 4);
    assert.equal(parse('num_nodes: "2"\n').numNodes, 2);
  });

  it('rejects 0, negatives, fractions and words', () => {
    for (const bad of ['0', '-1', '2.5', 'two', 'true']) {
      const i = extraIssue(`num_nodes: ${bad}\n`);
      assert.equal(i.path, 'num_nodes');
      assert.match(i.message, /whole number of at least 1/, bad);
    }
  });
});

describe('task schema: resources.cpus and resources.memory', () => {
  it('accepts positive numbers and numeric strings', () => {
    const r = parse('resources:\n  cpus: 0.5\n  memory: "16"\n').resources;
    assert.equal(r.cpus, 0.5);
    assert.equal(r.memory, 16);
    assert.equal(parse('resources: {cpus: "2", memory: 1.5}\n').resources.cpus, 2);
  });

  it('leaves them undefined when not given', () => {
    const r = parse('resources: {}\n').resources;
    assert.equal(r.cpus, undefined);
    assert.equal(r.memory, undefined);
    assert.deepEqual(parse('').resources, { labels: {}, maxRestarts: 0 });
  });

  it('rejects "4+" with a clear message', () => {
    const i = extraIssue('resources:\n  cpus: 4+\n');
    assert.equal(i.path, 'resources.cpus');
    assert.match(i.message, /"4\+" is not a number/);
    assert.match(i.message, /minimums like "4\+" are not supported/);
    assert.deepEqual([i.line, i.col], [4, 9]);
  });

  it('rejects "500m" and says to write 0.5', () => {
    assert.match(extraIssue('resources: {cpus: 500m}\n').message, /write 0.5 for 500m/);
  });

  it('rejects memory with units and gives the GiB figure', () => {
    assert.match(extraIssue('resources: {memory: 16Gi}\n').message, /write 16 for 16Gi/);
    assert.match(extraIssue('resources: {memory: 512Mi}\n').message, /write 0.5 for 512Mi/);
    assert.match(extraIssue('resources: {memory: 16GB}\n').message, /GiB/);
    assert.match(extraIssue('resources: {memory: 16+}\n').message, /minimums/);
  });

  it('rejects zero, negatives, infinity, booleans and lists', () => {
    assert.match(extraIssue('resources: {cpus: 0}\n').message, /greater than 0, got 0/);
    assert.match(extraIssue('resources: {memory: -2}\n').message, /greater than 0/);
    assert.match(extraIssue('resources: {cpus: .inf}\n').message, /must be a number/);
    assert.match(extraIssue('resources: {cpus: true}\n').message, /got true/);
    assert.match(extraIssue('resources: {memory: [1]}\n').message, /got a list/);
    assert.match(extraIssue('resources: {cpus: four}\n').message, /"four" is not a number/);
  });
});

describe('task schema: resources.accelerators', () => {
  it('reads NAME and NAME:COUNT', () => {
    assert.deepEqual(parse('resources: {accelerators: H100}\n').resources.accelerators, {
      name: 'H100',
      count: 1,
    });
    assert.deepEqual(parse('resources:\n  accelerators: A100-80GB:8\n').resources.accelerators, {
      name: 'A100-80GB',
      count: 8,
    });
  });

  it('rejects a zero, fractional or missing count', () => {
    assert.match(extraIssue('resources: {accelerators: "H100:0"}\n').message, /asks for 0/);
    assert.match(extraIssue('resources: {accelerators: "H100:1.5"}\n').message, /whole number/);
    assert.match(extraIssue('resources: {accelerators: "H100:"}\n').message, /whole number/);
  });

  it('rejects a bare count, a number and a mapping', () => {
    assert.match(extraIssue('resources: {accelerators: "8"}\n').message, /count without a name/);
    assert.match(extraIssue('resources: {accelerators: 8}\n').message, /NAME or NAME:COUNT/);
    assert.match(extraIssue('resources: {accelerators: {H100: 8}}\n').message, /got a mapping/);
    assert.match(extraIssue('resources: {accelerators: ""}\n').message, /not an accelerator/);
  });

  it('parseAccelerators returns a spec or a message', () => {
    assert.deepEqual(parseAccelerators(' L40S:2 '), { name: 'L40S', count: 2 });
    assert.equal(typeof parseAccelerators('H100:x'), 'string');
    assert.equal(typeof parseAccelerators('none'), 'string');
  });
});

describe('task schema: resources.image_id, labels, job_config', () => {
  it('accepts an image, labels and max_restarts', () => {
    const r = parse(
      'resources:\n  image_id: nvcr.io/nvidia/pytorch:24.01-py3\n  labels:\n' +
        '    kueue.x-k8s.io/queue-name: user-queue\n    maxRunDurationSeconds: "3000"\n' +
        '  job_config:\n    max_restarts: 3\n',
    ).resources;
    assert.equal(r.imageId, 'nvcr.io/nvidia/pytorch:24.01-py3');
    assert.deepEqual(r.labels, {
      'kueue.x-k8s.io/queue-name': 'user-queue',
      maxRunDurationSeconds: '3000',
    });
    assert.equal(r.maxRestarts, 3);
  });

  it('defaults max_restarts to 0', () => {
    assert.equal(parse('resources: {job_config: {}}\n').resources.maxRestarts, 0);
  });

  it('rejects an empty or spaced image', () => {
    assert.match(extraIssue('resources: {image_id: ""}\n').message, /must not be empty/);
    assert.match(extraIssue('resources: {image_id: "a b"}\n').message, /whitespace/);
    assert.match(extraIssue('resources: {image_id: 3}\n').message, /image reference/);
  });

  it('rejects a number as a label value and says to quote it', () => {
    const i = extraIssue('resources:\n  labels:\n    maxRunDurationSeconds: 3000\n');
    assert.equal(i.path, 'resources.labels.maxRunDurationSeconds');
    assert.match(i.message, /quote it: maxRunDurationSeconds: "3000"/);
  });

  it('rejects bad label keys and values', () => {
    const key = extraIssue('resources: {labels: {"bad key": x}}\n');
    assert.equal(key.path, 'resources.labels["bad key"]');
    assert.match(key.message, /not a valid label key/);
    assert.match(extraIssue('resources: {labels: {a: "no spaces"}}\n').message, /label value/);
    assert.match(extraIssue('resources: {labels: [a]}\n').message, /must be a mapping/);
  });

  it('rejects negative and fractional max_restarts', () => {
    const i = extraIssue('resources:\n  job_config:\n    max_restarts: -1\n');
    assert.equal(i.path, 'resources.job_config.max_restarts');
    assert.match(i.message, /at least 0/);
    assert.match(extraIssue('resources: {job_config: {max_restarts: 1.5}}\n').message, /whole/);
  });

  it('rejects resources and job_config that are not mappings', () => {
    assert.match(extraIssue('resources: 4\n').message, /must be a mapping/);
    assert.match(extraIssue('resources: {job_config: 2}\n').message, /max_restarts: 2/);
  });
});

describe('task schema: file_mounts (schema part)', () => {
  it('rejects ".." segments and empty remote paths at the key', () => {
    const i = extraIssue('file_mounts:\n  /data/../etc: /tmp\n');
    assert.equal(i.path, 'file_mounts["/data/../etc"]');
    assert.match(i.message, /must not contain '\.\.' segments/);
    assert.deepEqual([i.line, i.col], [4, 3]);
    assert.match(extraIssue('file_mounts: {"": /tmp}\n').message, /must not be empty/);
  });

  it('rejects a missing local source and a URL', () => {
    assert.match(extraIssue('file_mounts:\n  /data:\n').message, /no local source for "\/data"/);
    assert.match(extraIssue('file_mounts: {/data: "gs://bucket/x"}\n').message, /is a URL/);
    assert.match(extraIssue('file_mounts: {/data: "s3://bucket"}\n').message, /is a URL/);
    // An s3:// object or prefix is kept as it is: the Kubernetes backend has the pods fetch it.
    const spec = parseTaskYaml(`${BASE}file_mounts: {/data: "s3://bucket/x/y"}\n`);
    assert.deepEqual(spec.fileMounts, { '/data': 's3://bucket/x/y' });
    assert.match(extraIssue('file_mounts: [a]\n').message, /remote_path: local_path/);
  });
});

describe('TaskSchema', () => {
  it('produces a TaskSpec directly from an object', () => {
    const r = TaskSchema.safeParse({ name: 'x', run: 'y', num_nodes: 2, resources: null });
    assert.ok(r.success);
    assert.deepEqual(r.data, {
      name: 'x',
      run: 'y',
      envs: {},
      numNodes: 2,
      resources: { labels: {}, maxRestarts: 0 },
      fileMounts: {},
    });
  });

  it('rejects an empty task and a non-mapping', () => {
    assert.match(issue('').message, /the task is empty/);
    assert.match(issue('- a\n').message, /must be a mapping/);
    assert.match(issue('just text\n').message, /must be a mapping/);
  });
});
