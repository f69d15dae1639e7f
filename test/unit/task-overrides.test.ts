import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TaskIssue } from '../../src/errors.js';
import { parseDotenv } from '../../src/task/dotenv.js';
import { parseTaskYaml } from '../../src/task/load.js';
import { applyOverrides } from '../../src/task/overrides.js';
import type { OverrideNaming, TaskOverrides } from '../../src/task/overrides.js';
import { issuesOf } from '../support/common.js';

const spec = parseTaskYaml(
  'name: base\nrun: echo\nenvs: {A: yaml, B: yaml, C: yaml}\n' +
    'resources: {cpus: 1, memory: 2, accelerators: H100:8, image_id: img}\n',
);

function issues(
  overrides: TaskOverrides,
  env: Record<string, string> = {},
  naming: OverrideNaming = 'flags',
): TaskIssue[] {
  return issuesOf(() => applyOverrides(spec, overrides, env, naming));
}

describe('applyOverrides', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'konduktor-overrides-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const envFile = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('returns the task unchanged without overrides, and does not mutate it', () => {
    const before = structuredClone(spec);
    assert.deepEqual(applyOverrides(spec, {}), spec);
    applyOverrides(spec, { env: ['A=x'], cpus: 4, gpus: 'none' });
    assert.deepEqual(spec, before);
  });

  it('applies scalar overrides, accepting strings from argv', () => {
    const out = applyOverrides(spec, {
      name: 'other',
      numNodes: '3',
      cpus: '0.5',
      memory: 16,
      gpus: 'A100:2',
      imageId: 'ubuntu:24.04',
      maxRestarts: '2',
    });
    assert.equal(out.name, 'other');
    assert.equal(out.numNodes, 3);
    assert.equal(out.resources.cpus, 0.5);
    assert.equal(out.resources.memory, 16);
    assert.deepEqual(out.resources.accelerators, { name: 'A100', count: 2 });
    assert.equal(out.resources.imageId, 'ubuntu:24.04');
    assert.equal(out.resources.maxRestarts, 2);
  });

  it('removes accelerators with --gpus none and keeps the name for a bare count', () => {
    assert.equal(applyOverrides(spec, { gpus: 'none' }).resources.accelerators, undefined);
    assert.equal(applyOverrides(spec, { gpus: 'NONE' }).resources.accelerators, undefined);
    assert.deepEqual(applyOverrides(spec, { gpus: '2' }).resources.accelerators, {
      name: 'H100',
      count: 2,
    });
  });

  it('--env beats --env-file beats the YAML', () => {
    const file = envFile('prec.env', 'B=file\nC=file\n');
    const out = applyOverrides(spec, { envFile: file, env: ['C=cli'] });
    assert.deepEqual(out.envs, { A: 'yaml', B: 'file', C: 'cli' });
  });

  it('later --env values win and KEY= sets an empty string', () => {
    const out = applyOverrides(spec, { env: ['A=1', 'A=2', 'E=', 'F=a=b'] });
    assert.deepEqual(out.envs, { A: '2', B: 'yaml', C: 'yaml', E: '', F: 'a=b' });
  });

  it('--env KEY copies the local value', () => {
    const out = applyOverrides(spec, { env: ['TOKEN'] }, { TOKEN: 's3cret' });
    assert.equal(out.envs.TOKEN, 's3cret');
  });

  it('--env KEY fails when KEY is not set locally', () => {
    const all = issues({ env: ['MISSING_VAR'] });
    assert.deepEqual(all, [
      { path: '--env', message: 'MISSING_VAR is not set in the local environment' },
    ]);
  });

  it('rejects reserved and invalid names from --env and --env-file', () => {
    const file = envFile('bad.env', '# comment\nRANK=3\n');
    const all = issues({ env: ['KONDUKTOR_OUTPUT_DIR=/x', '1BAD=x', '=x'], envFile: file });
    const flat = all.map((i) => `${i.path} ${i.file ?? ''}:${i.line ?? ''} ${i.message}`);
    assert.equal(all.length, 4, flat.join('\n'));
    assert.ok(
      flat.some((s) => /^--env :\s"=x" has no variable name/.test(s)),
      flat.join('\n'),
    );
    assert.ok(flat.some((s) => s.startsWith(`--env-file ${file}:2 RANK is reserved`)));
    assert.ok(flat.some((s) => s.startsWith('--env : KONDUKTOR_OUTPUT_DIR is reserved')));
    assert.ok(flat.some((s) => /^--env : "1BAD" is not a valid/.test(s)));
  });

  it('re-validates numbers and names, with the flag as the path', () => {
    const all = issues({
      name: 'Bad_Name',
      numNodes: 'two',
      cpus: '4+',
      memory: '16Gi',
      gpus: 'H100:0',
      imageId: '',
      maxRestarts: -1,
    });
    assert.deepEqual(
      all.map((i) => i.path),
      ['--name', '--num-nodes', '--cpus', '--memory', '--gpus', '--image-id', '--max-restarts'],
    );
    const byPath = new Map(all.map((i) => [i.path, i.message]));
    assert.match(byPath.get('--cpus')!, /minimums like "4\+" are not supported/);
    assert.match(byPath.get('--memory')!, /write 16 for 16Gi/);
    assert.match(byPath.get('--name')!, /did you mean 'bad-name'\?/);
  });

  it('rejects a bare --gpus count when the task has no accelerator', () => {
    const plain = parseTaskYaml('name: a\nrun: b\n');
    assert.throws(() => applyOverrides(plain, { gpus: '2' }), /count without a name/);
  });

  it('reports a missing env file and bad lines with file and line', () => {
    const missing = issues({ envFile: join(dir, 'nope.env') });
    assert.equal(missing[0]!.path, '--env-file');
    assert.match(missing[0]!.message, /env file not found/);
    const file = envFile('syntax.env', 'A=1\nnot an assignment\nB="open\n');
    const all = issues({ envFile: file });
    assert.deepEqual(
      all.map((i) => [i.path, i.file, i.line]),
      [
        ['--env-file', file, 2],
        ['--env-file', file, 3],
      ],
    );
  });
});

