/**
 * Packing a task's code for the cluster: the `workdir` (less what its `.gitignore` and
 * `.konduktorignore` files exclude, and `.git`) and every local `file_mounts` source (not the
 * `s3://` ones, which the pods fetch), in one gzipped tar:
 *
 * - `workdir/…`: the workdir's files;
 * - `mounts/<i>`: the i-th file mount's source (a file, or a directory tree);
 * - `mounts.list`: NUL-separated records `<i>\0<remote path>\0`, read by the pod's unpack script.
 *
 * Entries are sorted and carry only names, modes, sizes and files' mtimes (no owner), so the same
 * files pack to the same bytes and the same SHA-256: the bucket channel uploads once per hash.
 * The archive is streamed into a sink (`sink.ts`), never held whole here.
 * @module
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  type BigIntStats,
} from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import ignore, { type Ignore } from 'ignore';
import { pack as tarPack, type Header, type Pack } from 'tar-stream';
import { StateConflictError } from '../../../errors.js';
import { isS3Url, type TaskSpec } from '../../../task/types.js';

type Headers = Partial<Header> & Pick<Header, 'name'>;

/** The ignore files honoured in the workdir, at every level, as git reads `.gitignore`. */
export const IGNORE_FILES = ['.gitignore', '.konduktorignore'] as const;

/** One thing to put in the archive. */
export interface Entry {
  /** The name in the archive. */
  readonly name: string;
  /** Where it is on this machine. */
  readonly path: string;
  /** Its `lstat` (a mount's source: `stat`), with nanosecond times. */
  readonly stats: BigIntStats;
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
      const stats = lstatSync(path, { bigint: true });
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

/** Everything a task ships, in archive order (the mounts list is added by {@link writeArchive}). */
function taskEntries(spec: TaskSpec): Entry[] {
  const entries: Entry[] = [];
  if (spec.workdir !== undefined) {
    entries.push({
      name: 'workdir',
      path: spec.workdir,
      stats: lstatSync(spec.workdir, { bigint: true }),
    });
    entries.push(...walk(spec.workdir, 'workdir', true));
  }
  localMounts(spec).forEach(([, source], i) => {
    // A mount's source is followed when it is a link, as the local backend's link would be.
    const stats = statSync(source, { bigint: true });
    entries.push({ name: `mounts/${i}`, path: source, stats });
    if (stats.isDirectory()) entries.push(...walk(source, `mounts/${i}`, false));
  });
  return entries;
}

/**
 * What a task would ship, as found on disk: the entries and their fingerprint. Equal fingerprints
 * pack to equal archives, so the archive's hash can be remembered by fingerprint (`remembered.ts`).
 */
export interface CodeScan {
  readonly spec: TaskSpec;
  readonly entries: readonly Entry[];
  /** SHA-256 (hex) of the entries' names, modes, sizes, times, inodes and of the mount targets. */
  readonly fingerprint: string;
  /**
   * False when a file's modification or change time is within {@link RACY_WINDOW_NS} of when the
   * scan began (or after it): a write in the same clock tick would leave its times as they are, so
   * such a fingerprint must not be trusted later (git's "racily clean" entries).
   */
  readonly settled: boolean;
}

/**
 * How close to the scan a file's times make its fingerprint untrustworthy, in nanoseconds: 2 s,
 * above the timestamp granularity of the file systems in use (1 s, FAT's 2 s).
 */
export const RACY_WINDOW_NS = 2_000_000_000n;

/**
 * Bumped when the archive's layout changes: remembered hashes of another layout are not reused.
 * The gzip level and zlib's version are part of the fingerprint for the same reason.
 */
const ARCHIVE_FORMAT = 1;
const GZIP_LEVEL = 6;

function fingerprint(spec: TaskSpec, entries: readonly Entry[]): string {
  const hash = createHash('sha256');
  hash.update(
    JSON.stringify([
      ARCHIVE_FORMAT,
      GZIP_LEVEL,
      process.versions.zlib,
      spec.workdir ?? null,
      localMounts(spec),
    ]),
  );
  for (const { name, path, stats } of entries) {
    // A directory's times move whenever an (even ignored) entry comes or goes; the archive keeps
    // only its name and mode, and its members are entries of their own.
    if (stats.isDirectory()) hash.update(`d\0${name}\0${stats.mode}\0`);
    else if (stats.isSymbolicLink())
      hash.update(`l\0${name}\0${stats.mode}\0${readlinkSync(path)}\0`);
    // ctime too: a write always moves it, even one that then puts the mtime back.
    else
      hash.update(
        `f\0${name}\0${stats.mode}\0${stats.size}\0${stats.mtimeNs}\0${stats.ctimeNs}\0${stats.ino}\0${stats.dev}\0`,
      );
  }
  return hash.digest('hex');
}

/**
 * Finds what a task ships (see the module documentation) and fingerprints it; `undefined` when it
 * ships nothing.
 * @param nowNs - when the scan begins, in nanoseconds since the epoch (the racy-entry check).
 * @throws {Error} (from `node:fs`) when the workdir or a mount source cannot be read.
 */
export function scanCode(
  spec: TaskSpec,
  nowNs: bigint = BigInt(Date.now()) * 1_000_000n,
): CodeScan | undefined {
  if (spec.workdir === undefined && localMounts(spec).length === 0) return undefined;
  const entries = taskEntries(spec);
  const racyFrom = nowNs - RACY_WINDOW_NS;
  const settled = entries.every(
    ({ stats }) => !stats.isFile() || (stats.mtimeNs < racyFrom && stats.ctimeNs < racyFrom),
  );
  return { spec, entries, fingerprint: fingerprint(spec, entries), settled };
}

const NS_PER_S = 1_000_000_000n;

function header(entry: Entry): Headers {
  const { stats } = entry;
  const seconds =
    stats.mtimeNs / NS_PER_S - (stats.mtimeNs < 0n && stats.mtimeNs % NS_PER_S !== 0n ? 1n : 0n);
  const base = {
    name: entry.name,
    mode: Number(stats.mode) & 0o7777,
    // Only a file's mtime is kept, in whole seconds (Python compares it with its bytecode caches);
    // a directory's or a link's moves whenever an entry is added, which would change the hash.
    mtime: stats.isFile() ? new Date(Number(seconds) * 1000) : new Date(0),
  };
  if (stats.isDirectory()) return { ...base, type: 'directory' };
  if (stats.isSymbolicLink())
    return { ...base, type: 'symlink', linkname: readlinkSync(entry.path) };
  return { ...base, type: 'file', size: Number(stats.size) };
}

/** Files up to this size are read whole; larger ones are streamed (a 1 GiB file, 64 KiB at a time). */
const READ_WHOLE = 1024 * 1024;

/** Adds an entry (and its body) to the tar, resolving once the tar took it. */
function addEntry(tar: Pack, head: Headers, body?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const callback = (err?: Error | null): void => {
      if (err == null) resolve();
      else reject(err);
    };
    if (body === undefined) tar.entry(head, callback);
    else tar.entry(head, body, callback);
  });
}

