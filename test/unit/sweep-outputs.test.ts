import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trialsCsv, sweepJson } from '../../src/sweep/files.js';
import { stringifyJson } from '../../src/result/raw-json.js';
import { resolveSweep } from '../../src/sweep/load.js';
import { parseObjectivePath, readObjective } from '../../src/sweep/objective.js';
import { renderReport } from '../../src/sweep/report.js';
import { bestTrial } from '../../src/sweep/run.js';
import type { TrialRecord } from '../../src/sweep/store.js';

describe('readObjective', () => {
  it('follows dotted paths into objects and lists', () => {
    assert.deepEqual(readObjective({ val_loss: 0.5 }, 'val_loss'), { ok: true, value: 0.5 });
    assert.deepEqual(readObjective({ metrics: { acc: 0.9 } }, 'metrics.acc'), {
      ok: true,
      value: 0.9,
    });
    assert.deepEqual(readObjective({ scores: [1, 2] }, 'scores.1'), { ok: true, value: 2 });
    assert.deepEqual(readObjective(3, '.'), { ok: true, value: 3 });
  });

  it('says what is missing or not a number', () => {
    const missing = readObjective({ loss: 1 }, 'metrics.acc');
    assert.equal(missing.ok, false);
    assert.ok(
      !missing.ok && missing.code === 'OBJECTIVE_MISSING' && /keys loss/.test(missing.reason),
    );
    const text = readObjective({ acc: 'high' }, 'acc');
    assert.ok(!text.ok && text.code === 'OBJECTIVE_NOT_A_NUMBER' && /"high"/.test(text.reason));
    assert.equal(readObjective({ toString: 1 }, 'constructor').ok, false);
    assert.equal(readObjective(null, 'a').ok, false);
  });

  it('names keys with dots and other punctuation in brackets', () => {
    const result = { 'eval.loss': 0.3, eval: { loss: 0.1 }, m: { 'top.1': 0.8, 'a"b': 2 } };
    assert.deepEqual(readObjective(result, '["eval.loss"]'), { ok: true, value: 0.3 });
    assert.deepEqual(readObjective(result, "['eval.loss']"), { ok: true, value: 0.3 });
    assert.deepEqual(readObjective(result, 'm["top.1"]'), { ok: true, value: 0.8 });
    assert.deepEqual(readObjective(result, 'm["a\\"b"]'), { ok: true, value: 2 });
    assert.deepEqual(readObjective({ s: [4, 5] }, 's[1]'), { ok: true, value: 5 });
    // An exact top-level key comes first; the nested path is still reachable by its segments.
    assert.deepEqual(readObjective(result, 'eval.loss'), { ok: true, value: 0.3 });
    assert.deepEqual(readObjective({ eval: { loss: 0.1 } }, 'eval.loss'), { ok: true, value: 0.1 });
    const missing = readObjective({ 'eval.loss': 1, x: 2 }, 'eval.acc');
    assert.ok(!missing.ok && missing.reason.includes('["eval.loss"]'), JSON.stringify(missing));
  });

  it('says a number out of range is one, quoting what the job wrote', () => {
    for (const [text, path, written] of [
      ['{"loss": 1e999}', 'loss', '1e999'],
      ['{"m": [ -1E+400 ]}', 'm[0]', '-1E+400'],
      ['{"a.b": 2e308}', '["a.b"]', '2e308'],
      ['{"a.b": 2e308}', 'a.b', '2e308'],
    ] as const) {
      const reading = readObjective(JSON.parse(text) as unknown, path, text);
      assert.ok(
        !reading.ok &&
          reading.code === 'OBJECTIVE_NOT_A_NUMBER' &&
          reading.reason.includes(`a number out of range (it wrote ${written})`),
        JSON.stringify(reading),
      );
    }
  });
});

describe('parseObjectivePath', () => {
  it('parses names, indices and quoted keys', () => {
    const cases: [string, string[]][] = [
      ['.', []],
      ['a.b.0', ['a', 'b', '0']],
      ['a[0]["b.c"]', ['a', '0', 'b.c']],
      ["['x y']", ['x y']],
      ['["\\u00e9"]', ['é']],
    ];
    for (const [path, segments] of cases) {
      assert.deepEqual(parseObjectivePath(path), { ok: true, segments }, path);
    }
  });

  it('refuses what is not a path, saying where', () => {
    for (const [path, at] of [
      ['', 1],
      ['a..b', 3],
      ['a.', 3],
      ['[x]', 1],
      ['a b', 2],
      ['["x"', 1],
      ['a.["b"]', 2],
    ] as const) {
      const parsed = parseObjectivePath(path);
      assert.ok(
        !parsed.ok && parsed.reason.endsWith(`at character ${at}`),
        `${path}: ${JSON.stringify(parsed)}`,
      );
    }
  });
});

