/**
 * Packing a task's code for the cluster: the `workdir` (less what its `.gitignore` and
 * `.konduktorignore` files exclude, and `.git`) and every local `file_mounts` source (not the
 * `s3://` ones, which the pods fetch), in one
 * gzipped tar:
 *
 * - `workdir/…`: the workdir's files;
 * - `mounts/<i>`: the i-th file mount's source (a file, or a directory tree);
 * - `mounts.list`: NUL-separated records `<i>\0<remote path>\0`, read by the pod's unpack script.
 *
 * Entries are sorted and carry only names, modes, sizes and files' mtimes (no owner), so the same
 * files pack to the same bytes and the same SHA-256: the bucket channel uploads once per hash.
 * @module
 */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import ignore, { type Ignore } from 'ignore';
import { pack as tarPack, type Header } from 'tar-stream';

type Headers = Partial<Header> & Pick<Header, 'name'>;
import { isS3Url, type TaskSpec } from '../../../task/types.js';

/** The ignore files honoured in the workdir, at every level, as git reads `.gitignore`. */
export const IGNORE_FILES = ['.gitignore', '.konduktorignore'] as const;

/** One thing to put in the archive. */
interface Entry {
  /** The name in the archive. */
  readonly name: string;
  /** Where it is on this machine. */
  readonly path: string;
  readonly stats: Stats;
}

/** A packed task: the archive and what it holds. */
export interface PackedCode {
  /** The gzipped tar. */
  readonly archive: Buffer;
  /** SHA-256 of {@link PackedCode.archive}, hex. */
  readonly sha256: string;
  /** Regular files in it. */
  readonly files: number;
  /** Their total size before compression, in bytes. */
  readonly bytes: number;
  /** Whether a workdir is in it (the pod then runs in `~/konduktor_workdir`). */
  readonly workdir: boolean;
  /** How many file mounts are in it. */
  readonly mounts: number;
}

/** The ignore rules of one directory, checked against paths relative to it. */
interface Rules {
  readonly base: string;
  readonly rules: Ignore;
}

function readRules(dir: string, base: string): Rules | undefined {
  let text = '';
  for (const file of IGNORE_FILES) {
    try {
      text += `${readFileSync(join(dir, file), 'utf8')}\n`;
    } catch {
      // Absent (or unreadable): no rules from this file.
    }
  }
  return text.trim() === '' ? undefined : { base, rules: ignore().add(text) };
}

function ignored(chain: readonly Rules[], relative: string, isDir: boolean): boolean {
  for (const { base, rules } of chain) {
    const below = base === '' ? relative : relative.slice(base.length + 1);
    if (rules.ignores(isDir ? `${below}/` : below)) return true;
  }
  return false;
}

/**
 * The entries of a directory tree under `prefix`, sorted, depth first. With `honourIgnores`, the
 * ignore files of every level apply below it and `.git` is left out.
 */
function walk(root: string, prefix: string, honourIgnores: boolean): Entry[] {
  const entries: Entry[] = [];
  const visit = (relative: string, chain: readonly Rules[]): void => {
    const dir = relative === '' ? root : join(root, relative);
    const own = honourIgnores ? readRules(dir, relative) : undefined;
    const rules = own === undefined ? chain : [...chain, own];
    for (const name of readdirSync(dir).sort()) {
      const child = relative === '' ? name : `${relative}/${name}`;
      const path = join(root, child);
      const stats = lstatSync(path);
      if (honourIgnores && name === '.git') continue;
      if (honourIgnores && ignored(rules, child, stats.isDirectory())) continue;
      if (!stats.isDirectory() && !stats.isFile() && !stats.isSymbolicLink()) continue;
      entries.push({ name: `${prefix}/${child}`, path, stats });
      if (stats.isDirectory()) visit(child, rules);
    }
  };
  visit('', []);
  return entries;
}

/** The file mounts whose source is on this machine (`s3://` ones are fetched by the pod). */
export function localMounts(spec: TaskSpec): [remote: string, source: string][] {
  return Object.entries(spec.fileMounts).filter(([, source]) => !isS3Url(source));
}

/** Everything a task ships, in archive order (the mounts list is added by {@link packEntries}). */
function taskEntries(spec: TaskSpec): Entry[] {
  const entries: Entry[] = [];
  if (spec.workdir !== undefined) {
    entries.push({ name: 'workdir', path: spec.workdir, stats: lstatSync(spec.workdir) });
    entries.push(...walk(spec.workdir, 'workdir', true));
  }
  localMounts(spec).forEach(([, source], i) => {
    // A mount's source is followed when it is a link, as the local backend's link would be.
    const stats = statSync(source);
    entries.push({ name: `mounts/${i}`, path: source, stats });
    if (stats.isDirectory()) entries.push(...walk(source, `mounts/${i}`, false));
  });
  return entries;
}

