/**
 * Shipping a task's `workdir` and local `file_mounts` to its pods (issue 13). The code is packed
 * ({@link CodeShipping}, `pack.ts`) and travels in a Secret of the job's own (`<job>-code`, owned by the
 * JobSet so it goes with it), by one of two channels chosen by size:
 *
 * - small (the archive fits a Secret): the archive itself is the Secret's `code.tar.gz`;
 * - large: the archive is uploaded to the bucket of `kubernetes.storage` once per content hash,
 *   and the Secret holds a presigned URL to GET it (`code.url`), so pods need no credentials.
 *
 * Every pod mounts the Secret and unpacks it before `setup` (`pod.ts`).
 * @module
 */
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { InternalError, TaskValidationError } from '../../../errors.js';
import { isS3Url, type TaskSpec } from '../../../task/types.js';
import { JOBSET_API, LABELS } from '../manifests.js';
import { formatBytes, scanCode, writeArchive, type CodeScan } from './pack.js';
import { SHIP_KEYS, shipSecretName } from './pod.js';
import { RememberedArchives } from './remembered.js';
import { ArchiveSink, discardSpill, prepareSpillDir } from './sink.js';

export { formatBytes } from './pack.js';

/**
 * The largest archive sent in a Secret, in bytes: the API refuses Secrets over 1 MiB; the rest
 * is room for the object's own fields.
 */
export const SECRET_ARCHIVE_LIMIT = 1024 * 1024 - 64 * 1024;

/** A task's packed code: what the archive is, and where its bytes are when this process has them. */
export interface PackedCode {
  /** SHA-256 of the archive, hex: it names the bucket key. */
  readonly sha256: string;
  /** The archive's size in bytes (gzip). */
  readonly size: number;
  /** Regular files in it. */
  readonly files: number;
  /** Their total size before compression, in bytes. */
  readonly bytes: number;
  /** Whether a workdir is in it (the pod then runs in `~/konduktor_workdir`). */
  readonly workdir: boolean;
  /** How many file mounts are in it. */
  readonly mounts: number;
  /** The archive, when this process packed it and it fits a Secret. */
  readonly archive: Buffer | undefined;
  /** A private file holding a larger archive this process packed, until it is uploaded. */
  readonly path: string | undefined;
  /** True when the files were found unchanged since an earlier pack, and not packed again. */
  readonly remembered: boolean;
}

/** What a job ships, ready for its JobSet and its code Secret. */
export interface ShipPlan {
  /** Whether a workdir is shipped. */
  readonly workdir: boolean;
  /** One line for the plan and the JobSet's `konduktor.dev/code` annotation. */
  readonly summary: string;
  /** The code Secret's data (base64 values). */
  readonly data: Readonly<Record<string, string>>;
}

/** Where the bucket channel puts archives: see `storage.ts`. */
export interface ArchiveStore {
  /** Where an archive of this hash is (or will be), for messages: `s3://bucket/key`. */
  location(sha256: string): string;
  /**
   * A URL pods can GET for the archive of this hash when the bucket holds it; `undefined` when
   * it does not.
   * @throws {BackendError} when the bucket cannot be reached.
   */
  find(sha256: string): Promise<string | undefined>;
  /**
   * Uploads the archive (its {@link PackedCode.path} or {@link PackedCode.archive}) unless the
   * bucket has it already; resolves to a URL pods can GET.
   * @throws {BackendError} when the bucket cannot be reached or written, or the bucket lacks the
   *   archive and the code has no bytes at hand.
   */
  publish(code: PackedCode): Promise<string>;
  /**
   * URLs pods can GET for an `s3://` file mount: the object, or every object under the prefix
   * with its relative path (`''` for the object itself).
   * @throws {BackendError} when the bucket cannot be read or holds nothing there.
   */
  presignSource(source: string): Promise<{ relative: string; url: string }[]>;
}

