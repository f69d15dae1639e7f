/**
 * Where a packed archive goes while it is written: its SHA-256 and size are taken on the way, a
 * small archive (one that fits a Secret) is kept in memory, a larger one is spilled to a private
 * file in the konduktor home for the upload (or, with nowhere to spill, only measured). So a
 * 1 GiB workdir never needs 1 GiB of memory, and the hash, which names the bucket key, is known
 * before anything is uploaded.
 * @module
 */
import { createHash } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';

/** A written archive: its identity and where its bytes are. */
export interface SunkArchive {
  /** SHA-256 of the archive, hex. */
  readonly sha256: string;
  /** Its size in bytes. */
  readonly size: number;
  /** The archive itself, when it was at most the sink's `keepInMemory` bytes. */
  readonly archive: Buffer | undefined;
  /** Else the file holding it, when the sink had a `spillDir` (see {@link discardSpill}). */
  readonly path: string | undefined;
}

/** Options of {@link ArchiveSink}. */
export interface ArchiveSinkOptions {
  /** Archives up to this many bytes are kept in memory. */
  readonly keepInMemory: number;
  /** Where a larger one is written (a private directory); without it, only hash and size are kept. */
  readonly spillDir?: string;
}

/** Spill files of this process not yet discarded: removed when it exits. */
const liveSpills = new Set<string>();
let exitHook = false;

/** Removes a spill file (after its upload, or when the process exits). Never throws. */
export function discardSpill(path: string): void {
  liveSpills.delete(path);
  rmSync(path, { force: true });
}

/**
 * Makes the private spill directory (0700) and removes the spill files of processes that are
 * gone (killed before they could remove theirs). Spill files are named `<pid>-<random>.tar.gz`.
 * @throws {Error} (from `node:fs`) when the directory cannot be made.
 */
export function prepareSpillDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  for (const name of readdirSync(dir)) {
    const pid = /^(\d+)-[0-9a-f]+\.tar\.gz$/.exec(name)?.[1];
    if (pid === undefined || alive(Number(pid))) continue;
    rmSync(join(dir, name), { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists (another user's).
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A writable that hashes, measures and keeps (or spills) the archive written into it. */
export class ArchiveSink extends Writable {
  readonly #hash = createHash('sha256');
  readonly #keepInMemory: number;
  readonly #spillDir: string | undefined;
  #size = 0;
  /** The bytes so far while they fit in memory; `undefined` once spilled or dropped. */
  #chunks: Buffer[] | undefined = [];
  #file: FileHandle | undefined;
  #path: string | undefined;
  #sha256: string | undefined;

  constructor(options: ArchiveSinkOptions) {
    super();
    this.#keepInMemory = options.keepInMemory;
    this.#spillDir = options.spillDir;
  }

  override _write(
    chunk: Buffer,
    _encoding: BufferEncoding,
    done: (err?: Error | null) => void,
  ): void {
    this.#hash.update(chunk);
    this.#size += chunk.length;
    if (this.#file !== undefined) {
      this.#file.write(chunk).then(() => {
        done();
      }, done);
      return;
    }
    if (this.#chunks === undefined) {
      done();
      return;
    }
    this.#chunks.push(chunk);
    if (this.#size <= this.#keepInMemory) {
      done();
      return;
    }
    const held = Buffer.concat(this.#chunks);
    this.#chunks = undefined;
    if (this.#spillDir === undefined) {
      done();
      return;
    }
    this.#spill(this.#spillDir, held).then(() => {
      done();
    }, done);
  }

  async #spill(dir: string, held: Buffer): Promise<void> {
    const path = join(dir, `${process.pid}-${randomBytes(6).toString('hex')}.tar.gz`);
    if (!exitHook) {
      exitHook = true;
      process.once('exit', () => {
        liveSpills.forEach(discardSpill);
      });
    }
    liveSpills.add(path);
    this.#path = path;
    this.#file = await open(path, 'wx', 0o600);
    await this.#file.write(held);
  }

  override _final(done: (err?: Error | null) => void): void {
    this.#sha256 = this.#hash.digest('hex');
    if (this.#file === undefined) {
      done();
      return;
    }
    this.#file.close().then(() => {
      done();
    }, done);
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    const path = this.#path;
    const closing = this.#file?.close() ?? Promise.resolve();
    void closing
      .catch(() => undefined)
      .then(() => {
        // A sink that did not finish holds no archive worth keeping.
        if (path !== undefined && this.#sha256 === undefined) discardSpill(path);
        done(err);
      });
  }

  /**
   * What was written.
   * @throws {Error} when the sink has not finished.
   */
  result(): SunkArchive {
    if (this.#sha256 === undefined) throw new Error('the archive sink has not finished');
    return {
      sha256: this.#sha256,
      size: this.#size,
      archive: this.#chunks === undefined ? undefined : Buffer.concat(this.#chunks),
      path: this.#path,
    };
  }
}