/**
 * A fingerprint of what a task would ship (names, inodes, sizes, modes, times, mount targets): equal
 * fingerprints pack to equal archives, so a sweep packs its workdir once.
 */
function fingerprint(spec: TaskSpec, entries: readonly Entry[]): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify([spec.workdir ?? null, localMounts(spec)]));
  for (const { name, stats } of entries) {
    // ctime too: a write always moves it, even one that keeps the size and resets the mtime.
    hash.update(
      `${name}\0${stats.ino}\0${stats.mode}\0${stats.size}\0${stats.mtimeMs}\0${stats.ctimeMs}\0`,
    );
  }
  return hash.digest('hex');
}

function header(entry: Entry): Headers {
  const { stats } = entry;
  const base = {
    name: entry.name,
    mode: stats.mode & 0o7777,
    // Only a file's mtime is kept (Python compares it with its bytecode caches); a directory's or
    // a link's moves whenever an entry is added, which would change the hash of the same files.
    mtime: stats.isFile() ? new Date(Math.floor(stats.mtimeMs / 1000) * 1000) : new Date(0),
  };
  if (stats.isDirectory()) return { ...base, type: 'directory' };
  if (stats.isSymbolicLink())
    return { ...base, type: 'symlink', linkname: readlinkSync(entry.path) };
  return { ...base, type: 'file', size: stats.size };
}

/** The gzipped tar of the entries and the mounts list. */
async function packEntries(
  spec: TaskSpec,
  entries: readonly Entry[],
): Promise<Omit<PackedCode, 'workdir' | 'mounts'>> {
  const tar = tarPack();
  const gzip = createGzip({ level: 6 });
  const chunks: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    gzip.on('end', resolve);
    gzip.on('error', reject);
    tar.on('error', reject);
  });
  tar.pipe(gzip);
  let files = 0;
  let bytes = 0;
  const add = (head: Headers, body?: Buffer): Promise<void> =>
    new Promise((resolve, reject) => {
      const callback = (err?: Error | null): void => {
        if (err == null) resolve();
        else reject(err);
      };
      if (body === undefined) tar.entry(head, callback);
      else tar.entry(head, body, callback);
    });
  for (const entry of entries) {
    const head = header(entry);
    if (head.type === 'file') {
      // Read as packed: a file that changed size meanwhile is packed as it is now.
      const body = readFileSync(entry.path);
      await add({ ...head, size: body.length }, body);
      files += 1;
      bytes += body.length;
    } else {
      await add(head);
    }
  }
  const list = localMounts(spec)
    .map(([remote], i) => `${i}\0${remote}\0`)
    .join('');
  await add(
    { name: 'mounts.list', mode: 0o644, mtime: new Date(0), type: 'file' },
    Buffer.from(list),
  );
  tar.finalize();
  await done;
  const archive = Buffer.concat(chunks);
  const sha256 = createHash('sha256').update(archive).digest('hex');
  return { archive, sha256, files, bytes };
}

/** Packs kept for reuse, by fingerprint: the plan and the submit, the trials of a sweep. */
const packed = new Map<string, Promise<PackedCode>>();
const KEPT = 4;

/**
 * Packs what a task ships (see the module documentation); `undefined` when it ships nothing.
 * The same files in the same process are packed once.
 * @throws {Error} (from `node:fs`) when a file cannot be read.
 */
export async function packCode(spec: TaskSpec): Promise<PackedCode | undefined> {
  if (spec.workdir === undefined && localMounts(spec).length === 0) return undefined;
  const entries = taskEntries(spec);
  const key = fingerprint(spec, entries);
  let pending = packed.get(key);
  if (pending === undefined) {
    pending = packEntries(spec, entries).then((made) => ({
      ...made,
      workdir: spec.workdir !== undefined,
      mounts: localMounts(spec).length,
    }));
    packed.set(key, pending);
    pending.catch(() => packed.delete(key));
    // The oldest goes first: archives can be tens of MiB.
    while (packed.size > KEPT) packed.delete(packed.keys().next().value ?? key);
  }
  return pending;
}

/** `1.2 MiB`, `340 KiB`, `12 B`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