describe('applyOverrides from the library: typed, documented, validated (issue 10 §7)', () => {
  // What a JavaScript caller (or an untyped TypeScript one) can pass.
  const library = (overrides: unknown, env: Record<string, string> = {}): TaskIssue[] =>
    issues(overrides as TaskOverrides, env, 'keys');
  const listed = (all: TaskIssue[]): string[] => all.map((i) => `${i.path}: ${i.message}`);

  it("takes env as a mapping (the issue's input), numbers and booleans as text", () => {
    const out = applyOverrides(spec, { env: { FOO: 'bar', N: 2, DEBUG: true } }, {}, 'keys');
    assert.deepEqual(out.envs, {
      A: 'yaml',
      B: 'yaml',
      C: 'yaml',
      FOO: 'bar',
      N: '2',
      DEBUG: 'true',
    });
  });

  it('takes env as a list of KEY=VALUE, and gpus as a number', () => {
    const out = applyOverrides(
      spec,
      { env: ['FOO=bar', 'TOKEN'], gpus: 2 },
      { TOKEN: 't' },
      'keys',
    );
    assert.equal(out.envs.FOO, 'bar');
    assert.equal(out.envs.TOKEN, 't');
    assert.deepEqual(out.resources.accelerators, { name: 'H100', count: 2 });
  });

  it('checks env names and values from a mapping with the task rules, named by key', () => {
    assert.deepEqual(listed(library({ env: { RANK: '1', '1BAD': 'x', EMPTY: null } })), [
      'overrides.env: RANK is reserved: konduktor sets it on every node (reserved names: ' +
        'KONDUKTOR_OUTPUT_DIR, KONDUKTOR_JOB_NAME, RANK, NUM_NODES, MASTER_ADDR, NODE_HOST_IPS, ' +
        'NUM_GPUS_PER_NODE, RESTART_ATTEMPT, JOB_COMPLETION_INDEX)',
      'overrides.env: "1BAD" is not a valid environment variable name: use letters, digits and ' +
        "'_', not starting with a digit",
      'overrides.env: EMPTY has no value; to set it to an empty string write EMPTY: "" in the ' +
        'task file or pass --env EMPTY=',
    ]);
  });

  it('refuses unknown keys with a suggestion', () => {
    assert.deepEqual(
      listed(library({ envs: { A: '1' }, cpu: 2, num_nodes: 2, accelerators: 'H100:1', zzz: 1 })),
      [
        "overrides.envs: unknown override 'envs'; did you mean 'env'?",
        "overrides.cpu: unknown override 'cpu'; did you mean 'cpus'?",
        "overrides.num_nodes: unknown override 'num_nodes'; did you mean 'numNodes'?",
        "overrides.accelerators: unknown override 'accelerators'; did you mean 'gpus'?",
        "overrides.zzz: unknown override 'zzz' (allowed here: name, env, envFile, numNodes, cpus, " +
          'memory, gpus, imageId, maxRestarts)',
      ],
    );
  });

  it('refuses values of the wrong shape instead of throwing a TypeError', () => {
    assert.deepEqual(listed(library({ env: 'FOO=bar' })), [
      'overrides.env: must be a mapping { KEY: value } or a list of "KEY=VALUE" strings, got "FOO=bar"',
    ]);
    assert.deepEqual(listed(library({ env: ['A=1', 7] })), [
      'overrides.env: each entry must be a string KEY=VALUE, got 7',
    ]);
    assert.deepEqual(listed(library({ gpus: ['H100'] })), [
      'overrides.gpus: must be NAME[:COUNT] such as H100:2, a count, or none; got a list',
    ]);
    assert.deepEqual(listed(library({ envFile: 3 })), [
      'overrides.envFile: must be the path of a dotenv file, got 3',
    ]);
    assert.deepEqual(listed(library(null)), [
      'overrides: overrides must be an object such as { cpus: 2 }, got an empty value',
    ]);
  });

  it("names bad values by key, with the task file's messages", () => {
    assert.deepEqual(
      library({ cpus: '4+', numNodes: 0, maxRestarts: -1, imageId: '' }).map((i) => i.path),
      ['overrides.numNodes', 'overrides.cpus', 'overrides.imageId', 'overrides.maxRestarts'],
    );
  });
});

