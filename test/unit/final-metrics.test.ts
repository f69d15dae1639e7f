// The final metrics kept with an outcome: rank 0's last metric line, kept when it fits, carried
// through a Kubernetes record and read back as data (a record of the wrong shape loses them, not
// the outcome). The backends' end-to-end tests: test/cli/metrics.test.ts, test/k8s/metrics.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conditionFor, readCondition } from '../../src/backends/kubernetes/condition.js';
import type { JobSetObject } from '../../src/backends/kubernetes/types.js';
import { LABELS } from '../../src/backends/kubernetes/manifests.js';
import { lastMetricLine, METRIC_LINE_LIMIT_BYTES } from '../../src/metrics/line.js';
import { FINAL_METRICS_LIMIT, type Outcome, withFinalMetrics } from '../../src/result/outcome.js';

const jobSetWith = (message: string): JobSetObject => ({
  metadata: { name: 'j', labels: { [LABELS.managed]: 'true' } },
  status: {
    conditions: [{ type: 'KonduktorResult', status: 'True', reason: 'Succeeded', message }],
  },
});

describe('final metrics', () => {
  it('are the last well-formed line, malformed ones passed over', () => {
    assert.deepEqual(
      lastMetricLine(['{"step": 1, "a": 1}', '{"step": 2, "a": 2}', '{"step": 3, "a": "x"}', '']),
      { step: 2, values: { a: 2 } },
    );
    assert.equal(lastMetricLine(['not json', '{"a": 1}']), undefined);
  });

  it('always fit for a line within the limit; over the limit they are left out', () => {
    // The longest line there can be: every byte of it a key character.
    const key = 'k'.repeat(METRIC_LINE_LIMIT_BYTES - '{"step":1,"":1}'.length);
    const line = `{"step":1,"${key}":1}`;
    assert.equal(Buffer.byteLength(line), METRIC_LINE_LIMIT_BYTES);
    const longest = lastMetricLine([line]);
    assert.deepEqual(withFinalMetrics(longest), { finalMetrics: longest });
    const huge = { step: 1, values: { ['k'.repeat(FINAL_METRICS_LIMIT)]: 1 } };
    assert.deepEqual(withFinalMetrics(huge), {});
    assert.deepEqual(withFinalMetrics(undefined), {});
  });

  it('travel through a Kubernetes record, and a malformed set is dropped on reading', () => {
    const outcome: Outcome = {
      kind: 'value',
      attempt: 0,
      text: '{}',
      finalMetrics: { step: 7, values: { loss: 0.25 } },
    };
    const message = conditionFor({ outcome }).message ?? '';
    assert.deepEqual(readCondition(jobSetWith(message)), outcome);
    for (const bad of [
      { step: 1.5, values: {} },
      { step: 1, values: { a: 'x' } },
      { step: 1, values: [1] },
      'text',
      null,
    ]) {
      const forged = JSON.stringify({ kind: 'value', attempt: 0, text: '{}', finalMetrics: bad });
      assert.deepEqual(readCondition(jobSetWith(forged)), {
        kind: 'value',
        attempt: 0,
        text: '{}',
      });
    }
  });
});