/** What a packed archive is, in words: `340 KiB gzip tar of 12 files (1.2 MiB)`. */
function describe(code: PackedCode): string {
  return `${formatBytes(code.size)} gzip tar of ${code.files} file${code.files === 1 ? '' : 's'} (${formatBytes(code.bytes)})`;
}

/** Said of code found unchanged since an earlier pack (of this or another process). */
const REMEMBERED_NOTE = 'files unchanged since an earlier pack: not packed again';

/** Whether an archive goes through the bucket rather than the job's Secret. */
export function viaBucket(code: Pick<PackedCode, 'size'>): boolean {
  return code.size > SECRET_ARCHIVE_LIMIT;
}

/** The `s3://` file mounts of a task: `[remote path, URL]`, fetched by the pods. */
function objectMounts(spec: TaskSpec): [remote: string, url: string][] {
  return Object.entries(spec.fileMounts).filter(([, source]) => isS3Url(source));
}

/** s3:// mounts sign their URLs with the bucket's credentials: they need `kubernetes.storage`. */
function refuseObjectsWithoutStore(objects: readonly [string, string][]): void {
  if (objects.length === 0) return;
  throw new TaskValidationError(
    objects.map(([remote]) => ({
      path: `file_mounts.${remote}`,
      message:
        'an s3:// source needs kubernetes.storage in config.yaml: its endpoint and credentials ' +
        'sign the URL the pods fetch it from (docs/kubernetes.md)',
    })),
  );
}

function objectsSummary(count: number): string {
  return `${count} s3:// mount${count === 1 ? '' : 's'} fetched in the pod`;
}

function tooLarge(code: PackedCode): TaskValidationError {
  return new TaskValidationError([
    {
      path: code.workdir ? 'workdir' : 'file_mounts',
      message:
        `packs to ${formatBytes(code.size)} (gzip), over the ${formatBytes(SECRET_ARCHIVE_LIMIT)} ` +
        'a Kubernetes Secret can carry: set kubernetes.storage in config.yaml to ship it through ' +
        'an S3-compatible bucket (docs/kubernetes.md), or leave large files out with .konduktorignore',
    },
  ]);
}

/** Options of {@link CodeShipping}. */
export interface CodeShippingOptions {
  /** The konduktor home: remembered archives and spilled ones are in `kubernetes/code/` there. */
  readonly home: string;
  /** The bucket of `kubernetes.storage`, when one is configured. */
  readonly store?: ArchiveStore | undefined;
}

/** Archives packed by one {@link CodeShipping} kept for reuse: the plan and the submit, a sweep. */
const KEPT = 4;

/**
 * Packs what tasks ship and gets it to the pods (see the module documentation). A task's archive
 * is packed once per process, and not at all when an earlier pack (of any process using the same
 * home) found the same files and the bucket still holds that archive.
 */
export class CodeShipping {
  /** How many archives were packed, and how many times packing was skipped (tests, benchmarks). */
  readonly stats = { packed: 0, remembered: 0 };
  readonly #store: ArchiveStore | undefined;
  readonly #dir: string;
  readonly #remembered: RememberedArchives;
  readonly #packed = new Map<string, Promise<PackedCode>>();
  #dirReady = false;

  constructor(options: CodeShippingOptions) {
    this.#store = options.store;
    this.#dir = join(options.home, 'kubernetes', 'code');
    this.#remembered = new RememberedArchives(this.#dir);
  }

  /** The spill directory, made (and cleared of dead processes' files) on first use. */
  #spillDir(): string {
    if (!this.#dirReady) {
      prepareSpillDir(this.#dir);
      this.#dirReady = true;
    }
    return this.#dir;
  }

