// Outcomes from JobSet and pod objects, without a cluster: the final attempt's rank 0, the failing
// rank, settling from the pods, and the KonduktorResult condition.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  conditionFor,
  fitOutcome,
  readCondition,
  readRecord,
  withCondition,
} from '../../src/backends/kubernetes/condition.js';
import { MARKERS } from '../../src/backends/kubernetes/manifests.js';
import {
  failingPod,
  limitOf,
  outcomeOf,
  settledState,
} from '../../src/backends/kubernetes/outcome.js';
import type { JobSetObject, PodObject } from '../../src/backends/kubernetes/types.js';
import type { Outcome } from '../../src/result/outcome.js';

const jobset = (
  extra: {
    spec?: NonNullable<JobSetObject['spec']>;
    status?: NonNullable<JobSetObject['status']>;
  } = {},
  nodes = 2,
  maxRestarts = 0,
): JobSetObject => ({
  metadata: { name: 'j-0000', annotations: { 'konduktor.dev/result-limit': '4096' } },
  spec: {
    replicatedJobs: [{ name: 'workers', template: { spec: { parallelism: nodes } } }],
    failurePolicy: { maxRestarts },
  },
  ...extra,
});

const pod = (
  rank: number,
  attempt: number,
  terminated?: { exitCode: number; message?: string; finishedAt?: string },
  extra: { deleted?: boolean; containers?: number } = {},
): PodObject => ({
  metadata: {
    name: `j-0000-workers-0-${rank}-${attempt}`,
    labels: {
      'konduktor.dev/job': 'j-0000',
      'jobset.sigs.k8s.io/replicatedjob-name': 'workers',
      'jobset.sigs.k8s.io/job-index': '0',
      'jobset.sigs.k8s.io/restart-attempt': String(attempt),
      'batch.kubernetes.io/job-completion-index': String(rank),
    },
    ...(extra.deleted === true ? { deletionTimestamp: '2026-01-01T00:00:09Z' } : {}),
  },
  spec: {
    containers: Array.from({ length: extra.containers ?? 1 }, (_, i) => ({
      name: i === 0 ? 'konduktor' : `side-${i}`,
    })),
  },
  status: {
    phase:
      terminated === undefined ? 'Running' : terminated.exitCode === 0 ? 'Succeeded' : 'Failed',
    containerStatuses: [
      {
        name: 'konduktor',
        state: terminated === undefined ? { running: {} } : { terminated },
      },
    ],
  },
});

