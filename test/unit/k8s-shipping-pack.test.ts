/**
 * Packing a task's code for Kubernetes: ignore files at every level (patterns, directories,
 * negations, `.konduktorignore`), `.git` left out, symlinks kept as links, file mounts and their
 * remote paths; the same files pack to the same bytes, a changed file to another hash.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CodeShipping } from '../../src/backends/kubernetes/shipping/index.js';
import { writeSweepFiles } from '../../src/sweep/files.js';
import { parseSweepYaml } from '../../src/sweep/load.js';
import type { TaskSpec } from '../../src/task/types.js';

const spec = (workdir: string | undefined, fileMounts: Record<string, string> = {}): TaskSpec => ({
  name: 'pack',
  run: 'true',
  envs: {},
  numNodes: 1,
  fileMounts,
  resources: { labels: {}, maxRestarts: 0 },
  ...(workdir === undefined ? {} : { workdir }),
});

/**
 * What `prepare` ships for a task without a bucket (the Secret channel): the archive, its hash and
 * file count as the summary gives them, whether a workdir goes. A new {@link CodeShipping} each
 * time, with a home of its own: nothing is reused from an earlier pack.
 */
async function packCode(
  task: TaskSpec,
): Promise<{ archive: Buffer; sha256: string; files: number; workdir: boolean } | undefined> {
  const home = mkdtempSync(join(tmpdir(), 'konduktor-pack-home-'));
  try {
    const plan = await new CodeShipping({ home }).prepare(task);
    if (plan === undefined) return undefined;
    const archive = Buffer.from(plan.data['code.tar.gz'] ?? '', 'base64');
    const sha256 = /sha256 ([0-9a-f]{64})/.exec(plan.summary)?.[1] ?? '';
    assert.equal(createHash('sha256').update(archive).digest('hex'), sha256, plan.summary);
    const files = Number(/gzip tar of (\d+) files?/.exec(plan.summary)?.[1]);
    return { archive, sha256, files, workdir: plan.workdir };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

function listing(archive: Buffer): string[] {
  const tar = spawnSync('tar', ['-tzvf', '-'], { input: archive, encoding: 'utf8' });
  assert.equal(tar.status, 0, tar.stderr);
  return tar.stdout
    .trim()
    .split('\n')
    .map((line) => line.split(/\s+/).slice(5).join(' '));
}

describe('packing the code a task ships', () => {
  const dir = mkdtempSync(join(tmpdir(), 'konduktor-pack-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (path: string, text: string) => {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
  };
  const work = join(dir, 'work');
  write(join(work, 'main.py'), 'print(1)\n');
  write(join(work, '.gitignore'), '*.log\nbuild/\n!keep.log\n/rootonly.txt\n');
  write(join(work, '.konduktorignore'), 'checkpoints\n');
  write(join(work, 'a.log'), 'x');
  write(join(work, 'keep.log'), 'x');
  write(join(work, 'rootonly.txt'), 'x');
  write(join(work, 'build', 'out.o'), 'x');
  write(join(work, 'checkpoints', 'c.pt'), 'x');
  write(join(work, '.git', 'config'), 'x');
  write(join(work, 'pkg', 'rootonly.txt'), 'kept: the pattern is anchored at the root');
  write(join(work, 'pkg', '.gitignore'), 'local.txt\n');
  write(join(work, 'pkg', 'local.txt'), 'x');
  write(join(work, 'pkg', 'b.log'), 'x');
  write(join(work, 'pkg', 'mod.py'), 'y = 2\n');
  symlinkSync('main.py', join(work, 'link.py'));
  write(join(dir, 'mount.txt'), 'mounted');

  it('honours ignore files at every level and leaves .git out', async () => {
    const code = await packCode(spec(work, { '~/m.txt': join(dir, 'mount.txt') }));
    assert.ok(code !== undefined);
    const names = listing(code.archive);
    assert.deepEqual(names, [
      'workdir',
      'workdir/.gitignore',
      'workdir/.konduktorignore',
      'workdir/keep.log',
      'workdir/link.py -> main.py',
      'workdir/main.py',
      'workdir/pkg',
      'workdir/pkg/.gitignore',
      'workdir/pkg/mod.py',
      'workdir/pkg/rootonly.txt',
      'mounts/0',
      'mounts.list',
    ]);
    assert.equal(code.workdir, true);
    assert.equal(code.files, 8);
    const list = spawnSync('tar', ['-xzOf', '-', 'mounts.list'], { input: code.archive });
    assert.equal(list.stdout.toString(), '0\0~/m.txt\0');
  });

  it('packs the same files to the same bytes, and a changed file to another hash', async () => {
    const copy = join(dir, 'copy');
    cpSync(work, copy, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
    const when = new Date('2026-01-01T00:00:00Z');
    for (const root of [work, copy]) {
      for (const file of ['main.py', 'pkg/mod.py', 'keep.log'])
        utimesSync(join(root, file), when, when);
    }
    const a = await packCode(spec(work));
    const b = await packCode(spec(copy));
    assert.ok(a !== undefined && b !== undefined);
    assert.equal(a.sha256, b.sha256);
    write(join(copy, 'pkg', 'mod.py'), 'y = 3\n');
    utimesSync(join(copy, 'pkg', 'mod.py'), when, when);
    const c = await packCode(spec(copy));
    assert.notEqual(c?.sha256, a.sha256);
  });

  it("leaves a sweep's output directory out of the workdir it sits in", async () => {
    const project = join(dir, 'project');
    write(join(project, 'train.py'), 'print(1)\n');
    const sweep = parseSweepYaml(
      'name: lr\ntask: { name: t, run: "true" }\nparameters: { lr: [1, 2] }\nobjective: loss\n',
    );
    writeSweepFiles(join(project, 'sweeps', 'lr'), sweep, [], undefined);
    const code = await packCode(spec(project));
    assert.ok(code !== undefined);
    assert.deepEqual(listing(code.archive), [
      'workdir',
      'workdir/sweeps',
      'workdir/sweeps/lr',
      'workdir/train.py',
      'mounts.list',
    ]);
  });

  it('ships nothing for a task without workdir or mounts; a mount alone ships', async () => {
    assert.equal(await packCode(spec(undefined)), undefined);
    const code = await packCode(spec(undefined, { '/data/x': join(dir, 'mount.txt') }));
    assert.equal(code?.workdir, false);
    assert.deepEqual(listing(code?.archive ?? Buffer.alloc(0)), ['mounts/0', 'mounts.list']);
  });
});