  /** Packs a scan (once per fingerprint in this process) and remembers it when it is settled. */
  #pack(scan: CodeScan): Promise<PackedCode> {
    const known = this.#packed.get(scan.fingerprint);
    if (known !== undefined) return known;
    const pending = (async (): Promise<PackedCode> => {
      // Only the bucket channel needs a large archive's bytes; without a bucket, its size is enough.
      const spillDir = this.#store === undefined ? undefined : this.#spillDir();
      const sink = new ArchiveSink({
        keepInMemory: SECRET_ARCHIVE_LIMIT,
        ...(spillDir === undefined ? {} : { spillDir }),
      });
      const counts = await writeArchive(scan, sink);
      const sunk = sink.result();
      this.stats.packed += 1;
      if (scan.settled) this.#remembered.remember(scan.fingerprint, { ...sunk, ...counts });
      return { ...sunk, ...counts, ...shape(scan.spec), remembered: false };
    })();
    this.#packed.set(scan.fingerprint, pending);
    pending.catch(() => this.#packed.delete(scan.fingerprint));
    // The oldest goes first (its spill file, if any, goes when the process exits).
    while (this.#packed.size > KEPT)
      this.#packed.delete(this.#packed.keys().next().value ?? scan.fingerprint);
    return pending;
  }

  /** The scan of a task and its archive: packed in this process, remembered, or packed now. */
  async #identify(spec: TaskSpec): Promise<{ scan: CodeScan; code: PackedCode } | undefined> {
    const scan = scanCode(spec);
    if (scan === undefined) return undefined;
    const known = this.#packed.get(scan.fingerprint);
    if (known !== undefined) return { scan, code: await known };
    const recalled = this.#remembered.recall(scan.fingerprint);
    if (recalled === undefined) return { scan, code: await this.#pack(scan) };
    this.stats.remembered += 1;
    const code = { ...recalled, ...shape(spec), archive: undefined, path: undefined };
    return { scan, code: { ...code, remembered: true } };
  }

  /**
   * What a task would ship, without uploading anything (the plan, `--dryrun`): undefined when it
   * ships nothing. Packs only when the files changed since an earlier pack.
   * @throws {Error} when a file cannot be read.
   */
  async preview(
    spec: TaskSpec,
  ): Promise<{ readonly workdir: boolean; readonly summary: string } | undefined> {
    const found = await this.#identify(spec);
    const objects = objectMounts(spec);
    if (found === undefined && objects.length === 0) return undefined;
    const parts: string[] = [];
    if (found !== undefined) {
      const { code } = found;
      const where = !viaBucket(code)
        ? "in the job's Secret"
        : this.#store === undefined
          ? 'too large for a Secret, and no kubernetes.storage bucket is configured'
          : `through ${this.#store.location(code.sha256)}`;
      const note = code.remembered ? ` (${REMEMBERED_NOTE})` : '';
      parts.push(`${describe(code)}, sha256 ${code.sha256}, ${where}${note}`);
    }
    if (objects.length > 0) {
      parts.push(
        this.#store === undefined
          ? `${objectsSummary(objects.length)}, but no kubernetes.storage is configured to sign them`
          : objectsSummary(objects.length),
      );
    }
    return { workdir: found?.code.workdir ?? false, summary: parts.join('; ') };
  }

  /**
   * The Secret data and summary of a task's code: the archive itself, or its bucket URL. A
   * remembered archive the bucket holds needs no packing; the Secret channel needs the bytes
   * (at most {@link SECRET_ARCHIVE_LIMIT}, fast to pack), so it packs.
   */
  async #codeEntry(found: {
    scan: CodeScan;
    code: PackedCode;
  }): Promise<{ summary: string; data: Record<string, string> }> {
    const store = this.#store;
    let { code } = found;
    let url: string | undefined;
    if (code.archive === undefined && code.path === undefined) {
      if (viaBucket(code) && store !== undefined) url = await store.find(code.sha256);
      // Packed again, its hash is the one to use even if it differs from the remembered one.
      if (url === undefined && (store !== undefined || !viaBucket(code)))
        code = await this.#pack(found.scan);
    }
    const head = `${describe(code)}, sha256 ${code.sha256}`;
    if (!viaBucket(code)) {
      if (code.archive === undefined) throw new InternalError('a small archive was not kept');
      return {
        summary: `${head}, in the job's Secret`,
        data: { [SHIP_KEYS.archive]: code.archive.toString('base64') },
      };
    }
    if (store === undefined) throw tooLarge(code);
    if (url === undefined) {
      url = await store.publish(code);
      // Uploaded: this process finds the key from now on without the file.
      if (code.path !== undefined) discardSpill(code.path);
    }
    const note = code.remembered ? ` (${REMEMBERED_NOTE})` : '';
    return {
      summary: `${head}, through ${store.location(code.sha256)}${note}`,
      data: { [SHIP_KEYS.url]: Buffer.from(url).toString('base64') },
    };
  }

  /**
   * Packs what a task ships (unless remembered) and, for a large archive, publishes it to the
   * bucket; signs a URL for every object of its `s3://` mounts.
   * @returns undefined when the task ships nothing.
   * @throws {TaskValidationError} when the archive is too large for a Secret, or an s3:// mount is
   *   given, and no bucket is set.
   * @throws {BackendError} when the bucket cannot be used, or an s3:// source holds nothing.
   * @throws {StateConflictError} when a file shrank while it was packed.
   */
  async prepare(spec: TaskSpec): Promise<ShipPlan | undefined> {
    const store = this.#store;
    const objects = objectMounts(spec);
    if (store === undefined) refuseObjectsWithoutStore(objects);
    const found = await this.#identify(spec);
    if (found === undefined && objects.length === 0) return undefined;
    const parts: string[] = [];
    const data: Record<string, string> = {};
    if (found !== undefined) {
      const entry = await this.#codeEntry(found);
      parts.push(entry.summary);
      Object.assign(data, entry.data);
    }
    if (objects.length > 0 && store !== undefined) {
      let records = '';
      for (const [remote, source] of objects) {
        for (const { relative, url } of await store.presignSource(source)) {
          const target = relative === '' ? remote : `${remote.replace(/\/+$/, '')}/${relative}`;
          records += `${target}\0${url}\0`;
        }
      }
      data[SHIP_KEYS.objects] = Buffer.from(records).toString('base64');
      parts.push(objectsSummary(objects.length));
    }
    return { workdir: found?.code.workdir ?? false, summary: parts.join('; '), data };
  }
}

