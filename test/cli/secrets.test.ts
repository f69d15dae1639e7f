/**
 * `konduktor secret create|list|delete` on the local backend, through the real CLI: an env
 * secret reaches every rank of every job, from a 0600 file, below the task's own `envs`, and its
 * value shows in none of `secret list`, `--dryrun`, `status --json`, `logs` or the CLI's output.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli, tempHome, writeTask } from '../support/cli.js';

const VALUE = 'v4lue-0f-the-s3cret';
const OTHER = 'an0ther-s3cret=with=equals';

describe('konduktor secret (local backend)', () => {
  const ctx = tempHome();
  after(ctx.cleanup);
  const createEnv = (name: string, ...pairs: string[]) =>
    cli('secret', 'create', '--kind', 'env', ...pairs.flatMap((pair) => ['--inline', pair]), name);
  const cli = (...args: string[]) => runCli(args, { home: ctx.home });

  it('creates, lists without values, refuses a duplicate, deletes', async () => {
    const created = await createEnv('tokens', `API_TOKEN=${VALUE}`, `OTHER=${OTHER}`);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stderr, /secret tokens \(env: API_TOKEN, OTHER\) created/);
    const dir = join(ctx.home, 'secrets');
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    for (const file of readdirSync(dir))
      assert.equal(statSync(join(dir, file)).mode & 0o777, 0o600);

    const list = await cli('secret', 'list');
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^NAME\s+KIND\s+KEYS\ntokens\s+env\s+API_TOKEN,OTHER\n$/);
    const json = await cli('secret', 'list', '--json');
    assert.deepEqual(
      (JSON.parse(json.stdout) as { name: string; keys: string[] }[]).map((s) => [s.name, s.keys]),
      [['tokens', ['API_TOKEN', 'OTHER']]],
    );
    for (const r of [created, list, json]) assert.doesNotMatch(r.stdout + r.stderr, /s3cret/);

    const again = await createEnv('tokens', 'API_TOKEN=x');
    assert.equal(again.code, 2, again.stderr);
    assert.match(again.stderr, /secret tokens exists.*konduktor secret delete tokens/);

    // --kind defaults to env, the only kind.
    const plain = await cli('secret', 'create', '--inline', 'Y=2', 'plain');
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stderr, /secret plain \(env: Y\) created/);
    assert.equal((await cli('secret', 'delete', 'plain')).code, 0);

    const temp = await createEnv('temp', 'X=1');
    assert.equal(temp.code, 0, temp.stderr);
    const deleted = await cli('secret', 'delete', 'temp');
    assert.equal(deleted.code, 0, deleted.stderr);
    const missing = await cli('secret', 'delete', 'temp');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no secret temp/);
  });

  it('refuses bad names, kinds and pairs without echoing the value', async () => {
    const cases: [string[], RegExp][] = [
      [['--kind', 'env', '--inline', 'A=1', 'Bad_Name'], /secret name "Bad_Name" is not valid/],
      [['--kind', 'env', '--inline', 'A=1', '-x'], /./],
      [['--kind', 'git-ssh', '--inline', 'A=1', 'ok'], /kind "git-ssh" is not supported: use env/],
      [['--kind', 'env', 'ok'], /at least one --inline KEY=VALUE/],
      [['--kind', 'env', '--inline', `NOEQUALS${VALUE}`, 'ok'], /has no '='/],
      [
        ['--kind', 'env', '--inline', `1BAD=${VALUE}`, 'ok'],
        /"1BAD" is not an environment variable name/,
      ],
      [['--kind', 'env', '--inline', `RANK=${VALUE}`, 'ok'], /RANK is set by konduktor/],
      [['--kind', 'env', '--inline', 'A=1', '--inline', `A=${VALUE}`, 'ok'], /A is given twice/],
    ];
    for (const [args, message] of cases) {
      const r = await cli('secret', 'create', ...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /s3cret/, args.join(' '));
    }
    const list = await cli('secret', 'list', '--json');
    assert.deepEqual(
      (JSON.parse(list.stdout) as { name: string }[]).map((s) => s.name),
      ['tokens'],
    );
  });

  it('reaches every rank of a job, below the task envs, and stays out of what konduktor shows', async () => {
    const task = writeTask(
      ctx.dir,
      'secret-task.yaml',
      [
        'name: secret-job',
        'num_nodes: 2',
        'envs: { OTHER: from-the-task }',
        'run: |',
        '  echo "rank $RANK starts, token digest $(printf %s "$API_TOKEN" | sha256sum | cut -c1-16)"',
        '  if [ "$RANK" = 0 ]; then python3 -c \'import json,os,hashlib; print(json.dumps({"token_digest": hashlib.sha256(os.environ["API_TOKEN"].encode()).hexdigest(), "other": os.environ["OTHER"]}))\' > "$KONDUKTOR_OUTPUT_DIR/result.json"; fi',
        '',
      ].join('\n'),
    );
    const dry = await cli('launch', '--dryrun', task);
    assert.equal(dry.code, 0, dry.stderr);
    const launched = await cli('launch', '--wait', '-y', task);
    assert.equal(launched.code, 0, launched.stderr);
    const sha = createHash('sha256').update(VALUE).digest('hex');
    assert.deepEqual(JSON.parse(launched.stdout), { token_digest: sha, other: 'from-the-task' });
    const job = /secret-job-[0-9a-f]+/.exec(launched.stderr)?.[0] ?? '';
    assert.notEqual(job, '');
    const status = await cli('status', '--json');
    const logs = await cli('logs', job, '--rank', '1');
    assert.match(logs.stdout, new RegExp(`rank 1 starts, token digest ${sha.slice(0, 16)}`));
    for (const r of [dry, status, logs]) assert.doesNotMatch(r.stdout + r.stderr, /s3cret/);
    assert.doesNotMatch(launched.stderr, /s3cret/);
  });

  it('reaches a job launched after the secret changed, not the old value', async () => {
    assert.equal((await cli('secret', 'delete', 'tokens')).code, 0);
    const created = await createEnv('tokens', 'API_TOKEN=second');
    assert.equal(created.code, 0, created.stderr);
    const task = writeTask(
      ctx.dir,
      'secret-task-2.yaml',
      'name: secret-job\nrun: |\n  printf \'{"token": "%s"}\' "$API_TOKEN" > "$KONDUKTOR_OUTPUT_DIR/result.json"\n',
    );
    const launched = await cli('launch', '--wait', '-y', task);
    assert.equal(launched.code, 0, launched.stderr);
    assert.deepEqual(JSON.parse(launched.stdout), { token: 'second' });
  });
});
