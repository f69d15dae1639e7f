/**
 * Shipping a task's `workdir` and local `file_mounts` to its pods (issue 13). The code is packed
 * once ({@link packCode}) and travels in a Secret of the job's own (`<job>-code`, owned by the
 * JobSet so it goes with it), by one of two channels chosen by size:
 *
 * - small (the archive fits a Secret): the archive itself is the Secret's `code.tar.gz`;
 * - large: the archive is uploaded to the bucket of `kubernetes.storage` once per content hash,
 *   and the Secret holds a presigned URL to GET it (`code.url`), so pods need no credentials.
 *
 * Every pod mounts the Secret and unpacks it before `setup` (`pod.ts`).
 * @module
 */
import * as k8s from '@kubernetes/client-node';
import { TaskValidationError } from '../../../errors.js';
import { isS3Url, type TaskSpec } from '../../../task/types.js';
import { JOBSET_API, LABELS } from '../manifests.js';
import { formatBytes, packCode, type PackedCode } from './pack.js';
import { SHIP_KEYS, shipSecretName } from './pod.js';

export { formatBytes, packCode, type PackedCode } from './pack.js';

/**
 * The largest archive sent in a Secret, in bytes: the API refuses Secrets over 1 MiB; the rest
 * is room for the object's own fields.
 */
export const SECRET_ARCHIVE_LIMIT = 1024 * 1024 - 64 * 1024;

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
   * Uploads the archive unless the bucket has it already; resolves to a URL pods can GET.
   * @throws {BackendError} when the bucket cannot be reached or written.
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
  return `${formatBytes(code.archive.length)} gzip tar of ${code.files} file${code.files === 1 ? '' : 's'} (${formatBytes(code.bytes)})`;
}

/** Whether an archive goes through the bucket rather than the job's Secret. */
export function viaBucket(code: PackedCode): boolean {
  return code.archive.length > SECRET_ARCHIVE_LIMIT;
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

/**
 * What a task would ship, without uploading anything (the plan, `--dryrun`): undefined when it
 * ships nothing.
 * @throws {Error} when a file cannot be read.
 */
export async function shippingPreview(
  spec: TaskSpec,
  store: ArchiveStore | undefined,
): Promise<{ readonly workdir: boolean; readonly summary: string } | undefined> {
  const code = await packCode(spec);
  const objects = objectMounts(spec);
  if (code === undefined && objects.length === 0) return undefined;
  const parts: string[] = [];
  if (code !== undefined) {
    const where = !viaBucket(code)
      ? "in the job's Secret"
      : store === undefined
        ? 'too large for a Secret, and no kubernetes.storage bucket is configured'
        : `through ${store.location(code.sha256)}`;
    parts.push(`${describe(code)}, sha256 ${code.sha256}, ${where}`);
  }
  if (objects.length > 0) {
    parts.push(
      store === undefined
        ? `${objectsSummary(objects.length)}, but no kubernetes.storage is configured to sign them`
        : objectsSummary(objects.length),
    );
  }
  return { workdir: code?.workdir ?? false, summary: parts.join('; ') };
}

/** The Secret data and summary of the packed code: the archive itself, or its bucket URL. */
async function codeEntry(
  code: PackedCode,
  store: ArchiveStore | undefined,
): Promise<{ summary: string; data: Record<string, string> }> {
  const head = `${describe(code)}, sha256 ${code.sha256}`;
  if (!viaBucket(code)) {
    return {
      summary: `${head}, in the job's Secret`,
      data: { [SHIP_KEYS.archive]: code.archive.toString('base64') },
    };
  }
  if (store === undefined) {
    throw new TaskValidationError([
      {
        path: code.workdir ? 'workdir' : 'file_mounts',
        message:
          `packs to ${formatBytes(code.archive.length)} (gzip), over the ${formatBytes(SECRET_ARCHIVE_LIMIT)} ` +
          'a Kubernetes Secret can carry: set kubernetes.storage in config.yaml to ship it through ' +
          'an S3-compatible bucket (docs/kubernetes.md), or leave large files out with .konduktorignore',
      },
    ]);
  }
  const url = await store.publish(code);
  return {
    summary: `${head}, through ${store.location(code.sha256)}`,
    data: { [SHIP_KEYS.url]: Buffer.from(url).toString('base64') },
  };
}

/**
 * Packs what a task ships and, for a large archive, publishes it to the bucket; signs a URL for
 * every object of its `s3://` mounts.
 * @returns undefined when the task ships nothing.
 * @throws {TaskValidationError} when the archive is too large for a Secret, or an s3:// mount is
 *   given, and no bucket is set.
 * @throws {BackendError} when the bucket cannot be used, or an s3:// source holds nothing.
 */
export async function prepareShipping(
  spec: TaskSpec,
  store: ArchiveStore | undefined,
): Promise<ShipPlan | undefined> {
  const objects = objectMounts(spec);
  if (store === undefined) refuseObjectsWithoutStore(objects);
  const code = await packCode(spec);
  if (code === undefined && objects.length === 0) return undefined;
  const parts: string[] = [];
  const data: Record<string, string> = {};
  if (code !== undefined) {
    const entry = await codeEntry(code, store);
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
  return { workdir: code?.workdir ?? false, summary: parts.join('; '), data };
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
