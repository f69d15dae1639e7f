import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trialsCsv, sweepJson } from '../../src/sweep/files.js';
import { resolveSweep } from '../../src/sweep/load.js';
import { readObjective } from '../../src/sweep/objective.js';
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
      'trial,state,objective,lr,opt,job,reason,started_at,ended_at,duration_s',
    );
    assert.match(
      lines[1]!,
      /^0,succeeded,2,0.01,a,out-0-aaaa,,1970-01-01T00:00:00.000Z,1970-01-01T00:00:01.500Z,1.5$/,
    );
    assert.match(lines[2]!, /"job failed: ""exit 3"", with, commas"/);
    assert.match(lines[4]!, /,'=cmd\(\),/);
  });

  it('writes JSON with the best trial and parsed results', () => {
    const json = sweepJson(spec, trials, bestTrial(trials, 'minimize')) as {
      best: { trial: number; result: unknown };
      failed: number;
      trials: unknown[];
    };
    assert.equal(json.best.trial, 2);
    assert.deepEqual(json.best.result, { loss: 0.5 });
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
  });
});
