// Time to live on Kubernetes without a cluster: the `kubernetes.ttl` setting, the manifest field,
// and the home's record of launched jobs that tells an expired job from an unknown one.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readUserConfig } from '../../src/config.js';
import { ConfigError, JobNotFoundError } from '../../src/errors.js';
import * as k8s from '@kubernetes/client-node';
import { JobSetApi } from '../../src/backends/kubernetes/api.js';
import { DEFAULT_TTL_SECONDS, LaunchLog } from '../../src/backends/kubernetes/expiry.js';

void describe('kubernetes time to live', () => {
  const dir = mkdtempSync(join(tmpdir(), 'konduktor-expiry-'));
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('remembers the jobs launched from a home, per cluster and namespace', () => {
    const log = new LaunchLog(dir, 'https://a:6443', 'ns');
    assert.equal(log.ttlOf('job-0a1b'), undefined);
    log.record('job-0a1b', 30);
    assert.equal(log.ttlOf('job-0a1b'), 30);
    assert.equal(new LaunchLog(dir, 'https://a:6443', 'other').ttlOf('job-0a1b'), undefined);
    assert.equal(new LaunchLog(dir, 'https://b:6443', 'ns').ttlOf('job-0a1b'), undefined);
    // Not a job name: never a path.
    assert.equal(log.ttlOf('../job-0a1b'), undefined);
    assert.equal(log.removedHere('job-0a1b'), false);
    log.forget('job-0a1b');
    assert.equal(log.ttlOf('job-0a1b'), undefined);
    assert.equal(log.removedHere('job-0a1b'), true);
    assert.equal(log.removedHere('../job-0a1b'), false);
    assert.equal(DEFAULT_TTL_SECONDS, 604_800);
  });

  it('an expired job is a kind of not found that says why', () => {
    const error = new JobNotFoundError('job-0a1b', 'the kubernetes backend', [], {
      expiredAfterSeconds: 30,
    });
    assert.equal(error.expiredAfterSeconds, 30);
    assert.equal(new JobNotFoundError('x', 'here').expiredAfterSeconds, undefined);
    assert.equal(error.code, 'JOB_NOT_FOUND');
    assert.match(error.message, /has expired.*30s after they end \(kubernetes\.ttl/);
  });

  it('not found on Kubernetes: a konduktor-made name launched elsewhere may have expired', async () => {
    // A real client of an API that cannot answer: the close-name suggestions come back empty.
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const launched = new LaunchLog(dir, 'https://127.0.0.1:1', 'ns');
    launched.record('mine-0a1b', 45);
    const api = new JobSetApi(kc, 'ns', launched, 30);
    for (const name of ['train-0a1b', 'sweep-trial-3-beef', 'x-0000']) {
      const error = await api.notFound(name);
      assert.equal(error.mayHaveExpiredAfterSeconds, 30, name);
      assert.equal(error.expiredAfterSeconds, undefined, name);
      assert.match(error.message, /^no job named .*may have expired.*kubernetes\.ttl.*30s here/);
    }
    for (const name of ['train', 'train-0a1bc', 'train-0a1g', 'Train-0a1b', '0a1b']) {
      const error = await api.notFound(name);
      assert.equal(error.mayHaveExpiredAfterSeconds, undefined, name);
      assert.doesNotMatch(error.message, /expired/, name);
    }
    // Launched from this home: it has expired, with the time to live it was launched with.
    const mine = await api.notFound('mine-0a1b');
    assert.equal(mine.expiredAfterSeconds, 45);
    assert.match(mine.message, /has expired.*45s after they end/);
    // The default time to live when none is configured.
    const byDefault = await new JobSetApi(kc, 'ns').notFound('train-0a1b');
    assert.equal(byDefault.mayHaveExpiredAfterSeconds, DEFAULT_TTL_SECONDS);
    assert.match(byDefault.message, /7d here/);
    // Removed with `down` from this home: said so, neither expired nor "maybe elsewhere".
    launched.record('gone-0a1b', 45);
    launched.forget('gone-0a1b');
    const gone = await api.notFound('gone-0a1b');
    assert.equal(gone.expiredAfterSeconds, undefined);
    assert.equal(gone.mayHaveExpiredAfterSeconds, undefined);
    assert.match(gone.message, /was removed from .* by `konduktor down` from this konduktor home/);
    assert.doesNotMatch(gone.message, /expired/);
  });

  it('reads kubernetes.ttl as a duration and refuses anything else', () => {
    const home = (text: string): string => {
      const h = mkdtempSync(join(dir, 'home-'));
      writeFileSync(join(h, 'config.yaml'), text);
      return h;
    };
    assert.equal(readUserConfig(home('kubernetes:\n  ttl: 30s\n')).kubernetes?.ttl, '30s');
    assert.equal(readUserConfig(home('kubernetes:\n  ttl: 7d\n')).kubernetes?.ttl, '7d');
    for (const bad of ['soon', '-5s', '30']) {
      assert.throws(
        () => readUserConfig(home(`kubernetes:\n  ttl: ${bad}\n`)),
        (err: unknown) => err instanceof ConfigError && /duration such as 7d/.test(err.message),
        bad,
      );
    }
  });
});
