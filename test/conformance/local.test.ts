import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { LocalBackend } from '../../src/backends/local/local-backend.js';
import { Job } from '../../src/job/job.js';
import { JobFailedError } from '../../src/errors.js';
import { processStartTime } from '../../src/backends/local/processes.js';
import {
  NATIVE_SUPERVISOR,
  prepareJobDir,
  SupervisorLauncher,
  type SupervisorKind,
} from '../../src/backends/local/launcher.js';
import type { TaskSpec } from '../../src/task/types.js';
import { defineConformance } from './backend-conformance.js';
import { removeHome } from '../support/common.js';

const dir = mkdtempSync(join(tmpdir(), 'konduktor-conformance-'));
after(() => {
  removeHome(dir);
});

/**
 * Both supervisors speak one protocol: the whole suite runs against each. The native one is built
 * by `npm run build` wherever a C compiler exists; without one, its run says so instead of passing.
 */
const kinds: readonly SupervisorKind[] = ['native', 'bash'];
const compilerMissing = spawnSync('bash', ['-c', 'command -v "${CC:-cc}"']).status !== 0;

for (const kind of kinds) {
  const unavailable =
    kind === 'native' && !existsSync(NATIVE_SUPERVISOR)
      ? compilerMissing
        ? 'no C compiler on this machine, so no native supervisor (konduktor uses bash)'
        : undefined
      : undefined;
  if (unavailable !== undefined) {
    describe(`local backend (${kind} supervisor)`, () => {
      it('runs the conformance suite', (t) => {
        t.skip(unavailable);
      });
    });
    continue;
  }
  if (kind === 'native') {
    describe('local backend (native supervisor)', () => {
      it('is built', () => {
        assert.ok(
          existsSync(NATIVE_SUPERVISOR),
          `${NATIVE_SUPERVISOR} is missing: run npm run build`,
        );
      });
    });
  }
  defineConformance(`local (${kind} supervisor)`, {
    // Room for the suite's parallel and 3-node jobs whatever the machine's size.
    makeBackend: () =>
      new LocalBackend({
        home: join(dir, kind, 'home'),
        graceMs: 2000,
        capacity: { cpus: 64, memory: 256 },
        supervisor: kind,
      }),
    jobTimeoutMs: 30_000,
  });
  defineStopping(kind);
}

function defineStopping(kind: SupervisorKind): void {
  /** A backend of its own for one test, and a job of `numNodes` ranks running `run`. */
  const withJob = async (
    home: string,
    graceMs: number,
    job: { run: string; numNodes: number },
    test: (backend: LocalBackend, name: string, started: number) => Promise<void>,
  ): Promise<void> => {
    const backend = new LocalBackend({
      home: join(dir, kind, home),
      graceMs,
      capacity: { cpus: 8, memory: 16 },
      supervisor: kind,
    });
    try {
      const started = Date.now();
      const name = await backend.submit({
        name: home,
        envs: {},
        fileMounts: {},
        resources: { labels: {}, maxRestarts: 0 },
        ...job,
      });
      await test(backend, name, started);
    } finally {
      await backend.close();
    }
  };

  describe(`local backend (${kind} supervisor): stopping the other ranks`, () => {
    it('a failing rank stops the others with SIGTERM at once, not after the grace period', () =>
      withJob(
        'grace',
        20_000,
        { run: 'if [ "$RANK" = 1 ]; then sleep 0.3; exit 4; fi; sleep 300', numNodes: 3 },
        async (backend, name, started) => {
          await assert.rejects(
            new Job(name, backend).result({ timeout: '15s' }),
            /rank 1 exited with code 4/,
          );
          // With a 20 s grace, anything near it means the ranks were only stopped by SIGKILL.
          assert.ok(Date.now() - started < 8000, `took ${Date.now() - started} ms`);
        },
      ));

    it('kills a rank that ignores SIGTERM once the grace period is over', () =>
      withJob(
        'stubborn',
        1000,
        {
          run: `if [ "$RANK" = 1 ]; then sleep 0.3; exit 4; fi; trap '' TERM; sleep 300 & wait; wait`,
          numNodes: 2,
        },
        async (backend, name, started) => {
          await assert.rejects(
            new Job(name, backend).result({ timeout: '30s' }),
            /rank 1 exited with code 4/,
          );
          const took = Date.now() - started;
          // The grace period (1 s) runs out, then SIGKILL: well before the 300 s sleep ends.
          assert.ok(took >= 1000 && took < 15_000, `took ${took} ms`);
          const pids = readFileSync(
            join(dir, kind, 'stubborn', 'jobs', name, 'attempt-0', 'pids'),
            'utf8',
          );
          for (const pid of pids.trim().split(' ').map(Number)) {
            assert.equal(processStartTime(pid), undefined, `rank ${pid} still runs`);
          }
        },
      ));

    it('reports a rank killed by a signal while the other ranks still run', async () => {
      // Rank 2 dies at once, before the supervisor waits: bash drops such a job from wait -n.
      for (let i = 0; i < 5; i += 1) {
        await withJob(
          'killed',
          2000,
          { run: 'if [ "$RANK" = 2 ]; then kill -KILL $$; fi; sleep 0.5', numNodes: 3 },
          async (backend, name) => {
            await assert.rejects(
              new Job(name, backend).result({ timeout: '30s' }),
              (error: unknown) => {
                assert.ok(error instanceof JobFailedError, String(error));
                assert.equal(error.rank, 2, error.message);
                assert.equal(error.signal, 'SIGKILL', error.message);
                return true;
              },
            );
          },
        );
      }
    });
  });
}

describe('local backend: a native supervisor that cannot run here', () => {
  it('falls back to the bash supervisor, and the job runs and reports', async () => {
    // /etc/passwd exists but is not executable, like a build for another machine.
    const launcher = new SupervisorLauncher('native', '/etc/passwd');
    const jobDir = join(dir, 'fallback', 'job');
    const spec: TaskSpec = {
      name: 'fallback',
      run: 'echo 7 > "$KONDUKTOR_OUTPUT_DIR/result.json"',
      envs: {},
      numNodes: 1,
      fileMounts: {},
      resources: { labels: {}, maxRestarts: 0 },
    };
    prepareJobDir(jobDir, spec);
    try {
      const started = await launcher.start(spec, {
        name: 'fallback-0001',
        dir: jobDir,
        eventFile: join(dir, 'fallback', 'event'),
        graceMs: 1000,
        firstAttempt: 0,
      });
      assert.ok(started !== undefined, 'the launcher answered');
      assert.equal(launcher.kind, 'bash');
      const final = join(jobDir, 'final');
      for (let i = 0; i < 200 && !existsSync(final); i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.match(readFileSync(final, 'utf8'), /^status=succeeded attempt=0 ended=\d+\n$/);
      assert.equal(
        readFileSync(join(jobDir, 'attempt-0', 'rank-0', 'output', 'result.json'), 'utf8'),
        '7\n',
      );
    } finally {
      launcher.close();
    }
  });
});
