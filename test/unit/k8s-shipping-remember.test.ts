/**
 * Remembering packed archives across processes (`shipping/remembered.ts`): a new process (here a
 * new `CodeShipping` on the same home, which shares nothing in memory with the first) packs an
 * unchanged workdir not at all; every kind of change makes it pack again and ship the change:
 * an edit of the same size (mtime moved, or put back), a new, a deleted, a renamed file, a changed
 * `.konduktorignore`, a mode change, a file mount's source or remote path, and a file written
 * within the racy window of the scan; files the ignore rules leave out change nothing. And
 * the streaming sink: a large archive is spilled to a private file, never held in memory.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { CodeShipping } from '../../src/backends/kubernetes/shipping/index.js';
import {
  RACY_WINDOW_NS,
  scanCode,
  writeArchive,
} from '../../src/backends/kubernetes/shipping/pack.js';
import { ArchiveSink, discardSpill } from '../../src/backends/kubernetes/shipping/sink.js';
import { parseTaskYaml } from '../../src/task/load.js';
import type { TaskSpec } from '../../src/task/types.js';

const spec = (workdir: string): TaskSpec =>
  parseTaskYaml(`name: remember\nrun: 'true'\nworkdir: ${JSON.stringify(workdir)}\n`);

/** One launch's view, as a new process has it: the plan line, and what it packed. */
async function look(home: string, workdir: string) {
  const shipping = new CodeShipping({ home });
  const preview = await shipping.preview(spec(workdir));
  const summary = preview?.summary ?? '';
  const sha256 = /sha256 ([0-9a-f]{64})/.exec(summary)?.[1] ?? '';
  return {
    summary,
    sha256,
    packed: shipping.stats.packed,
    remembered: /not packed again/.test(summary),
  };
}

