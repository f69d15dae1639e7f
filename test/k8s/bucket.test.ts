/**
 * The bucket channel of code shipping against the test cluster's real S3 server (SeaweedFS,
 * `scripts/cluster/object-store.sh`), through the CLI with the `konduktor.yaml` it writes: a
 * 20 MiB workdir goes through the bucket (the job's Secret holds only a presigned URL for the
 * pods' endpoint) and arrives whole; launching it again from a new process neither packs (the
 * archive's hash is remembered in the home) nor uploads; a changed file is packed and uploaded
 * again; a sweep of 10 trials
 * uploads its archive once (the bucket is versioned, so every PUT would leave a version).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import {
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { fromIni } from '@aws-sdk/credential-providers';
import { runCli } from '../support/cli.js';
import { kubeconfigPath, withNamespace, WORKLOAD_IMAGE, type Cluster } from './cluster.js';

// The SDK warns on Node 20 about its later releases; konduktor pins one that supports Node 20.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';
const CLUSTER_DIR = join(homedir(), '.cache', 'konduktor', 'cluster');
const STORE_CONFIG = join(CLUSTER_DIR, 'konduktor.yaml');
const MIB = 1024 * 1024;

const CHECK = `import hashlib, json, os
with open("data/weights.bin", "rb") as f:
    data = f.read()
out = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "trial": os.environ.get("X", "-")}
with open(os.path.join(os.environ["KONDUKTOR_OUTPUT_DIR"], "result.json"), "w") as f:
    json.dump(out, f)
`;

describe('shipping a large workdir through the bucket', () => {
  if (!existsSync(STORE_CONFIG)) {
    throw new Error(
      `no ${STORE_CONFIG}: the object store is not up; start it with scripts/cluster/object-store.sh up (up.sh does)`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'konduktor-k8s-bucket-'));
  const home = join(dir, 'home');
  after(() => rmSync(dir, { recursive: true, force: true }));
  const prefix = `test-${randomBytes(4).toString('hex')}`;
  const config = readFileSync(STORE_CONFIG, 'utf8').replace(
    /url: s3:\/\/([a-z0-9.-]+)\/\S*/,
    `url: s3://$1/${prefix}`,
  );
  const bucket = /url: s3:\/\/([a-z0-9.-]+)\//.exec(config)?.[1] ?? '';
  const endpoint = /^\s+endpoint: (\S+)$/m.exec(config)?.[1] ?? '';
  const credentials = /credentials_file: (\S+)/.exec(config)?.[1] ?? '';
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, 'config.yaml'), config);
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: fromIni({ profile: 'konduktor-test-cluster', filepath: credentials }),
  });
  after(() => s3.destroy());
  const versions = async (): Promise<string[]> => {
    const list = await s3.send(
      new ListObjectVersionsCommand({ Bucket: bucket, Prefix: `${prefix}/code/` }),
    );
    return (list.Versions ?? []).map((v) => v.Key ?? '');
  };
  before(async () => {
    // Every PUT of a key then leaves a version: the count of versions is the count of uploads.
    await s3.send(
      new PutBucketVersioningCommand({
        Bucket: bucket,
        VersioningConfiguration: { Status: 'Enabled' },
      }),
    );
  });

  let cluster: Cluster | undefined;
  let namespace = '';
  withNamespace('kbucket', home, (context) => {
    ({ cluster, namespace } = context);
  });
  const cli = (...args: string[]) =>
    runCli([...args, '--namespace', namespace], {
      home,
      env: { KUBECONFIG: kubeconfigPath(), KONDUKTOR_BACKEND: 'kubernetes' },
      timeoutMs: 480_000,
    });

  const project = join(dir, 'project');
  mkdirSync(join(project, 'data'), { recursive: true });
  writeFileSync(join(project, 'check.py'), CHECK);
  const weights = randomBytes(20 * MIB);
  writeFileSync(join(project, 'data', 'weights.bin'), weights);
  const sha = createHash('sha256').update(weights).digest('hex');
  // Files written within the racy window of a scan are never remembered (shipping/pack.ts).
  const settledAt = Date.now() + 2500;
  const resources = `resources: { cpus: 0.1, memory: 0.25, image_id: ${WORKLOAD_IMAGE} }`;
  const task = join(dir, 'task.yaml');
  writeFileSync(task, `name: kbig\nworkdir: ./project\n${resources}\nrun: python3 check.py\n`);

  it('sends a 20 MiB workdir through the bucket; the pod fetches it whole', async () => {
    await sleep(Math.max(0, settledAt - Date.now()));
    const launched = await cli('launch', '--wait', '-y', '--timeout', '400s', task);
    assert.equal(launched.code, 0, launched.stderr);
    assert.match(
      launched.stderr,
      new RegExp(
        `code: 20\\.0 MiB gzip tar of 2 files .* through s3://${bucket}/${prefix}/code/[0-9a-f]{64}\\.tar\\.gz`,
      ),
    );
    assert.deepEqual(JSON.parse(launched.stdout), { size: 20 * MIB, sha256: sha, trial: '-' });
    const job = /kbig-[0-9a-f]+/.exec(launched.stderr)?.[0] ?? '';
    const secret = await cluster!.core.readNamespacedSecret({ namespace, name: `${job}-code` });
    assert.deepEqual(Object.keys(secret.data ?? {}), ['code.url']);
    const url = Buffer.from(secret.data?.['code.url'] ?? '', 'base64').toString();
    const podEndpoint = /pod_endpoint: (\S+)/.exec(config)?.[1] ?? '';
    assert.ok(url.startsWith(`${podEndpoint}/${bucket}/${prefix}/code/`), url);
    assert.match(url, /X-Amz-Signature=/);
    assert.equal((await versions()).length, 1);
  });

  it('neither packs nor uploads when the same workdir is launched again from a new process', async () => {
    const again = await cli('launch', '--wait', '-y', '--timeout', '400s', task);
    assert.equal(again.code, 0, again.stderr);
    // The new CLI process recalled the archive's hash from the home: the files are unchanged.
    assert.match(
      again.stderr,
      /^code: .* \(files unchanged since an earlier pack: not packed again\)$/m,
    );
    assert.deepEqual(JSON.parse(again.stdout), { size: 20 * MIB, sha256: sha, trial: '-' });
    assert.equal((await versions()).length, 1);
  });

  it('packs and uploads again after a file changed (same size), and the pod gets the change', async () => {
    const changed = randomBytes(20 * MIB);
    writeFileSync(join(project, 'data', 'weights.bin'), changed);
    const launched = await cli('launch', '--wait', '-y', '--timeout', '400s', task);
    assert.equal(launched.code, 0, launched.stderr);
    assert.doesNotMatch(launched.stderr, /not packed again/);
    const want = createHash('sha256').update(changed).digest('hex');
    assert.deepEqual(JSON.parse(launched.stdout), { size: 20 * MIB, sha256: want, trial: '-' });
    assert.equal((await versions()).length, 2);
    // The spill file of the upload is gone with the process.
    const spills = readdirSync(join(home, 'kubernetes', 'code')).filter((n) =>
      n.endsWith('.tar.gz'),
    );
    assert.deepEqual(spills, []);
  });

  it('fetches s3:// file mounts in the pod: an object and every object under a prefix', async () => {
    const put = (key: string, body: string) =>
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/${key}`, Body: body }));
    await put('inputs/config.json', '{"lr": 0.25}');
    await put('inputs/set/a.txt', 'a');
    await put('inputs/set/nested/b.txt', 'b');
    const objectTask = join(dir, 'objects.yaml');
    writeFileSync(
      objectTask,
      [
        'name: kobjects',
        'file_mounts:',
        `  ~/cfg.json: s3://${bucket}/${prefix}/inputs/config.json`,
        `  /opt/set: s3://${bucket}/${prefix}/inputs/set`,
        `  rel/set: s3://${bucket}/${prefix}/inputs/set`,
        resources,
        'run: |',
        '  python3 -c \'import json, os; h = os.path.expanduser("~"); r = lambda p: open(p).read(); print(json.dumps({"cfg": r(h + "/cfg.json"), "a": r("/opt/set/a.txt"), "b": r("/opt/set/nested/b.txt"), "rel": r("rel/set/nested/b.txt")}))\' > "$KONDUKTOR_OUTPUT_DIR/result.json"',
        '',
      ].join('\n'),
    );
    const launched = await cli('launch', '--wait', '-y', '--timeout', '300s', objectTask);
    assert.equal(launched.code, 0, launched.stderr);
    assert.match(launched.stderr, /code: 3 s3:\/\/ mounts fetched in the pod/);
    assert.deepEqual(JSON.parse(launched.stdout), {
      cfg: '{"lr": 0.25}',
      a: 'a',
      b: 'b',
      rel: 'b',
    });
    const missing = join(dir, 'missing.yaml');
    writeFileSync(
      missing,
      `name: kmissing\nfile_mounts:\n  /x: s3://${bucket}/${prefix}/nothing-here\n${resources}\nrun: ls /x\n`,
    );
    const refused = await cli('launch', '--wait', '-y', missing);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /nothing-here is neither an object nor a prefix holding objects/);
  });

  it('uploads the workdir of a 10-trial sweep once', async () => {
    // Other content, so the sweep's archive is a new key.
    writeFileSync(join(project, 'sweep.txt'), 'the sweep');
    const sweep = join(dir, 'sweep.yaml');
    writeFileSync(
      sweep,
      [
        'name: kbucket-sweep',
        'task:',
        '  name: kbig',
        '  workdir: ./project',
        `  ${resources}`,
        '  run: python3 check.py',
        'parameters:',
        '  x: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]',
        'objective: size',
        'sampler: grid',
        'parallelism: 5',
        `output_dir: ${join(dir, 'sweep-out')}`,
        '',
      ].join('\n'),
    );
    const before = await versions();
    const run = await cli('sweep', 'run', sweep, '-y', '--json');
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout) as {
      trials?: unknown[];
      summary?: { succeeded?: number };
    };
    assert.ok(JSON.stringify(summary).includes(String(20 * MIB)), run.stdout.slice(0, 500));
    const added = (await versions()).filter((key) => !before.includes(key));
    assert.equal(added.length, 1, `versions added by the sweep: ${added.join(', ')}`);
  });
});