void describe('kubernetes outcomes', () => {
  it('reads rank 0 of the final attempt only', () => {
    const js = jobset({ status: { terminalState: 'Completed', restarts: 1 } });
    const pods = [
      pod(0, 0, { exitCode: 1, message: '{"stale": true}' }),
      pod(1, 0, { exitCode: 0 }),
      pod(0, 1, { exitCode: 0, message: '{"fresh": true}' }),
      pod(1, 1, { exitCode: 0, message: '{"rank1": true}' }),
    ];
    assert.deepEqual(outcomeOf(js, pods), { kind: 'value', attempt: 1, text: '{"fresh": true}' });
  });

  it('decodes the markers like the local backend reads files', () => {
    const js = jobset({ status: { terminalState: 'Completed' } }, 1);
    const of = (message?: string) =>
      outcomeOf(js, [pod(0, 0, { exitCode: 0, ...(message === undefined ? {} : { message }) })]);
    assert.deepEqual(of(MARKERS.missing), { kind: 'no_result', attempt: 0, detail: 'missing' });
    assert.deepEqual(of(), { kind: 'no_result', attempt: 0, detail: 'empty' });
    assert.deepEqual(of(`${MARKERS.tooLarge}4097\n`), {
      kind: 'too_large',
      attempt: 0,
      size: 4097,
      limit: 4096,
    });
    const invalid = of(`${MARKERS.invalidUtf8}4:22fffe22\n`);
    assert.equal(invalid.kind, 'malformed');
  });

  it('lowers the limit when the pod has more containers than konduktor put there', () => {
    const js = jobset({ status: { terminalState: 'Completed' } }, 1);
    const p = pod(0, 0, { exitCode: 0, message: `"${'x'.repeat(3070)}"` }, { containers: 4 });
    assert.equal(limitOf(js, p), 3072);
    const outcome = outcomeOf(js, [p]);
    assert.equal(outcome.kind, 'too_large');
  });

  it('names the rank that failed first, not the ones killed after it', () => {
    const pods = [
      pod(0, 0, { exitCode: 143, finishedAt: '2026-01-01T00:00:05Z' }, { deleted: true }),
      pod(1, 0, { exitCode: 137, finishedAt: '2026-01-01T00:00:05Z' }, { deleted: true }),
      pod(2, 0, { exitCode: 9, finishedAt: '2026-01-01T00:00:05Z' }),
    ];
    assert.equal(failingPod(pods, 0)?.metadata?.name, 'j-0000-workers-0-2-0');
    const outcome = outcomeOf(jobset({ status: { terminalState: 'Failed' } }, 3), pods, ['boom']);
    assert.equal(outcome.kind, 'failed');
    assert.ok(outcome.kind === 'failed' && outcome.rank === 2 && outcome.exitCode === 9);
    assert.ok(outcome.kind === 'failed' && outcome.phase === 'run');
    assert.deepEqual(outcome.kind === 'failed' ? outcome.logTail : [], ['boom']);
  });

  it('marks a failed setup and a signal', () => {
    const js = jobset({ status: { terminalState: 'Failed' } }, 1);
    const setup = outcomeOf(js, [pod(0, 0, { exitCode: 7, message: MARKERS.setupFailed })]);
    assert.ok(setup.kind === 'failed' && setup.phase === 'setup' && setup.valueText === undefined);
    const killed = outcomeOf(js, [pod(0, 0, { exitCode: 137 })]);
    assert.ok(killed.kind === 'failed' && killed.signal === 'SIGKILL');
  });

  it('settles from the pods before the JobSet says so, never with restarts left', () => {
    assert.equal(settledState(jobset({}, 2), [pod(0, 0, { exitCode: 0 })]), undefined);
    assert.equal(
      settledState(jobset({}, 2), [pod(0, 0, { exitCode: 0 }), pod(1, 0, { exitCode: 0 })]),
      'Completed',
    );
    assert.equal(settledState(jobset({}, 2), [pod(1, 0, { exitCode: 3 })]), 'Failed');
    assert.equal(settledState(jobset({}, 2, 1), [pod(1, 0, { exitCode: 3 })]), undefined);
    assert.equal(
      settledState(jobset({ status: { restarts: 1, restartsCountTowardsMax: 1 } }, 1, 1), [
        pod(0, 1, { exitCode: 3 }),
      ]),
      'Failed',
    );
    // Attempt 1 after a stop/start: the resume used no restart, so one is left.
    assert.equal(
      settledState(jobset({ status: { restarts: 1 } }, 1, 1), [pod(0, 1, { exitCode: 3 })]),
      undefined,
    );
    assert.equal(
      settledState(jobset({ spec: { suspend: true } }, 1), [pod(0, 0, { exitCode: 0 })]),
      undefined,
    );
  });

  it('round-trips the outcome through the condition and keeps it under the size cap', () => {
    const outcome: Outcome = { kind: 'value', attempt: 0, text: '{"a": 1}\n' };
    const startedAt = new Date('2026-01-01T00:00:00.250Z');
    const endedAt = new Date('2026-01-01T00:00:03.500Z');
    const js = withCondition(jobset(), { outcome, startedAt, endedAt });
    assert.deepEqual(readCondition(js), outcome);
    assert.deepEqual(readRecord(js), { outcome, startedAt, endedAt });
    // A job that never ran has an end and no start.
    assert.deepEqual(readRecord(withCondition(jobset(), { outcome, endedAt })), {
      outcome,
      endedAt,
    });
    const condition = conditionFor({ outcome }, new Date('2026-01-01T00:00:00.123Z'));
    assert.equal(condition.reason, 'Succeeded');
    assert.equal(condition.lastTransitionTime, '2026-01-01T00:00:00Z');
    const huge: Outcome = {
      kind: 'failed',
      reason: 'x',
      attempt: 0,
      logTail: Array.from({ length: 200 }, () => 'y'.repeat(1000)),
    };
    assert.ok(JSON.stringify(fitOutcome(huge)).length <= 30_000);
    assert.equal(readCondition(jobset()), undefined);
  });
});
