/**
 * Values arrive exactly as written: the `--json` envelopes of `launch --wait`, `result` and the
 * sweep commands carry the job's document digit for digit, a trial's out-of-range objective says
 * what it wrote, and an objective key with a dot can be named. Through the real CLI.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli, tempHome, writeTask } from '../support/cli.js';
import { OUT } from '../support/hostile-results.js';

const DOCUMENT = '{"seed": 12345678901234567891, "run_id": 9007199254740993, "lr": 1e-400}';
/** The document as the envelope carries it: its own tokens, without the insignificant spaces. */
const COMPACT = '{"seed":12345678901234567891,"run_id":9007199254740993,"lr":1e-400}';

describe('--json envelopes carry the document without changing a digit', () => {
  const ctx = tempHome();
  after(ctx.cleanup);
  const options = { home: ctx.home };

  it('launch --wait --json and result --json of a succeeded job', async () => {
    const task = writeTask(
      ctx.dir,
      'exact.yaml',
      `name: exact\nrun: ${JSON.stringify(`echo '${DOCUMENT}' > ${OUT}`)}\n`,
    );
    const launched = await runCli(['launch', '--wait', '--json', '-y', task], options);
    assert.equal(launched.code, 0, launched.stderr);
    assert.equal(launched.stdout.split('\n').length, 2, 'one line');
    assert.ok(launched.stdout.includes(`"value":${COMPACT}`), launched.stdout);
    const envelope = JSON.parse(launched.stdout) as { job: string; outcome: string };
    assert.equal(envelope.outcome, 'value');
    const result = await runCli(['result', '--json', envelope.job], options);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, launched.stdout);
    const plain = await runCli(['result', envelope.job], options);
    assert.equal(plain.stdout, `${DOCUMENT}\n`);
  });

  it('a pretty-printed document with strings holding spaces and escapes', async () => {
    const doc = '{\n  "note": "a  b\\t\\"c\\"",\n  "big": [1e999, -0.0, 1.50]\n}';
    const task = writeTask(
      ctx.dir,
      'pretty.yaml',
      `name: pretty\nrun: ${JSON.stringify(`printf '%s\\n' '${doc}' > ${OUT}`)}\n`,
    );
    const launched = await runCli(['launch', '--wait', '--json', '-y', task], options);
    assert.equal(launched.code, 0, launched.stderr);
    assert.ok(
      launched.stdout.includes('"value":{"note":"a  b\\t\\"c\\"","big":[1e999,-0.0,1.50]}'),
      launched.stdout,
    );
    JSON.parse(launched.stdout);
  });

  it("a failed job's reported value in the error envelope", async () => {
    const task = writeTask(
      ctx.dir,
      'failed.yaml',
      `name: failed\nrun: ${JSON.stringify(`echo '${DOCUMENT}' > ${OUT}; exit 3`)}\n`,
    );
    const launched = await runCli(['launch', '--wait', '--json', '-y', task], options);
    assert.equal(launched.code, 1, launched.stderr);
    assert.ok(launched.stdout.includes(`"value":${COMPACT}`), launched.stdout);
    assert.equal((JSON.parse(launched.stdout) as { outcome: string }).outcome, 'failed');
  });
});

describe('sweep objectives', () => {
  const ctx = tempHome('konduktor-sweep-exact-');
  after(ctx.cleanup);
  const options = { home: ctx.home, cwd: ctx.dir };

  interface Trial {
    params: Record<string, string>;
    objective: number | null;
    reason: string | null;
    error_code: string | null;
  }

  const sweepFile = (name: string, objective: string, cases: Record<string, string>): string => {
    const file = join(ctx.dir, `${name}.yaml`);
    const run = [
      'out="$KONDUKTOR_OUTPUT_DIR/result.json"',
      'case "$MODE" in',
      ...Object.entries(cases).map(([mode, doc]) => `  ${mode}) echo '${doc}' > "$out" ;;`),
      'esac',
    ].join('\n');
    writeFileSync(
      file,
      [
        `name: ${name}`,
        `task: {name: ${name}, run: ${JSON.stringify(run)}}`,
        `parameters: {mode: [${Object.keys(cases).join(', ')}]}`,
        `objective: ${objective}`,
        'sampler: grid',
        'max_failures: 5',
        '',
      ].join('\n'),
    );
    return file;
  };

  it('names a key with a dot in brackets, says what an out-of-range objective wrote, keeps digits', async () => {
    const file = sweepFile('dotted', `'["eval.loss"]'`, {
      ok: '{"eval.loss": 0.3, "seed": 12345678901234567891}',
      inf: '{"eval.loss": 1e999}',
      nested: '{"eval": {"loss": 0.1}}',
    });
    const run = await runCli(['sweep', file, '-y', '--json'], options);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(
      run.stdout.includes('"result":{"eval.loss":0.3,"seed":12345678901234567891}'),
      run.stdout,
    );
    const summary = JSON.parse(run.stdout) as { best: Trial; files: { json: string } };
    assert.equal(summary.best.objective, 0.3);
    assert.deepEqual(summary.best.params, { mode: 'ok' });
    const saved = readFileSync(summary.files.json, 'utf8');
    assert.ok(saved.includes('{"eval.loss":0.3,"seed":12345678901234567891}'), saved);
    const trials = (JSON.parse(saved) as { trials: Trial[] }).trials;
    const inf = trials.find((t) => t.params['mode'] === 'inf');
    assert.equal(inf?.error_code, 'OBJECTIVE_NOT_A_NUMBER');
    assert.match(inf?.reason ?? '', /is a number out of range \(it wrote 1e999\)/);
    assert.doesNotMatch(inf?.reason ?? '', /null/);
    // The bracketed key is the dotted key, not the nested path.
    const nested = trials.find((t) => t.params['mode'] === 'nested');
    assert.equal(nested?.error_code, 'OBJECTIVE_MISSING');
    const status = await runCli(['sweep', 'status', 'dotted', '--json'], options);
    assert.ok(status.stdout.includes('12345678901234567891'), status.stdout);
  });

  it('a path that is exactly a top-level key names that key', async () => {
    const file = sweepFile('exactkey', 'eval.loss', { ok: '{"eval.loss": 0.25}' });
    const run = await runCli(['sweep', file, '-y', '--json'], options);
    assert.equal(run.code, 0, run.stderr);
    assert.equal((JSON.parse(run.stdout) as { best: Trial }).best.objective, 0.25);
  });

  it('a path that is no path is refused before anything runs, saying where', async () => {
    const file = sweepFile('badpath', `'metrics..acc'`, { ok: '{"a": 1}' });
    const run = await runCli(['sweep', file, '-y'], options);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /\["eval\.loss"\].*at character 9/s);
  });
});