describe('parseDotenv', () => {
  const entries = (text: string): Record<string, string> => {
    const result = parseDotenv(text);
    assert.deepEqual(result.problems, []);
    return Object.fromEntries(result.entries.map((e) => [e.key, e.value]));
  };

  it('reads KEY=VAL lines, skipping comments and blank lines', () => {
    assert.deepEqual(entries('# a comment\n\nA=1\n  B = two \n'), { A: '1', B: 'two' });
  });

  it('strips an export prefix', () => {
    assert.deepEqual(entries('export A=1\nexport   B=2\n'), { A: '1', B: '2' });
  });

  it('reads single quotes literally and double quotes with escapes', () => {
    assert.deepEqual(entries(`A='$HOME \\n #x'\nB="a\\nb \\"q\\" \\\\ \\$X"\n`), {
      A: '$HOME \\n #x',
      B: 'a\nb "q" \\ $X',
    });
  });

  it('ends an unquoted value at an inline comment but keeps # inside words', () => {
    assert.deepEqual(entries('A=value # note\nB=a#b\nC="x" # note\n'), {
      A: 'value',
      B: 'a#b',
      C: 'x',
    });
  });

  it('accepts empty values and values containing =', () => {
    assert.deepEqual(entries('A=\nB=""\nC=x=y\n'), { A: '', B: '', C: 'x=y' });
  });

  it('reads quoted values across lines', () => {
    const result = parseDotenv('A="line1\nline2"\nB=3\n');
    assert.deepEqual(
      result.entries.map((e) => [e.key, e.value, e.line]),
      [
        ['A', 'line1\nline2', 1],
        ['B', '3', 3],
      ],
    );
  });

  it('handles CRLF and a byte-order mark; the last assignment wins in order', () => {
    const result = parseDotenv('\uFEFFA=1\r\nA=2\r\n');
    assert.deepEqual(
      result.entries.map((e) => [e.key, e.value]),
      [
        ['A', '1'],
        ['A', '2'],
      ],
    );
  });

  it('reports bad lines with line and column', () => {
    const result = parseDotenv('A=1\nnot valid\nB\nC="open\n');
    assert.deepEqual(
      result.problems.map((p) => [p.line, p.col]),
      [
        [2, 1],
        [3, 1],
        [4, 3],
      ],
    );
    assert.match(result.problems[1]!.message, /B has no value: write B=VALUE/);
    assert.match(result.problems[2]!.message, /never closed/);
  });

  it('reports text after a closing quote', () => {
    const result = parseDotenv('A="x" y\n');
    assert.equal(result.problems.length, 1);
    assert.match(result.problems[0]!.message, /unexpected text after the closing "/);
    assert.equal(result.problems[0]!.col, 6);
  });
});
