/**
 * One renderer of outcomes (src/result/render.ts): the error a wait raises, the reason a sweep
 * keeps for a trial, the cell `konduktor status` shows and the `--json` envelope's word all come
 * from the same facts, for every kind of outcome.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCodes, InterruptedError, ResultTimeoutError, UsageError } from '../../src/errors.js';
import { outcomeWordOf } from '../../src/cli/output.js';
import { type Outcome, outcomeError } from '../../src/result/outcome.js';
import { outcomeCell, outcomeLine, outcomeMessage, outcomeWord } from '../../src/result/render.js';
import { endOfError } from '../../src/sweep/trial-end.js';

const NOT_VALUES: readonly Exclude<Outcome, { kind: 'value' }>[] = [
  {
    kind: 'failed',
    attempt: 0,
    reason: 'rank 0 exited with code 3',
    rank: 0,
    exitCode: 3,
    phase: 'run',
    logTail: ['boom'],
  },
  {
    kind: 'failed',
    attempt: 1,
    reason: 'rank 1 was killed by SIGKILL',
    rank: 1,
    signal: 'SIGKILL',
    logTail: [],
  },
  {
    kind: 'failed',
    attempt: 0,
    reason: 'setup failed',
    rank: 0,
    exitCode: 2,
    phase: 'setup',
    logTail: ['a', 'b'],
  },
  { kind: 'failed', attempt: 0, reason: 'cancelled', logTail: [] },
  { kind: 'no_result', attempt: 0, detail: 'missing' },
  { kind: 'no_result', attempt: 0, detail: 'empty', logTail: ['done'] },
  { kind: 'no_result', attempt: 0, detail: 'whitespace' },
  { kind: 'no_result', attempt: 0, detail: 'not_a_file', found: { kind: 'directory' } },
  { kind: 'malformed', attempt: 0, parseError: 'Unexpected token', head: '{oops' },
  { kind: 'too_large', attempt: 0, size: 5000, limit: 4096 },
];

describe('outcomes rendered once', () => {
  it("an outcome's error says what outcomeMessage says, and its envelope word is the kind", () => {
    for (const outcome of NOT_VALUES) {
      const error = outcomeError('job-1', outcome);
      assert.ok(error !== undefined);
      assert.equal(error.message, outcomeMessage('job-1', outcome), outcome.kind);
      assert.equal(outcomeWord(error.code), outcome.kind);
      assert.equal(outcomeWordOf(error), outcome.kind);
    }
  });

  it("a trial's reason from the error its wait raised is outcomeLine of the outcome", () => {
    for (const outcome of NOT_VALUES) {
      const end = endOfError(outcomeError('job-1', outcome));
      assert.equal(end.state, 'failed');
      assert.equal(end.reason, outcomeLine(outcome), outcome.kind);
    }
  });

  it('keeps the texts the CLI printed', () => {
    const cells = NOT_VALUES.map((o) => outcomeCell(o));
    assert.deepEqual(cells, [
      'rank 0 exit 3',
      'rank 1 SIGKILL',
      'rank 0 exit 2 in setup',
      'cancelled',
      'no result',
      'no result',
      'no result',
      'no result',
      'malformed result',
      'result too large (5000 B)',
    ]);
    assert.equal(outcomeCell({ kind: 'value', text: '{"a": 1}' }), '{"a": 1}');
    assert.equal(
      outcomeLine(NOT_VALUES[0]!),
      'job failed: rank 0 exited with code 3 (last log line: boom)',
    );
    assert.equal(outcomeLine(NOT_VALUES[4]!), 'no result reported (result.json missing)');
    assert.equal(outcomeLine(NOT_VALUES[7]!), 'no result reported (result.json is a directory)');
    assert.equal(outcomeLine(NOT_VALUES[9]!), 'result too large: 5000 bytes, limit 4096');
    assert.match(
      outcomeMessage('j', NOT_VALUES[0]!),
      /^job j failed: rank 0 exited with code 3\nlast log lines of rank 0:\n {2}\| boom$/,
    );
  });

  it('waits that ended without an outcome have their own words, from the error, not an exit code', () => {
    assert.equal(outcomeWordOf(new ResultTimeoutError('j', 1000, 'RUNNING')), 'timeout');
    assert.equal(outcomeWordOf(new InterruptedError('interrupted (Ctrl+C)')), 'interrupted');
    assert.equal(outcomeWordOf(new DOMException('aborted', 'AbortError')), 'interrupted');
    assert.equal(outcomeWordOf(new UsageError('bad')), 'error');
    assert.equal(outcomeWordOf(new TypeError('a bug')), 'error');
    for (const code of Object.values(ErrorCodes)) assert.ok(outcomeWord(code).length > 0);
  });
});
