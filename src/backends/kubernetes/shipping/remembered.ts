/**
 * Archives remembered across processes: `konduktor launch` run again and again with an unchanged
 * workdir should not pack it again each time (about 1.3 s for 20 MiB). A scan's fingerprint
 * (`pack.ts`: names, modes, sizes, nanosecond times, inodes, after the ignore rules) maps to the
 * archive it packed to, in `$KONDUKTOR_HOME/kubernetes/code/fingerprints.json` (0600, in a 0700
 * directory). Only settled scans are remembered (no file written within the racy window of the
 * scan), so a write the times cannot show is never hidden behind an old hash.
 * @module
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What is remembered of a packed archive: enough to name and describe it without its bytes. */
export interface RememberedArchive {
  /** SHA-256 of the archive, hex. */
  readonly sha256: string;
  /** The archive's size in bytes. */
  readonly size: number;
  /** Regular files in it. */
  readonly files: number;
  /** Their total size before compression, in bytes. */
  readonly bytes: number;
}

/** How many fingerprints are kept: the most recently packed. */
export const REMEMBERED_LIMIT = 64;
const FILE = 'fingerprints.json';

interface Stored extends RememberedArchive {
  /** When it was packed, in ms since the epoch (the oldest is forgotten first). */
  readonly at: number;
}

function count(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** The entries of the file, each checked as data; anything malformed is left out. */
function parse(text: string): Map<string, Stored> {
  const kept = new Map<string, Stored>();
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return kept;
  }
  const entries = (data as { entries?: unknown } | null)?.entries;
  if (typeof entries !== 'object' || entries === null) return kept;
  for (const [key, value] of Object.entries(entries)) {
    const v = value as Partial<Stored> | null;
    if (
      /^[0-9a-f]{64}$/.test(key) &&
      typeof v?.sha256 === 'string' &&
      /^[0-9a-f]{64}$/.test(v.sha256) &&
      count(v.size) &&
      count(v.files) &&
      count(v.bytes) &&
      count(v.at)
    ) {
      kept.set(key, { sha256: v.sha256, size: v.size, files: v.files, bytes: v.bytes, at: v.at });
    }
  }
  return kept;
}

/**
 * The fingerprint → archive memory of one konduktor home. Never throws: a home that cannot be
 * read or written only means packing again. Two processes writing at once keep one's entries
 * (the file is replaced whole), which again only means packing again.
 */
export class RememberedArchives {
  readonly #dir: string;

  /** @param dir - the private directory of shipped code, `$KONDUKTOR_HOME/kubernetes/code`. */
  constructor(dir: string) {
    this.#dir = dir;
  }

  #read(): Map<string, Stored> {
    try {
      return parse(readFileSync(join(this.#dir, FILE), 'utf8'));
    } catch {
      return new Map();
    }
  }

  /** The archive a scan of this fingerprint packed to, when remembered. */
  recall(fingerprint: string): RememberedArchive | undefined {
    const found = this.#read().get(fingerprint);
    return found === undefined
      ? undefined
      : { sha256: found.sha256, size: found.size, files: found.files, bytes: found.bytes };
  }

  /** Remembers that a (settled) scan of this fingerprint packed to `archive`. */
  remember(fingerprint: string, archive: RememberedArchive): void {
    const entries = this.#read();
    entries.delete(fingerprint);
    entries.set(fingerprint, {
      sha256: archive.sha256,
      size: archive.size,
      files: archive.files,
      bytes: archive.bytes,
      at: Date.now(),
    });
    const newest = [...entries].sort(([, a], [, b]) => b.at - a.at).slice(0, REMEMBERED_LIMIT);
    const temp = join(this.#dir, `${FILE}.${process.pid}.tmp`);
    try {
      mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
      chmodSync(this.#dir, 0o700);
      writeFileSync(temp, JSON.stringify({ entries: Object.fromEntries(newest) }), { mode: 0o600 });
      renameSync(temp, join(this.#dir, FILE));
    } catch {
      rmSync(temp, { force: true });
    }
  }
}
