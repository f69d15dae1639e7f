/**
 * `workdir` and local `file_mounts` shipped to the pods through the job's own Secret, on the
 * real cluster, through the CLI: a 2-node task runs `python3 train.py` (importing a second module
 * of the workdir) with its file mounts in place on every node, ignore files honoured; editing the
 * module and launching again runs the new code; the Secret is owned by the JobSet and goes with
 * it; an archive too large for a Secret without a bucket is refused with what to do.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../support/cli.js';
import {
  type Cluster,
  getJobSet,
  kubeconfigPath,
  waitFor,
  withNamespace,
  WORKLOAD_IMAGE,
} from './cluster.js';

const TRAIN = `import json, os, sys
from helper import message
home = os.path.expanduser("~")
def read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError as e:
        return "missing: " + type(e).__name__
result = {
    "message": message(),
    "cwd": os.getcwd() == os.path.join(home, "konduktor_workdir"),
    "argv0": sys.argv[0],
    "config": read(os.path.join(home, "inputs", "config.json")),
    "assets": sorted(os.listdir("/opt/assets")) if os.path.isdir("/opt/assets") else None,
    "nested": read("/opt/assets/sub/deep.txt"),
    "relative": read("extra/notes.txt"),
    "ignored": [p for p in ("ignored.txt", "data/big.bin", "secret.key", "sub/skip.log", ".git/HEAD") if os.path.exists(p)],
    "kept": read("sub/keep.txt"),
    "setup_saw": read(os.path.join(home, "setup-saw.txt")),
}
print(f"rank {os.environ['RANK']} says {result['message']}", flush=True)
if os.environ["RANK"] == "0":
    with open(os.path.join(os.environ["KONDUKTOR_OUTPUT_DIR"], "result.json"), "w") as f:
        json.dump(result, f)
`;

describe('shipping workdir and file_mounts through a Secret', () => {
  const dir = mkdtempSync(join(tmpdir(), 'konduktor-k8s-ship-'));
  const home = join(dir, 'home');
  after(() => rmSync(dir, { recursive: true, force: true }));
  let cluster: Cluster | undefined;
  let namespace = '';
  withNamespace('kcode', home, (context) => {
    ({ cluster, namespace } = context);
  });
  const cli = (...args: string[]) =>
    runCli([...args, '--backend', 'kubernetes', '--namespace', namespace], {
      home,
      env: { KUBECONFIG: kubeconfigPath() },
      timeoutMs: 300_000,
    });

  const project = join(dir, 'project');
  const write = (path: string, text: string | Buffer) => {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
  };
  write(join(project, 'train.py'), TRAIN);
  write(join(project, 'helper.py'), 'def message():\n    return "first version"\n');
  write(join(project, '.gitignore'), 'ignored.txt\ndata/\n');
  write(join(project, '.konduktorignore'), 'secret.key\n');
  write(join(project, 'ignored.txt'), 'no');
  write(join(project, 'data', 'big.bin'), 'no');
  write(join(project, 'secret.key'), 'no');
  write(join(project, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  write(join(project, 'sub', '.gitignore'), '*.log\n');
  write(join(project, 'sub', 'skip.log'), 'no');
  write(join(project, 'sub', 'keep.txt'), 'kept');
  write(join(dir, 'inputs', 'config.json'), '{"lr": 0.5}');
  write(join(dir, 'assets', 'a.txt'), 'a');
  write(join(dir, 'assets', 'sub', 'deep.txt'), 'deep');
  write(join(dir, 'notes.txt'), 'relative mount');
  const task = join(dir, 'task.yaml');
  writeFileSync(
    task,
    [
      'name: kship',
      'num_nodes: 2',
      'workdir: ./project',
      'file_mounts:',
      '  ~/inputs/config.json: ./inputs/config.json',
      '  /opt/assets: ./assets',
      '  extra/notes.txt: ./notes.txt',
      `resources: { cpus: 0.1, memory: 0.2, image_id: ${WORKLOAD_IMAGE} }`,
      'setup: test -f helper.py && echo yes > ~/setup-saw.txt',
      'run: python3 train.py',
      '',
    ].join('\n'),
  );

  let firstJob = '';

  it('runs train.py and its module on both nodes, mounts in place, ignores honoured', async () => {
    const launched = await cli('launch', '--wait', '-y', '--timeout', '240s', task);
    assert.equal(launched.code, 0, launched.stderr);
    assert.match(
      launched.stderr,
      /code: [\d.]+ KiB gzip tar of 10 files .*sha256 [0-9a-f]{64}, in the job's Secret/,
    );
    assert.deepEqual(JSON.parse(launched.stdout), {
      message: 'first version',
      cwd: true,
      argv0: 'train.py',
      config: '{"lr": 0.5}',
      assets: ['a.txt', 'sub'],
      nested: 'deep',
      relative: 'relative mount',
      ignored: [],
      kept: 'kept',
      setup_saw: 'yes',
    });
    firstJob = /kship-[0-9a-f]+/.exec(launched.stderr)?.[0] ?? '';
    const rank1 = await cli('logs', firstJob, '--rank', '1');
    assert.match(rank1.stdout, /rank 1 says first version/, rank1.stderr);
  });

  it('keeps the code in a Secret owned by the JobSet, which goes with the job', async () => {
    const c = cluster!;
    const js = await getJobSet<{ metadata: { uid: string; annotations: Record<string, string> } }>(
      c,
      namespace,
      firstJob,
    );
    assert.match(js.metadata.annotations['konduktor.dev/code'] ?? '', /in the job's Secret/);
    const secret = await c.core.readNamespacedSecret({ namespace, name: `${firstJob}-code` });
    assert.deepEqual(
      secret.metadata?.ownerReferences?.map((o) => [o.kind, o.name, o.uid]),
      [['JobSet', firstJob, js.metadata.uid]],
    );
    assert.deepEqual(Object.keys(secret.data ?? {}), ['code.tar.gz']);
    const down = await cli('down', firstJob, '-y');
    assert.equal(down.code, 0, down.stderr);
    await waitFor('the code Secret to be collected with its JobSet', async () => {
      const left = await c.core.listNamespacedSecret({
        namespace,
        labelSelector: `konduktor.dev/job=${firstJob}`,
      });
      return left.items.length === 0 ? true : undefined;
    });
  });

  it('runs the edited module on the next launch', async () => {
    write(join(project, 'helper.py'), 'def message():\n    return "second version"\n');
    const launched = await cli('launch', '--wait', '-y', '--timeout', '240s', task);
    assert.equal(launched.code, 0, launched.stderr);
    assert.equal((JSON.parse(launched.stdout) as { message: string }).message, 'second version');
  });

  it('shows the code in --dryrun as an annotation, never the archive', async () => {
    const dry = await cli('launch', '--dryrun', task);
    assert.equal(dry.code, 0, dry.stderr);
    const js = JSON.parse(dry.stdout) as {
      metadata: { annotations: Record<string, string> };
      spec: {
        replicatedJobs: { template: { spec: { template: { spec: { volumes: unknown[] } } } } }[];
      };
    };
    assert.match(js.metadata.annotations['konduktor.dev/code'] ?? '', /gzip tar of 10 files/);
    const pod = js.spec.replicatedJobs[0]?.template.spec.template.spec;
    assert.deepEqual(pod?.volumes[1], {
      name: 'konduktor-code',
      secret: {
        secretName: /"secretName": "(kship-[0-9a-f]+-code)"/.exec(dry.stdout)?.[1],
        defaultMode: 0o440,
      },
    });
    assert.ok(dry.stdout.length < 40_000, 'the archive is not in the dry run');
  });

  it('refuses a workdir too large for a Secret when no bucket is configured', async () => {
    const big = join(dir, 'big');
    write(join(big, 'run.sh'), 'echo hi\n');
    write(join(big, 'weights.bin'), randomBytes(1536 * 1024));
    const bigTask = join(dir, 'big.yaml');
    writeFileSync(
      bigTask,
      `name: kbig\nworkdir: ./big\nresources: { cpus: 0.1, memory: 0.1, image_id: ${WORKLOAD_IMAGE} }\nrun: bash run.sh\n`,
    );
    const launched = await cli('launch', '--wait', '-y', bigTask);
    assert.equal(launched.code, 2, launched.stderr);
    assert.match(
      launched.stderr,
      /workdir.*packs to 1\.5 MiB \(gzip\), over the 960 KiB a Kubernetes Secret can carry: set kubernetes\.storage/,
    );
    const list = await cluster!.core.listNamespacedSecret({ namespace });
    assert.ok(!list.items.some((s) => s.metadata?.name?.startsWith('kbig')));
  });
});
