import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { formatDuration, parseDuration } from '../../src/job/duration.js';

describe('parseDuration', () => {
  it('parses numbers as milliseconds and strings with units', () => {
    assert.equal(parseDuration(1500), 1500);
    assert.equal(parseDuration('600s'), 600_000);
    assert.equal(parseDuration('10m'), 600_000);
    assert.equal(parseDuration('1h'), 3_600_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('1.5s'), 1500);
  });

  it('rejects bad values, quoting them', () => {
    for (const bad of ['10', 'ten minutes', '1x', '-x', '']) {
      assert.throws(
        () => parseDuration(bad),
        (error: unknown) =>
          error instanceof UsageError && error.message.includes(JSON.stringify(bad)),
      );
    }
    // A negative duration is named as one, not as text that is not a duration.
    for (const negative of ['-1s', '-1m30s', ' -500ms']) {
      assert.throws(() => parseDuration(negative, '--timeout'), {
        name: 'UsageError',
        message: `--timeout must not be negative, got ${negative.trim()}`,
      });
    }
    assert.throws(() => parseDuration(-5), UsageError);
    assert.throws(() => parseDuration(Number.NaN), UsageError);
  });

  it('formats durations for people', () => {
    assert.equal(formatDuration(850), '850ms');
    assert.equal(formatDuration(12_000), '12s');
    assert.equal(formatDuration(200_000), '3m 20s');
    assert.equal(formatDuration(7_500_000), '2h 5m');
    assert.equal(formatDuration(604_800_000), '7d');
    assert.equal(formatDuration(108_000_000), '1d 6h');
  });
});