/** Streams a file of `size` bytes into a tar entry; the entry fails when fewer bytes come. */
async function addLargeFile(tar: Pack, head: Headers, fd: number, size: number): Promise<void> {
  let failed: Error | undefined;
  const done = new Promise<void>((resolve, reject) => {
    const sink = tar.entry({ ...head, size }, (err?: Error | null) => {
      if (err == null) resolve();
      else reject(err);
    });
    const source = createReadStream('', { fd, start: 0, end: size - 1, autoClose: true });
    source.on('error', (err) => {
      failed = err;
      sink.destroy(err);
    });
    source.pipe(sink);
  });
  await done.catch((err: unknown) => {
    throw failed ?? err;
  });
}

/** Counts of what {@link writeArchive} packed. */
export interface ArchiveCounts {
  /** Regular files packed. */
  readonly files: number;
  /** Their total size before compression, in bytes. */
  readonly bytes: number;
}

/**
 * Writes the gzipped tar of a scan (its entries, then the mounts list) into `sink`, streaming:
 * memory stays small however large the files are. Resolves once the sink has finished.
 * @throws {StateConflictError} when a file shrank while it was packed.
 * @throws {Error} (from `node:fs`) when a file cannot be read, or from the sink.
 */
export async function writeArchive(scan: CodeScan, sink: Writable): Promise<ArchiveCounts> {
  const tar = tarPack();
  const flowing = pipeline(
    tar as unknown as NodeJS.ReadableStream,
    createGzip({ level: GZIP_LEVEL }),
    sink,
  );
  let files = 0;
  let bytes = 0;
  const adding = (async () => {
    for (const entry of scan.entries) {
      const head = header(entry);
      if (head.type !== 'file') {
        await addEntry(tar, head);
        continue;
      }
      const fd = openSync(entry.path, 'r');
      let size: number;
      try {
        size = fstatSync(fd).size;
        if (size <= READ_WHOLE) {
          // Read as packed: a file that changed size meanwhile is packed as it is now.
          const body = readFileSync(fd);
          closeSync(fd);
          size = body.length;
          await addEntry(tar, { ...head, size }, body);
        }
      } catch (err) {
        closeSync(fd);
        throw err;
      }
      if (size > READ_WHOLE) {
        await addLargeFile(tar, head, fd, size).catch((err: unknown) => {
          if (err instanceof Error && err.message === 'Size mismatch') {
            throw new StateConflictError(
              `${entry.path} shrank while it was packed (it is being written): launch again once it is complete, or leave it out with .konduktorignore`,
            );
          }
          throw err;
        });
      }
      files += 1;
      bytes += size;
    }
    const list = localMounts(scan.spec)
      .map(([remote], i) => `${i}\0${remote}\0`)
      .join('');
    await addEntry(
      tar,
      { name: 'mounts.list', mode: 0o644, mtime: new Date(0), type: 'file' },
      Buffer.from(list),
    );
    tar.finalize();
  })();
  adding.catch((err: unknown) => {
    tar.destroy(err as Error);
  });
  await Promise.all([adding, flowing]);
  return { files, bytes };
}

/** `1.2 MiB`, `340 KiB`, `12 B`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
