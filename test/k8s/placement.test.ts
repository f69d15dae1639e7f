/**
 * A task no node of the cluster can hold: `launch` and `sweep run` on Kubernetes warn beside the
 * plan, naming the demand and the node, and still launch (a node may join later), where the local
 * backend refuses. A task that fits gets no warning; a task the backend cannot run at all is
 * refused by `sweep run` before its plan line, as by `launch`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli, tempHome, writeTask } from '../support/cli.js';
import { kubeconfigPath, withNamespace, WORKLOAD_IMAGE } from './cluster.js';

void describe('placement warnings on kubernetes', () => {
  const ctx = tempHome();
  let namespace = '';
  withNamespace('konduktor-placement', ctx.home, (context) => {
    ({ namespace } = context);
  });
  const env = { KUBECONFIG: kubeconfigPath() };
  const flags = () => ['--backend', 'kubernetes', '--namespace', namespace];
  const task = (name: string, resources: string) =>
    writeTask(
      ctx.dir,
      `${name}.yaml`,
      `name: ${name}\nrun: echo '{}' > "$KONDUKTOR_OUTPUT_DIR/result.json"\nresources: { image_id: ${WORKLOAD_IMAGE}, ${resources} }\n`,
    );

  for (const [label, resources, named] of [
    ['64 CPUs', 'cpus: 64, memory: 0.1', /64 CPU, 0\.1 GiB/],
    ['4 TiB of memory', 'cpus: 0.1, memory: 4096', /0\.1 CPU, 4096 GiB/],
    ['a GPU on a node without GPUs', 'cpus: 0.1, memory: 0.1, accelerators: "H100:1"', /1 GPU/],
  ] as const) {
    it(`${label}: launched, with a warning naming the demand and the node`, async () => {
      const launched = await runCli(['launch', '-y', '-d', task('huge', resources), ...flags()], {
        home: ctx.home,
        env,
      });
      assert.equal(launched.code, 0, launched.stderr);
      assert.match(launched.stderr, /plan: /);
      assert.match(launched.stderr, /warning: each pod asks for/);
      assert.match(launched.stderr, named);
      assert.match(launched.stderr, /no node has that much allocatable \([^:]+: \d/);
      assert.match(launched.stderr, /will stay PENDING until such a node joins/);
      const job = launched.stdout.trim();
      const status = await runCli(['status', '--json', ...flags()], { home: ctx.home, env });
      const info = (JSON.parse(status.stdout) as { name: string; status: string }[]).find(
        (j) => j.name === job,
      );
      assert.deepEqual([info?.name, info?.status], [job, 'PENDING']);
    });
  }

  it('a task that fits: no warning', async () => {
    const launched = await runCli(
      ['launch', '-y', '-d', task('small', 'cpus: 0.1, memory: 0.1'), ...flags()],
      { home: ctx.home, env },
    );
    assert.equal(launched.code, 0, launched.stderr);
    assert.doesNotMatch(launched.stderr, /warning/);
  });

  it('sweep run: warns beside its plan too', async () => {
    task('huge', 'cpus: 64, memory: 0.1');
    const sweepFile = writeTask(
      ctx.dir,
      'sweep.yaml',
      `name: wide\ntask: huge.yaml\nobjective: loss\ntrials: 1\nparameters:\n  lr: { type: uniform, low: 0.1, high: 1 }\n`,
    );
    // Without -y and without a terminal: the plan and its warning, then a refusal to guess.
    const planned = await runCli(['sweep', 'run', sweepFile, ...flags()], { home: ctx.home, env });
    assert.equal(planned.code, 2, planned.stderr);
    assert.match(planned.stderr, /plan: sweep wide/);
    assert.match(planned.stderr, /warning: each pod asks for 64 CPU/);
  });

  it('sweep run: a task Kubernetes cannot run is refused before the plan line', async () => {
    writeTask(ctx.dir, 'bare.yaml', 'name: bare\nrun: echo hi\n');
    const sweepFile = writeTask(
      ctx.dir,
      'bare-sweep.yaml',
      `name: bare\ntask: bare.yaml\nobjective: loss\ntrials: 1\nparameters:\n  lr: { type: uniform, low: 0.1, high: 1 }\n`,
    );
    const refused = await runCli(['sweep', 'run', '-y', sweepFile, ...flags()], {
      home: ctx.home,
      env,
    });
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /TASK_INVALID/);
    assert.doesNotMatch(refused.stderr, /plan:/);
  });
});