/** Whether a workdir is shipped and how many local mounts. */
function shape(spec: TaskSpec): { workdir: boolean; mounts: number } {
  return {
    workdir: spec.workdir !== undefined,
    mounts: Object.values(spec.fileMounts).filter((source) => !isS3Url(source)).length,
  };
}

/**
 * Creates the job's code Secret, owned by its JobSet (so the garbage collector removes it with
 * the job). The pods wait for it (the kubelet retries the mount), so it is made right after the
 * JobSet, whose uid the owner reference needs; when it cannot be made, the JobSet is deleted.
 * @throws {k8s.ApiException} when the API refuses it.
 */
export async function attachCode(
  core: k8s.CoreV1Api,
  custom: k8s.CustomObjectsApi,
  namespace: string,
  jobSet: { readonly metadata?: { readonly name?: string; readonly uid?: string } },
  plan: ShipPlan,
): Promise<void> {
  const name = jobSet.metadata?.name ?? '';
  // client-node's models are classes; the API takes their plain-data shape.
  const body = Object.assign(new k8s.V1Secret(), {
    metadata: Object.assign(new k8s.V1ObjectMeta(), {
      name: shipSecretName(name),
      labels: { [LABELS.job]: name },
      ownerReferences: [
        {
          apiVersion: `${JOBSET_API.group}/${JOBSET_API.version}`,
          kind: 'JobSet',
          name,
          uid: jobSet.metadata?.uid ?? '',
        },
      ],
    }),
    type: 'Opaque',
    data: { ...plan.data },
  });
  try {
    await core.createNamespacedSecret({ namespace, body });
  } catch (err) {
    await custom
      .deleteNamespacedCustomObject({
        ...JOBSET_API,
        namespace,
        name,
        propagationPolicy: 'Background',
      })
      .catch(() => undefined);
    throw err;
  }
}
