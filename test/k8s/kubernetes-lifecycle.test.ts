// The lifecycle of a Kubernetes job seen from outside, through the CLI as a subprocess (issue 10
// §10, §3 and §4 on Kubernetes): stop/start while a result waits, the scheduler's reason in the
// progress line and the timeout, following logs across a restart, `down` during a wait, logs of
// pods that are gone, the latest or a chosen attempt, an exact tail, and times that are in order.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Backend } from '../../src/backends/backend.js';
import { LogsUnavailableError, UsageError } from '../../src/errors.js';
import { Job } from '../../src/job/job.js';
import { runCli, writeTask, type CliResult } from '../support/cli.js';
import {
  type Cluster,
  deleteJobPods,
  kubeconfigPath,
  waitFor,
  waitForNoPods,
  waitForTerminalJobSet,
  withNamespace,
  WORKLOAD_IMAGE,
} from './cluster.js';
import { OUT } from '../support/common.js';

/** Lines as a command prints them. */
const text = (...lines: string[]): string => lines.map((line) => `${line}\n`).join('');
/** Generous: pods start in seconds on the 2-core node, slower while other suites run. */
const WAIT_MS = 240_000;

void describe('kubernetes job lifecycle through the CLI', () => {
  let cluster: Cluster;
  let namespace = '';
  let backend: Backend;
  const dir = mkdtempSync(join(tmpdir(), 'konduktor-k8s-lifecycle-'));
  const home = join(dir, 'home');

  withNamespace('konduktor-lifecycle', home, (context) => {
    ({ cluster, namespace, backend } = context);
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const cli = (args: readonly string[], timeoutMs = WAIT_MS + 30_000): Promise<CliResult> =>
    runCli([...args, '--backend', 'kubernetes', '--namespace', namespace], {
      home,
      env: { KUBECONFIG: kubeconfigPath() },
      timeoutMs,
    });

  /** A task file: `run` as a block scalar, small requests that fit the one node. */
  function task(
    name: string,
    run: string,
    extra: { nodes?: number; cpus?: number; maxRestarts?: number } = {},
  ): string {
    return writeTask(
      dir,
      `${name}.yaml`,
      [
        `name: ${name}`,
        `num_nodes: ${extra.nodes ?? 1}`,
        'run: |',
        ...run.split('\n').map((line) => `  ${line}`),
        'resources:',
        `  image_id: ${WORKLOAD_IMAGE}`,
        `  cpus: ${extra.cpus ?? 0.1}`,
        '  memory: 0.1',
        `  job_config: { max_restarts: ${extra.maxRestarts ?? 0} }`,
        '',
      ].join('\n'),
    );
  }

  async function launchDetached(path: string): Promise<string> {
    const launched = await cli(['launch', '-d', '-y', path]);
    assert.equal(launched.code, 0, launched.stderr);
    return launched.stdout.trim();
  }

  async function waitForStatus(name: string, status: string): Promise<void> {
    await waitFor(
      `${name} to be ${status}`,
      async () => ((await backend.get(name)).status === status ? true : undefined),
      WAIT_MS,
    );
  }

  /** Every line of a log read through the library. */
  async function drain(lines: AsyncIterable<string>): Promise<string[]> {
    const all: string[] = [];
    for await (const line of lines) all.push(line);
    return all;
  }

  it('stop then start at once while `result --json` waits: the resumed run decides, as attempt 1', async () => {
    // Attempt 0 reports, then runs on until stopped (SIGTERM, exit 143): neither its result nor
    // its end may be taken for the resumed run's. Three jobs at once: the race is in the timing.
    const path = task(
      'resume',
      [
        'echo "run $RESTART_ATTEMPT"',
        `echo "{\\"attempt\\": $RESTART_ATTEMPT}" > ${OUT}`,
        'if [ "$RESTART_ATTEMPT" = 0 ]; then sleep 600; fi',
      ].join('\n'),
    );
    const names = await Promise.all([0, 1, 2].map(() => launchDetached(path)));
    await Promise.all(
      names.map(async (name) => {
        const waiting = cli(['result', name, '--json', '--timeout', `${WAIT_MS / 1000}s`]);
        await waitForStatus(name, 'RUNNING');
        const stopped = await cli(['stop', name]);
        assert.equal(stopped.code, 0, stopped.stderr);
        const started = await cli(['start', name]);
        assert.equal(started.code, 0, started.stderr);
        const result = await waiting;
        assert.equal(result.code, 0, `${name}: ${result.stderr}${result.stdout}`);
        assert.deepEqual(JSON.parse(result.stdout), {
          job: name,
          status: 'SUCCEEDED',
          outcome: 'value',
          value: { attempt: 1 },
        });
        // Status and result agree, and keep agreeing.
        const status = await cli(['status', '--json', '--all']);
        const row = (
          JSON.parse(status.stdout) as { name: string; status: string; attempt: number }[]
        ).find((job) => job.name === name);
        assert.equal(row?.status, 'SUCCEEDED');
        assert.equal(row.attempt, 1);
        const again = await cli(['result', name]);
        assert.equal(again.code, 0, again.stderr);
        assert.equal(again.stdout, '{"attempt": 1}\n');
        // §4: the logs of the latest attempt, by default.
        const logs = await cli(['logs', name]);
        assert.equal(logs.code, 0, logs.stderr);
        assert.equal(logs.stdout, 'run 1\n');
      }),
    );
  });

  it('shows the scheduler’s reason in the progress line and in the timeout error (cpus: 64)', async () => {
    const path = task('toobig', 'true', { cpus: 64 });
    const waited = await cli(['launch', '--wait', '--json', '-y', '--timeout', '20s', path]);
    assert.equal(waited.code, 124, waited.stderr);
    const name = /job (toobig-[0-9a-f]+) launched/.exec(waited.stderr)?.[1];
    assert.ok(name !== undefined, waited.stderr);
    // The progress line (stderr is not a TTY: one line per change).
    assert.match(
      waited.stderr,
      /toobig-[0-9a-f]+: PENDING: unschedulable: 0\/1 nodes are available: 1 Insufficient cpu/,
    );
    // The error says it too, and the envelope carries it as a field.
    assert.match(waited.stderr, /error\[RESULT_TIMEOUT\]: timed out after 20s .*Insufficient cpu/);
    const envelope = JSON.parse(waited.stdout) as {
      outcome: string;
      error: { code: string; lastStatus: string; waitingReason?: string; message: string };
    };
    assert.equal(envelope.outcome, 'timeout');
    assert.equal(envelope.error.code, 'RESULT_TIMEOUT');
    assert.equal(envelope.error.lastStatus, 'PENDING');
    assert.match(envelope.error.waitingReason ?? '', /^unschedulable: .*Insufficient cpu/);
    assert.match(envelope.error.message, /Insufficient cpu/);
    // A job cancelled before any pod ran has no log, and nothing was lost: empty, exit 0.
    await new Job(name, backend).cancel();
    const logs = await cli(['logs', name]);
    assert.equal(logs.code, 0, logs.stderr);
    assert.equal(logs.stdout, '');
  });

  it('follows logs across a restart: `launch -y` (rank 0) and `logs -f --rank 1`', async () => {
    // Attempt 0: rank 1 prints and runs on; rank 0 prints, then fails, which restarts the job
    // (rank 1's container is killed). Attempt 1: both print and succeed.
    const path = task(
      'follow',
      [
        'echo "rank $RANK attempt $RESTART_ATTEMPT begins"',
        'if [ "$RESTART_ATTEMPT" = 0 ]; then',
        '  if [ "$RANK" = 0 ]; then sleep 8; echo "rank 0 fails"; exit 3; fi',
        '  sleep 600',
        'fi',
        'echo "rank $RANK attempt $RESTART_ATTEMPT ends"',
        `if [ "$RANK" = 0 ]; then echo '{"ok": true}' > ${OUT}; fi`,
      ].join('\n'),
      { nodes: 2, maxRestarts: 1 },
    );
    const launching = cli(['launch', '-y', path]);
    const name = await waitFor(
      'the job to be launched',
      async () => (await backend.list()).find((job) => job.name.startsWith('follow-'))?.name,
      WAIT_MS,
    );
    // Rank 1's follower starts at attempt 0, while it runs (or even before its pod exists).
    const rank1 = await cli(['logs', '-f', '--rank', '1', '--attempt', '0', name]);
    const launched = await launching;
    assert.equal(launched.code, 0, launched.stderr);
    assert.equal(
      launched.stdout,
      text(
        'rank 0 attempt 0 begins',
        'rank 0 fails',
        '[konduktor] restart attempt 1',
        'rank 0 attempt 1 begins',
        'rank 0 attempt 1 ends',
      ),
    );
    assert.match(launched.stderr, /succeeded/);
    assert.equal(rank1.code, 0, rank1.stderr);
    assert.equal(
      rank1.stdout,
      text(
        'rank 1 attempt 0 begins',
        '[konduktor] restart attempt 1',
        'rank 1 attempt 1 begins',
        'rank 1 attempt 1 ends',
      ),
    );
    // After the end: the latest attempt by default; attempt 0's pods went with the restart.
    const latest = await cli(['logs', name]);
    assert.equal(latest.stdout, 'rank 0 attempt 1 begins\nrank 0 attempt 1 ends\n');
    const job = new Job(name, backend);
    await waitForNoPods(
      cluster,
      namespace,
      `konduktor.dev/job=${name},jobset.sigs.k8s.io/restart-attempt=0`,
      WAIT_MS,
    );
    // `--attempt 0`: its pods went with the restart, and the message says so (exit 2).
    const gone = await cli(['logs', name, '--attempt', '0']);
    assert.equal(gone.code, 2, gone.stderr);
    assert.equal(gone.stdout, '');
    assert.match(
      gone.stderr,
      /error\[LOGS_UNAVAILABLE\]: no log of rank 0 of job follow-[0-9a-f]+ \(attempt 0\): the pods of attempt 0 were deleted when the job moved on to attempt 1/,
    );
    await assert.rejects(drain(job.logs({ attempt: 0 })), (error: unknown) => {
      assert.ok(error instanceof LogsUnavailableError, String(error));
      assert.equal(error.attempt, 0);
      return true;
    });
    const chosen = await cli(['logs', name, '--attempt', '1', '--rank', '1']);
    assert.equal(chosen.stdout, text('rank 1 attempt 1 begins', 'rank 1 attempt 1 ends'));
    // Following from attempt 0, whose pods are gone, goes on into attempt 1.
    const followed = await cli(['logs', '-f', name, '--attempt', '0']);
    assert.equal(followed.code, 0, followed.stderr);
    assert.equal(
      followed.stdout,
      text('[konduktor] restart attempt 1', 'rank 0 attempt 1 begins', 'rank 0 attempt 1 ends'),
    );
    const later = await cli(['logs', name, '--attempt', '2']);
    assert.equal(later.code, 2, later.stderr);
    assert.match(later.stderr, /has no attempt 2 yet: its latest is attempt 1/);
    await assert.rejects(drain(job.logs({ attempt: 2 })), UsageError);
  });

  it('`down JOB` while `result JOB --json` waits: one error, one envelope', async () => {
    const name = await launchDetached(task('downed', 'sleep 600'));
    const waiting = cli(['result', name, '--json']);
    await waitForStatus(name, 'RUNNING');
    const down = await cli(['down', name, '-y']);
    assert.equal(down.code, 0, down.stderr);
    const result = await waiting;
    assert.equal(result.code, 2, result.stderr);
    const envelopes = result.stdout.trim().split('\n');
    assert.equal(envelopes.length, 1, result.stdout);
    const envelope = JSON.parse(envelopes[0] ?? '') as {
      job: string;
      outcome: string;
      error: { code: string };
    };
    assert.equal(envelope.job, name);
    assert.equal(envelope.outcome, 'error');
    assert.equal(envelope.error.code, 'JOB_NOT_FOUND');
    assert.equal(
      result.stderr.match(/was removed from .* by `konduktor down` from this konduktor home/g)
        ?.length,
      1,
      result.stderr,
    );
    assert.doesNotMatch(result.stderr, /expired/);
  });

  it('says on stderr that the pods and their logs are gone (deleted by hand, or by cancel)', async () => {
    const finished = await launchDetached(task('gone', 'echo "a line"'));
    const result = await cli(['result', finished]);
    assert.equal(result.code, 3, result.stderr); // no result: it wrote none
    assert.equal((await cli(['logs', finished])).stdout, 'a line\n');
    await waitForTerminalJobSet(cluster, namespace, finished, WAIT_MS);
    await deleteJobPods(cluster, namespace, finished, WAIT_MS);
    for (const args of [
      ['logs', finished],
      ['logs', '-f', finished],
    ]) {
      const logs = await cli(args);
      assert.equal(logs.code, 2, `${args.join(' ')}: ${logs.stderr}`);
      assert.equal(logs.stdout, '');
      assert.match(logs.stderr, /error\[LOGS_UNAVAILABLE\]: no log of rank 0 of job gone-/);
      assert.match(
        logs.stderr,
        /its pod was deleted .*keeps a container's log only while its pod exists/,
      );
    }
    // Cancelling a running job deletes its pods.
    const cancelled = await launchDetached(task('gone', 'echo "running"; sleep 600'));
    await waitForStatus(cancelled, 'RUNNING');
    await new Job(cancelled, backend).cancel();
    await waitForNoPods(cluster, namespace, `konduktor.dev/job=${cancelled}`, WAIT_MS);
    const logs = await cli(['logs', cancelled]);
    assert.equal(logs.code, 2, logs.stderr);
    assert.match(logs.stderr, /LOGS_UNAVAILABLE.*its pod was deleted/);
  });

  it('`--tail N` prints exactly the last N lines (or all, when fewer)', async () => {
    const name = await launchDetached(task('tail', 'seq 1 5000'));
    await new Job(name, backend).wait({ timeout: WAIT_MS });
    const seq = (from: number, to: number): string =>
      Array.from({ length: to - from + 1 }, (_, i) => `${from + i}\n`).join('');
    for (const [n, expected] of [
      [1000, seq(4001, 5000)],
      [200, seq(4801, 5000)],
      [1, '5000\n'],
      [5000, seq(1, 5000)],
      [7000, seq(1, 5000)],
    ] as const) {
      const logs = await cli(['logs', name, '--tail', String(n)]);
      assert.equal(logs.code, 0, logs.stderr);
      assert.equal(logs.stdout, expected, `--tail ${n}`);
      const followed = await cli(['logs', '-f', name, '--tail', String(n)]);
      assert.equal(followed.stdout, expected, `-f --tail ${n}`);
    }
  });

  it('times are in order: a 2-node job never ends before it starts, nor starts before submission', async () => {
    const name = await launchDetached(
      task('timed', `sleep 1; if [ "$RANK" = 0 ]; then echo '{"t": 1}' > ${OUT}; fi`, { nodes: 2 }),
    );
    const result = await cli(['result', name]);
    assert.equal(result.code, 0, result.stderr);
    const info = await new Job(name, backend).info();
    const status = await cli(['status', '--json', '--all']);
    assert.equal(status.code, 0, status.stderr);
    const rows = JSON.parse(status.stdout) as {
      name: string;
      submittedAt: string;
      startedAt: string | null;
      endedAt: string | null;
    }[];
    const row = rows.find((job) => job.name === name);
    assert.ok(row?.startedAt != null && row.endedAt != null, JSON.stringify(row));
    // Job.info() of a finished job has the start status --json shows.
    assert.equal(info.startedAt?.toISOString(), row.startedAt);
    assert.equal(info.endedAt?.toISOString(), row.endedAt);
    // Every job of this file, whatever happened to it: submitted ≤ started ≤ ended.
    for (const job of rows) {
      const submitted = Date.parse(job.submittedAt);
      const started = job.startedAt === null ? undefined : Date.parse(job.startedAt);
      const ended = job.endedAt === null ? undefined : Date.parse(job.endedAt);
      if (started !== undefined) assert.ok(started >= submitted, JSON.stringify(job));
      if (ended !== undefined) assert.ok(ended >= (started ?? submitted), JSON.stringify(job));
    }
    // The table's DURATION is never negative.
    const table = await cli(['status', '--all']);
    assert.doesNotMatch(table.stdout, /-\d+m?s/);
  });
});
