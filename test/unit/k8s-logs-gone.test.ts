// What `konduktor logs` says when a job's pods are gone on Kubernetes, without a cluster: the
// hint names real commands and fits the job's state (a held job has no result to point at).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { type JobLogState, readAttemptLog } from '../../src/backends/kubernetes/logs-attempt.js';
import { LogsUnavailableError } from '../../src/errors.js';

/** The error reading the log of a job in `state` (whose pods are all gone) raises. */
async function goneError(state: JobLogState, attempt?: number): Promise<LogsUnavailableError> {
  const kc = new k8s.KubeConfig();
  // Never contacted: the pods are gone, so nothing is read.
  kc.loadFromClusterAndUser(
    { name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: false },
    { name: 'u' },
  );
  const options = {
    kc,
    core: kc.makeApiClient(k8s.CoreV1Api),
    namespace: 'default',
    container: 'main',
    jobName: 'train-1',
    rank: 0,
    ...(attempt === undefined ? {} : { attempt }),
    observe: () => Promise.resolve(state),
    subscribe: () => () => undefined,
  };
  try {
    await readAttemptLog(options, () => Promise.resolve([]));
  } catch (err) {
    if (err instanceof LogsUnavailableError) return err;
    throw err;
  }
  assert.fail('reading the log of a job whose pods are gone did not fail');
}

const ran = { pods: [], ran: true } as const;

describe('the log of a job whose pods are gone', () => {
  it('held by stop: says `konduktor start JOB` runs it again, and names no result', async () => {
    for (const attempt of [0, 2]) {
      const err = await goneError({ ...ran, attempt, ended: false, stopped: true });
      assert.match(err.message, /deleted when `konduktor stop` held it/);
      assert.match(err.message, /`konduktor start train-1` runs it again/);
      assert.doesNotMatch(err.message, /result|cancel/);
    }
  });

  it('ended (cancelled, or pods deleted by hand): points at the kept outcome', async () => {
    const err = await goneError({ ...ran, attempt: 0, ended: true, stopped: false });
    assert.match(err.message, /its pod was deleted/);
    assert.match(err.message, /`konduktor result train-1`/);
    assert.doesNotMatch(err.message, /konduktor cancel/);
  });

  it('an earlier attempt: says the job moved on', async () => {
    const err = await goneError({ ...ran, attempt: 3, ended: false, stopped: true }, 1);
    assert.match(err.message, /attempt 1 were deleted when the job moved on to attempt 3/);
  });
});