const scratch = mkdtempSync(join(tmpdir(), 'konduktor-remember-x-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** The archive a launch would put in the Secret: `tar -tzv` lines and the members' contents. */
async function shipped(home: string, workdir: string) {
  const plan = await new CodeShipping({ home }).prepare(spec(workdir));
  const archive = Buffer.from(plan?.data['code.tar.gz'] ?? '', 'base64');
  // Under the scratch directory, removed after the tests: the members are read after the return.
  const dir = mkdtempSync(join(scratch, 'x-'));
  {
    const tar = spawnSync('tar', ['-xzvvf', '-', '-C', dir], { input: archive, encoding: 'utf8' });
    assert.equal(tar.status, 0, tar.stderr);
    return {
      sha256: createHash('sha256').update(archive).digest('hex'),
      listing: tar.stdout,
      read: (name: string) => readFileSync(join(dir, 'workdir', name), 'utf8'),
      has: (name: string) => existsSync(join(dir, 'workdir', name)),
      mode: (name: string) => statSync(join(dir, 'workdir', name)).mode & 0o777,
    };
  }
}

describe('remembering packed archives across processes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'konduktor-remember-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const home = join(dir, 'home');
  const hour = Date.now() / 1000 - 3600;
  /** A workdir of its own per kind of change, written long enough ago to be settled. */
  const workdirs = new Map<string, string>();
  const make = (name: string): string => {
    const root = join(dir, name);
    mkdirSync(join(root, 'pkg'), { recursive: true });
    writeFileSync(join(root, 'train.py'), 'lr = 0.1\n');
    writeFileSync(join(root, 'pkg', 'model.py'), 'layers = 4\n');
    writeFileSync(join(root, '.konduktorignore'), 'outputs/\n');
    writeFileSync(join(root, 'notes.txt'), 'kept\n');
    for (const file of ['train.py', 'pkg/model.py', '.konduktorignore', 'notes.txt'])
      utimesSync(join(root, file), hour, hour);
    workdirs.set(name, root);
    return root;
  };
  const kinds = [
    'same',
    'edit-bumped',
    'edit-reset',
    'new',
    'deleted',
    'renamed',
    'ignore',
    'mode',
    'outputs',
    'mounts',
  ];
  before(async () => {
    for (const kind of kinds) make(kind);
    // A file's change time cannot be set: wait until the writes are out of the racy window.
    await sleep(Number(RACY_WINDOW_NS / 1_000_000n) + 300);
  });
  const at = (kind: string): string => workdirs.get(kind) ?? '';

  /** Packs in a first process, then checks a second one remembers it: the starting point. */
  async function remembered(kind: string) {
    const first = await look(home, at(kind));
    assert.equal(first.packed, 1);
    assert.equal(first.remembered, false);
    const second = await look(home, at(kind));
    assert.equal(second.packed, 0, 'a new process did not pack unchanged files');
    assert.equal(second.remembered, true, second.summary);
    assert.equal(second.sha256, first.sha256);
    return first;
  }

  /** After a change: the next process packs, and its hash is another. */
  async function packsAgain(kind: string, before: { sha256: string }) {
    const next = await look(home, at(kind));
    assert.equal(next.packed, 1, `packed again after the change (${kind})`);
    assert.equal(next.remembered, false, next.summary);
    assert.notEqual(next.sha256, before.sha256);
    const archive = await shipped(home, at(kind));
    assert.equal(archive.sha256, next.sha256, 'the Secret carries the archive the plan named');
    return archive;
  }

  it('unchanged files are not packed again, and the hash is the same', async () => {
    const first = await remembered('same');
    const third = await look(home, at('same'));
    assert.equal(third.packed, 0);
    assert.equal(third.sha256, first.sha256);
    assert.equal((await shipped(home, at('same'))).sha256, first.sha256);
  });

  it('an edit of the same size with the mtime moved is packed again', async () => {
    const first = await remembered('edit-bumped');
    writeFileSync(join(at('edit-bumped'), 'train.py'), 'lr = 0.2\n');
    utimesSync(join(at('edit-bumped'), 'train.py'), hour + 1, hour + 1);
    assert.equal((await packsAgain('edit-bumped', first)).read('train.py'), 'lr = 0.2\n');
  });

  it('an edit of the same size with the mtime put back is packed again (ctime)', async () => {
    const first = await remembered('edit-reset');
    writeFileSync(join(at('edit-reset'), 'pkg', 'model.py'), 'layers = 8\n');
    utimesSync(join(at('edit-reset'), 'pkg', 'model.py'), hour, hour);
    assert.equal((await packsAgain('edit-reset', first)).read('pkg/model.py'), 'layers = 8\n');
  });

  it('a new file is packed', async () => {
    const first = await remembered('new');
    writeFileSync(join(at('new'), 'pkg', 'extra.py'), 'x = 1\n');
    assert.equal((await packsAgain('new', first)).read('pkg/extra.py'), 'x = 1\n');
  });

  it('a deleted file is gone from the next archive', async () => {
    const first = await remembered('deleted');
    unlinkSync(join(at('deleted'), 'notes.txt'));
    assert.equal((await packsAgain('deleted', first)).has('notes.txt'), false);
  });

  it('a renamed file is packed under its new name', async () => {
    const first = await remembered('renamed');
    renameSync(join(at('renamed'), 'notes.txt'), join(at('renamed'), 'notez.txt'));
    const archive = await packsAgain('renamed', first);
    assert.equal(archive.has('notes.txt'), false);
    assert.equal(archive.read('notez.txt'), 'kept\n');
  });

  it('a changed .konduktorignore applies at once', async () => {
    const first = await remembered('ignore');
    // Same size as 'outputs/\n': only the rules differ.
    writeFileSync(join(at('ignore'), '.konduktorignore'), 'notes.*\n\n');
    utimesSync(join(at('ignore'), '.konduktorignore'), hour, hour);
    const archive = await packsAgain('ignore', first);
    assert.equal(archive.has('notes.txt'), false);
    assert.equal(archive.read('train.py'), 'lr = 0.1\n');
  });

  it('a mode change is packed', async () => {
    const first = await remembered('mode');
    chmodSync(join(at('mode'), 'train.py'), 0o755);
    assert.equal((await packsAgain('mode', first)).mode('train.py'), 0o755);
  });

  it('files written where the ignore rules leave them out change nothing: still remembered', async () => {
    const first = await remembered('outputs');
    // A new ignored directory changes the workdir directory's times, which the archive never holds.
    mkdirSync(join(at('outputs'), 'outputs'));
    writeFileSync(join(at('outputs'), 'outputs', 'ckpt.pt'), randomBytes(64));
    const next = await look(home, at('outputs'));
    assert.equal(next.packed, 0, next.summary);
    assert.equal(next.sha256, first.sha256);
  });

  it('a file mount: a changed source (same size) or another remote path is packed again', async () => {
    const source = join(dir, 'mount-source.txt');
    writeFileSync(source, 'v1\n');
    utimesSync(source, hour, hour);
    const withMount = (remote: string): TaskSpec => ({
      ...spec(at('mounts')),
      fileMounts: { [remote]: source },
    });
    const view = async (task: TaskSpec) => {
      const shipping = new CodeShipping({ home });
      const summary = (await shipping.preview(task))?.summary ?? '';
      return { packed: shipping.stats.packed, sha256: /sha256 ([0-9a-f]{64})/.exec(summary)?.[1] };
    };
    await sleep(Number(RACY_WINDOW_NS / 1_000_000n) + 300);
    const first = await view(withMount('~/data.txt'));
    assert.equal(first.packed, 1);
    assert.equal((await view(withMount('~/data.txt'))).packed, 0, 'remembered');
    const moved = await view(withMount('/opt/data.txt'));
    assert.equal(moved.packed, 1, 'another remote path');
    assert.notEqual(moved.sha256, first.sha256);
    writeFileSync(source, 'v2\n');
    utimesSync(source, hour, hour);
    const edited = await view(withMount('~/data.txt'));
    assert.equal(edited.packed, 1, 'a changed source');
    assert.notEqual(edited.sha256, first.sha256);
  });

  it('a file written within the racy window is not remembered, so a same-size rewrite ships', async () => {
    const root = make('racy');
    // Written just now (its ctime is now, whatever its mtime says): the scan is not settled.
    writeFileSync(join(root, 'train.py'), 'lr = 0.3\n');
    const first = await look(home, root);
    assert.equal(first.packed, 1);
    const second = await look(home, root);
    assert.equal(second.packed, 1, 'a racy scan is never remembered');
    assert.equal(second.remembered, false);
    // Within the same second: same size, and the mtime put back to what the scans saw.
    const mtime = statSync(join(root, 'train.py')).mtime;
    writeFileSync(join(root, 'train.py'), 'lr = 0.4\n');
    utimesSync(join(root, 'train.py'), mtime, mtime);
    assert.equal((await shipped(home, root)).read('train.py'), 'lr = 0.4\n');
  });

  it('judges the racy window from the scan time: mtime or ctime within 2 s, or in the future', () => {
    const root = make('window');
    const ctime = statSync(join(root, 'train.py'), { bigint: true }).ctimeNs;
    assert.equal(scanCode(spec(root), ctime + RACY_WINDOW_NS / 2n)?.settled, false);
    assert.equal(scanCode(spec(root), ctime + RACY_WINDOW_NS + 1_000_000n)?.settled, true);
    const future = Date.now() / 1000 + 3600;
    utimesSync(join(root, 'notes.txt'), future, future);
    const later = BigInt(Date.now() + 10_000) * 1_000_000n;
    assert.equal(scanCode(spec(root), later)?.settled, false, 'an mtime in the future');
  });

  it('keeps the memory private and survives a damaged file', async () => {
    const code = join(home, 'kubernetes', 'code');
    assert.equal(statSync(code).mode & 0o777, 0o700);
    const file = join(code, 'fingerprints.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    writeFileSync(file, '{"entries": {"x": 1}, ');
    const after = await look(home, at('same'));
    assert.equal(after.packed, 1, 'a damaged memory is ignored: packed');
    assert.equal((await look(home, at('same'))).packed, 0, 'and rewritten');
  });
});

describe('the archive sink', () => {
  const dir = mkdtempSync(join(tmpdir(), 'konduktor-sink-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const work = join(dir, 'work');
  mkdirSync(work);
  // Larger than a file read whole (1 MiB): streamed into the tar.
  const big = randomBytes(3 * 1024 * 1024 + 17);
  writeFileSync(join(work, 'weights.bin'), big);
  writeFileSync(join(work, 'train.py'), 'print(1)\n');

  it('spills a large archive to a private file, with the hash of its bytes', async () => {
    const scan = scanCode(spec(work));
    assert.ok(scan !== undefined);
    const spill = join(dir, 'spill');
    mkdirSync(spill, { mode: 0o700 });
    const sink = new ArchiveSink({ keepInMemory: 64 * 1024, spillDir: spill });
    const counts = await writeArchive(scan, sink);
    const result = sink.result();
    assert.equal(result.archive, undefined, 'not kept in memory');
    assert.ok(result.path !== undefined);
    assert.equal(statSync(result.path).mode & 0o777, 0o600);
    const bytes = readFileSync(result.path);
    assert.equal(bytes.length, result.size);
    assert.equal(createHash('sha256').update(bytes).digest('hex'), result.sha256);
    assert.deepEqual(counts, { files: 2, bytes: big.length + 9 });
    const out = spawnSync('tar', ['-xzOf', result.path, 'workdir/weights.bin'], {
      maxBuffer: 16 * 1024 * 1024,
    });
    assert.equal(out.status, 0);
    assert.ok(out.stdout.equals(big), 'the streamed file arrives whole');
    // Without a spill directory: the same hash and size, no bytes.
    const measured = new ArchiveSink({ keepInMemory: 64 * 1024 });
    await writeArchive(scan, measured);
    assert.equal(measured.result().sha256, result.sha256);
    assert.equal(measured.result().path, undefined);
    discardSpill(result.path);
    assert.equal(existsSync(result.path), false);
  });
});
