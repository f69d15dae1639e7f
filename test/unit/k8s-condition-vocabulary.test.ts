// The KonduktorResult condition in the original's vocabulary: konduktor writes CamelCase reasons,
// reads its own records (also those written before, with lower-case reasons) and every reason and
// message format of the original's controller (reference-konduktor.md §10).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  conditionFor,
  readCondition,
  readRecord,
  REASONS,
} from '../../src/backends/kubernetes/condition.js';
import { ORIGINAL_RESULT_LIMIT } from '../../src/backends/kubernetes/original-condition.js';
import type { ConditionObject, JobSetObject } from '../../src/backends/kubernetes/types.js';
import { outcomeError } from '../../src/result/outcome.js';
import type { Outcome } from '../../src/result/outcome.js';
import {
  JobFailedError,
  MalformedResultError,
  NoResultReportedError,
  ResultTooLargeError,
} from '../../src/errors.js';

/** A JobSet carrying one KonduktorResult condition, launched by the original or by konduktor. */
const withReason = (
  reason: string,
  message: string,
  by: 'original' | 'konduktor' = 'original',
  restarts = 0,
): JobSetObject => ({
  metadata: {
    name: 'batch-job-160a',
    labels:
      by === 'original'
        ? { 'trainy.ai/konduktor-managed': 'true', parent: 'trainy' }
        : { 'konduktor.dev/managed': 'true' },
  },
  status: {
    restarts,
    conditions: [
      { type: 'Completed', status: 'True', reason: 'AllJobsCompleted' },
      {
        type: 'KonduktorResult',
        status: 'True',
        reason,
        message,
        lastTransitionTime: '2026-10-27T03:19:56Z',
      },
    ],
  },
});

const outcomes: Outcome[] = [
  { kind: 'value', attempt: 0, text: '{"val_loss": 0.42}\n' },
  { kind: 'no_result', attempt: 1, detail: 'whitespace' },
  { kind: 'malformed', attempt: 0, parseError: 'Unexpected token', head: '{oops' },
  { kind: 'too_large', attempt: 0, size: 5000, limit: 4096 },
  { kind: 'failed', reason: 'run of rank 1 exited with code 3', rank: 1, attempt: 2, logTail: [] },
];

void describe('KonduktorResult vocabulary', () => {
  it('writes the original reasons, CamelCase, with the outcome as JSON', () => {
    const expected = ['Succeeded', 'NoResult', 'MalformedResult', 'ResultTooLarge', 'Failed'];
    assert.deepEqual(
      outcomes.map((o) => conditionFor({ outcome: o }).reason),
      expected,
    );
    // The CRD's metav1.Condition reason pattern.
    const pattern = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;
    for (const reason of Object.values(REASONS)) assert.match(reason, pattern);
    for (const outcome of outcomes) {
      const condition = conditionFor({ outcome });
      assert.deepEqual(JSON.parse(condition.message ?? ''), outcome);
      const js = withReason(condition.reason ?? '', condition.message ?? '', 'konduktor');
      assert.deepEqual(readCondition(js), outcome);
    }
  });

  it('reads records konduktor wrote before, with lower-case reasons', () => {
    for (const outcome of outcomes) {
      const old: ConditionObject = {
        ...conditionFor({ outcome }),
        reason: outcome.kind,
      };
      const js = withReason(old.reason ?? '', old.message ?? '', 'konduktor');
      assert.deepEqual(readCondition(js), outcome);
    }
  });

  it('reads each reason the original controller writes', () => {
    const cases: [string, string, (o: Outcome) => void][] = [
      [
        'Succeeded',
        '{"val_loss": 0.42, "epochs": [1, 2]}',
        (o) =>
          assert.deepEqual(o, {
            kind: 'value',
            attempt: 0,
            text: '{"val_loss": 0.42, "epochs": [1, 2]}',
          }),
      ],
      ['Succeeded', '0.5', (o) => assert.deepEqual(o, { kind: 'value', attempt: 0, text: '0.5' })],
      [
        'Succeeded',
        'null',
        (o) => assert.deepEqual(o, { kind: 'value', attempt: 0, text: 'null' }),
      ],
      [
        'Succeeded',
        '{"error":"NoResult"}',
        (o) => assert.deepEqual(o, { kind: 'no_result', attempt: 0, detail: 'missing' }),
      ],
      [
        'NoResult',
        '{"error":"NoResult"}',
        (o) => assert.deepEqual(o, { kind: 'no_result', attempt: 0, detail: 'missing' }),
      ],
      [
        'ResultTooLarge',
        '{"size":5123}',
        (o) =>
          assert.deepEqual(o, {
            kind: 'too_large',
            attempt: 0,
            size: 5123,
            limit: ORIGINAL_RESULT_LIMIT,
          }),
      ],
      [
        'MalformedResult',
        '{"reason":"Expecting value: line 1 column 1 (char 0)"}',
        (o) =>
          assert.deepEqual(o, {
            kind: 'malformed',
            attempt: 0,
            parseError: 'Expecting value: line 1 column 1 (char 0)',
            head: '',
          }),
      ],
      [
        'Failed',
        '{"exit":3}',
        (o) => {
          assert.equal(o.kind, 'failed');
          assert.equal(o.kind === 'failed' && o.exitCode, 3);
          assert.match(o.kind === 'failed' ? o.reason : '', /exited with code 3/);
        },
      ],
      [
        'Failed',
        '{"error":"Failed","reason":"DeadlineExceeded"}',
        (o) => {
          assert.equal(o.kind, 'failed');
          assert.match(o.kind === 'failed' ? o.reason : '', /^DeadlineExceeded /);
          assert.equal(o.kind === 'failed' ? o.exitCode : 0, undefined);
        },
      ],
    ];
    for (const [reason, message, check] of cases) {
      const outcome = readCondition(withReason(reason, message));
      assert.ok(outcome !== undefined, `${reason} ${message}`);
      check(outcome);
    }
  });

  it('maps each original reason to the error result raises', () => {
    const errorOf = (reason: string, message: string) =>
      outcomeError('batch-job-160a', readCondition(withReason(reason, message)) as Outcome);
    assert.equal(errorOf('Succeeded', '{"a": 1}'), undefined);
    assert.ok(errorOf('Succeeded', '{"error":"NoResult"}') instanceof NoResultReportedError);
    assert.ok(errorOf('ResultTooLarge', '{"size":4000}') instanceof ResultTooLargeError);
    assert.ok(errorOf('MalformedResult', '{"reason":"x"}') instanceof MalformedResultError);
    assert.ok(errorOf('Failed', '{"exit":1}') instanceof JobFailedError);
  });

  it("reads an original JobSet's value even when it looks like konduktor's own message", () => {
    const lookalike = '{"kind":"failed","attempt":0,"reason":"x","logTail":[]}';
    assert.deepEqual(readCondition(withReason('Succeeded', lookalike)), {
      kind: 'value',
      attempt: 0,
      text: lookalike,
    });
  });

  it('attributes the original outcome to the JobSet attempt and refuses what it cannot read', () => {
    assert.equal(readCondition(withReason('Succeeded', '{"a":1}', 'original', 2))?.attempt, 2);
    assert.equal(readRecord(withReason('Running', '{}')), undefined);
    assert.equal(readRecord(withReason('ResultTooLarge', '{"size":"big"}')), undefined);
    // A malformed value in a Succeeded message reads as the decoder reads such a file.
    assert.equal(readCondition(withReason('Succeeded', '{oops'))?.kind, 'malformed');
  });
});