const spec = resolveSweep({
  name: 'out',
  task: { name: 't', run: 'true' },
  parameters: {
    lr: { type: 'loguniform', low: 1e-4, high: 1 },
    opt: { type: 'choice', values: ['a', '<b>'] },
  },
  objective: 'loss',
  trials: 4,
});
const trials: TrialRecord[] = [
  {
    index: 0,
    params: { lr: 0.01, opt: 'a' },
    state: 'succeeded',
    value: 2,
    job: 'out-0-aaaa',
    result: '{"loss":2}',
    startedAt: 0,
    endedAt: 1500,
  },
  {
    index: 1,
    params: { lr: 0.1, opt: '<b>' },
    state: 'failed',
    job: 'out-1-bbbb',
    reason: 'job failed: "exit 3", with, commas',
    errorCode: 'JOB_FAILED',
  },
  {
    index: 2,
    params: { lr: 0.001, opt: 'a' },
    state: 'succeeded',
    value: 0.5,
    job: 'out-2-cccc',
    result: '{"loss":0.5}',
  },
  { index: 3, params: { lr: 0.2, opt: '=cmd()' }, state: 'succeeded', value: 0.5 },
];

describe('sweep outputs', () => {
  it('picks the best trial by direction, the earlier on ties', () => {
    assert.equal(bestTrial(trials, 'minimize')?.index, 2);
    assert.equal(bestTrial(trials, 'maximize')?.index, 0);
    assert.equal(bestTrial([], 'minimize'), undefined);
  });

  it('writes CSV with one column per parameter, quoting what needs it', () => {
    const lines = trialsCsv(spec, trials).trimEnd().split('\n');
    assert.equal(lines.length, 5);
    assert.equal(
      lines[0],
      'trial,state,objective,lr,opt,job,reason,pruned_step,started_at,ended_at,duration_s',
    );
    assert.match(
      lines[1]!,
      /^0,succeeded,2,0.01,a,out-0-aaaa,,,1970-01-01T00:00:00.000Z,1970-01-01T00:00:01.500Z,1.5$/,
    );
    assert.match(lines[2]!, /"job failed: ""exit 3"", with, commas"/);
    assert.match(lines[4]!, /,'=cmd\(\),/);
  });

  it('writes JSON with the best trial and its result, digit for digit', () => {
    const json = JSON.parse(
      stringifyJson(sweepJson(spec, trials, bestTrial(trials, 'minimize'))),
    ) as {
      best: { trial: number; result: unknown };
      failed: number;
      trials: unknown[];
    };
    assert.equal(json.best.trial, 2);
    assert.deepEqual(json.best.result, { loss: 0.5 });
    const exact = '{"loss": 0.5, "seed": 12345678901234567891, "lr": 1e-400}';
    const text = stringifyJson(sweepJson(spec, [{ ...trials[0]!, result: exact }], undefined));
    assert.ok(text.includes('"result":{"loss":0.5,"seed":12345678901234567891,"lr":1e-400}'), text);
    assert.equal(json.failed, 1);
    assert.equal(json.trials.length, 4);
  });

  it('renders a self-contained report with escaped text and one mark per trial', () => {
    const html = renderReport(spec, trials, bestTrial(trials, 'minimize'));
    assert.ok(!/<(?:link|img|iframe)\b|src=|href=|https?:/i.test(html), 'no external resource');
    assert.ok(!html.includes('<b>'), 'parameter values are escaped');
    assert.equal((html.match(/class="trial-point"/g) ?? []).length, 3);
    assert.equal((html.match(/class="failed-mark"/g) ?? []).length, 1);
    assert.equal((html.match(/class="trial-line/g) ?? []).length, 3);
    assert.match(html, /class="best-line"/);
    assert.match(html, /no trial reported metric lines with the objective/);
  });

  it("draws each trial's learning curve, pruned ones dashed and marked where they stopped", () => {
    const curved: TrialRecord[] = [
      {
        ...trials[0]!,
        curve: [
          [1, 2],
          [2, 1.5],
          [3, 1.2],
        ],
      },
      {
        ...trials[2]!,
        curve: [
          [1, 1.8],
          [2, 1.1],
          [3, 0.2],
        ],
      },
      {
        index: 4,
        params: { lr: 0.3, opt: 'sgd' },
        state: 'pruned',
        value: 2.5,
        prunedStep: 2,
        reason: 'pruned at step 2: loss 2.5 is worse',
        curve: [
          [1, 2.6],
          [2, 2.5],
        ],
      },
    ];
    const html = renderReport(spec, curved, bestTrial(curved, 'minimize'));
    assert.equal((html.match(/class="curve /g) ?? []).length, 3);
    assert.equal((html.match(/class="curve pruned"/g) ?? []).length, 1);
    assert.equal((html.match(/class="curve succeeded best"/g) ?? []).length, 1);
    assert.equal((html.match(/class="pruned-mark" data-trial="4"/g) ?? []).length, 1);
    assert.match(html, /trial 4: pruned at step 2/);
    assert.match(html, /1 pruned/);
    // The trials file carries the curves too.
    const json = JSON.parse(stringifyJson(sweepJson(spec, curved, undefined))) as {
      trials: { curve: unknown }[];
    };
    assert.deepEqual(json.trials[2]?.curve, [
      [1, 2.6],
      [2, 2.5],
    ]);
  });
});
