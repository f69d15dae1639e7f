// JobInfo from JobSet and pod objects, without a cluster: times from the containers (whole
// seconds) never before the submission nor an end before the start, the status agreeing with the
// recorded outcome, and what a log reader learns about a job.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withCondition } from '../../src/backends/kubernetes/condition.js';
import { infoOf, recordTimes } from '../../src/backends/kubernetes/job-info.js';
import { logStateOf } from '../../src/backends/kubernetes/logs-attempt.js';
import type { JobSetObject, PodObject } from '../../src/backends/kubernetes/types.js';
import type { Outcome } from '../../src/result/outcome.js';

const SUBMITTED = '2026-01-01T00:00:10.700Z';

const jobset = (
  extra: {
    spec?: NonNullable<JobSetObject['spec']>;
    status?: NonNullable<JobSetObject['status']>;
    annotations?: Record<string, string>;
  } = {},
): JobSetObject => ({
  metadata: {
    name: 'j-0000',
    creationTimestamp: '2026-01-01T00:00:10Z',
    annotations: { 'konduktor.dev/submitted-at': SUBMITTED, ...extra.annotations },
  },
  spec: {
    replicatedJobs: [{ name: 'workers', template: { spec: { parallelism: 2 } } }],
    ...extra.spec,
  },
  ...(extra.status === undefined ? {} : { status: extra.status }),
});

/** A pod of rank `rank`, attempt `attempt`, whose container started (and maybe finished). */
const pod = (
  rank: number,
  attempt: number,
  startedAt: string,
  finished?: { exitCode: number; finishedAt: string },
): PodObject => ({
  metadata: {
    name: `j-0000-workers-0-${rank}-${attempt}`,
    uid: `uid-${rank}-${attempt}`,
    labels: {
      'jobset.sigs.k8s.io/restart-attempt': String(attempt),
      'batch.kubernetes.io/job-completion-index': String(rank),
    },
  },
  spec: { nodeName: 'node' },
  status: {
    phase: finished === undefined ? 'Running' : finished.exitCode === 0 ? 'Succeeded' : 'Failed',
    startTime: '2026-01-01T00:00:10Z',
    containerStatuses: [
      {
        name: 'konduktor',
        state:
          finished === undefined
            ? { running: { startedAt } }
            : { terminated: { ...finished, startedAt } },
      },
    ],
  },
});

const value: Outcome = { kind: 'value', attempt: 0, text: '{"a": 1}' };

void describe('kubernetes job info', () => {
  it('never starts before the submission: whole-second pod times are clamped to it', () => {
    // The containers started within the submission's second: the API says 00:00:10.
    const info = infoOf(jobset(), [pod(0, 0, '2026-01-01T00:00:10Z')], undefined);
    assert.equal(info.status, 'RUNNING');
    assert.equal(info.startedAt?.toISOString(), SUBMITTED);
    assert.ok(info.startedAt !== undefined && info.startedAt >= info.submittedAt);
  });

  it('starts at the earliest container and ends at the final attempt’s last finish', () => {
    const pods = [
      pod(0, 0, '2026-01-01T00:00:13Z', { exitCode: 0, finishedAt: '2026-01-01T00:00:20Z' }),
      pod(1, 0, '2026-01-01T00:00:12Z', { exitCode: 0, finishedAt: '2026-01-01T00:00:21Z' }),
    ];
    const js = jobset({ status: { terminalState: 'Completed' } });
    const info = infoOf(js, pods, undefined);
    assert.equal(info.status, 'SUCCEEDED');
    assert.equal(info.startedAt?.toISOString(), '2026-01-01T00:00:12.000Z');
    assert.equal(info.endedAt?.toISOString(), '2026-01-01T00:00:21.000Z');
  });

  it('never ends before it starts (a two-node job whose pods straddle a second)', () => {
    // Rank 1 started at 00:00:11.9 and ended at 00:00:11.95; rank 0 started at 00:00:12.0 after
    // it: the final finish (00:00:11) is before the first start as the API rounds them.
    const pods = [
      pod(0, 0, '2026-01-01T00:00:12Z', { exitCode: 0, finishedAt: '2026-01-01T00:00:12Z' }),
      pod(1, 0, '2026-01-01T00:00:11Z', { exitCode: 0, finishedAt: '2026-01-01T00:00:11Z' }),
    ];
    const js = jobset({ status: { terminalState: 'Completed' } });
    for (const info of [
      infoOf(js, pods, undefined),
      infoOf(js, [], {
        outcome: value,
        ...recordTimes(js, pods, { now: new Date(), podsEnded: true }),
      }),
    ]) {
      assert.ok(info.startedAt !== undefined && info.endedAt !== undefined);
      assert.ok(info.startedAt >= info.submittedAt, info.startedAt.toISOString());
      assert.ok(info.endedAt >= info.startedAt, info.endedAt.toISOString());
    }
  });

  it('a job cancelled before any pod ran ends at the cancel, never before the submission', () => {
    const js = jobset({ annotations: { 'konduktor.dev/cancelled': 'true' } });
    // The cancelling process's clock read a time before the submission annotation's.
    const times = recordTimes(js, [], {
      now: new Date('2026-01-01T00:00:10.200Z'),
      podsEnded: false,
    });
    assert.equal(times.startedAt, undefined);
    assert.equal(times.endedAt.toISOString(), SUBMITTED);
    const cancelled: Outcome = {
      kind: 'failed',
      reason: 'the job was cancelled',
      attempt: 0,
      logTail: [],
    };
    const info = infoOf(withCondition(js, { outcome: cancelled, ...times }), [], {
      outcome: cancelled,
      ...times,
    });
    assert.equal(info.status, 'CANCELLED');
    assert.equal(info.startedAt, undefined);
    assert.equal(info.endedAt?.toISOString(), SUBMITTED);
  });

  it('keeps the recorded times once the pods are gone', () => {
    const js = jobset({ status: { terminalState: 'Completed' } });
    const startedAt = new Date('2026-01-01T00:00:12Z');
    const endedAt = new Date('2026-01-01T00:00:20Z');
    const info = infoOf(js, [], { outcome: value, startedAt, endedAt });
    assert.deepEqual([info.startedAt, info.endedAt], [startedAt, endedAt]);
  });

  it('takes the status from the recorded outcome, so status and result agree', () => {
    const failed: Outcome = {
      kind: 'failed',
      reason: 'run of rank 0 was killed by SIGTERM (exit code 143) in attempt 0',
      attempt: 0,
      logTail: [],
    };
    // The JobSet completed, but the outcome recorded is a failure: result exits 1, so FAILED.
    const js = jobset({ status: { terminalState: 'Completed' } });
    const info = infoOf(js, [], { outcome: failed, endedAt: new Date(SUBMITTED) });
    assert.equal(info.status, 'FAILED');
    assert.equal(info.reason, failed.reason);
    // And the other way round: a value recorded before a late cancel is what the job returned.
    const late = jobset({ annotations: { 'konduktor.dev/cancelled': 'true' } });
    assert.equal(infoOf(late, [], { outcome: value }).status, 'SUCCEEDED');
  });

  it('keeps the first start across a stop and start', () => {
    const js = jobset({
      status: { restarts: 1 },
      annotations: { 'konduktor.dev/started-at': '2026-01-01T00:00:11.000Z' },
    });
    const info = infoOf(js, [pod(0, 1, '2026-01-01T00:00:30Z')], undefined);
    assert.equal(info.attempt, 1);
    assert.equal(info.startedAt?.toISOString(), '2026-01-01T00:00:11.000Z');
  });

  it('tells a log reader whether the pods ran and whether more will come', () => {
    const running = logStateOf(jobset(), [pod(0, 0, '2026-01-01T00:00:12Z')]);
    assert.deepEqual([running.ended, running.ran, running.stopped], [false, true, false]);
    const stopped = logStateOf(
      jobset({
        spec: { suspend: true },
        annotations: {
          'konduktor.dev/stopped': 'true',
          'konduktor.dev/started-at': '2026-01-01T00:00:12Z',
        },
      }),
      [],
    );
    assert.deepEqual([stopped.ended, stopped.ran, stopped.stopped], [false, true, true]);
    const cancelledWaiting = logStateOf(
      withCondition(jobset(), {
        outcome: { kind: 'failed', reason: 'cancelled', attempt: 0, logTail: [] },
        endedAt: new Date(SUBMITTED),
      }),
      [],
    );
    assert.deepEqual([cancelledWaiting.ended, cancelledWaiting.ran], [true, false]);
    const restarted = logStateOf(jobset({ status: { restarts: 2 } }), []);
    assert.equal(restarted.attempt, 2);
  });
});
