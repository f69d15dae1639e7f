/**
 * The bucket channel of code shipping: archives too large for a Secret go to the S3-compatible
 * bucket of `kubernetes.storage` as `<prefix>/code/<sha256>.tar.gz`, uploaded only when the bucket
 * does not hold that hash yet (and once per process however many jobs ask at once: a sweep's
 * trials share one upload), streamed from the packed file in parts (`@aws-sdk/lib-storage`), so
 * a large archive is never held in memory. Pods fetch it through a presigned GET URL made for the endpoint
 * they reach (`pod_endpoint`), so they need no credentials and no S3 tool.
 * @module
 */
import { createReadStream } from 'node:fs';
import { homedir } from 'node:os';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { fromIni } from '@aws-sdk/credential-providers';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { StorageConfig } from '../../../config.js';
import { BackendError } from '../../../errors.js';
import type { ArchiveStore, PackedCode } from './index.js';

/** How long a pod's URL stays valid: SigV4's longest, 7 days (a job queued longer refetches nothing). */
export const URL_LIFETIME_SECONDS = 7 * 24 * 3600;

/** The size of an upload's parts: an archive up to this size goes in one request. */
export const UPLOAD_PART_BYTES = 8 * 1024 * 1024;

/** Counters of one store, for tests and benchmarks. */
export interface ArchiveStoreStats {
  /** Archives uploaded. */
  uploads: number;
  /** Archives found in the bucket already. */
  found: number;
}

function parseUrl(url: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (match === null)
    throw new BackendError(`kubernetes.storage.url ${url} is not s3://BUCKET/PREFIX`);
  const prefix = (match[2] ?? '').replace(/\/+$/, '');
  return { bucket: match[1] ?? '', prefix };
}

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? `${homedir()}${path.slice(1)}` : path;
}

function describeError(err: unknown): string {
  const name = (err as { name?: unknown }).name;
  const message = err instanceof Error ? err.message : String(err);
  return typeof name === 'string' && name !== 'Error' ? `${name}: ${message}` : message;
}

/** The {@link ArchiveStore} of a `kubernetes.storage` configuration. */
export class S3ArchiveStore implements ArchiveStore {
  readonly stats: ArchiveStoreStats = { uploads: 0, found: 0 };
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #client: S3Client;
  /** Signs the pods' URLs for the endpoint they reach; never sends a request. */
  readonly #signer: S3Client;
  readonly #published = new Map<string, Promise<void>>();

  constructor(config: StorageConfig) {
    // konduktor pins an SDK release that supports Node 20; its warning about later releases
    // would land on every command's stderr. A user's own setting is kept.
    process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
    const { bucket, prefix } = parseUrl(config.url);
    this.#bucket = bucket;
    this.#prefix = prefix;
    const credentials =
      config.profile !== undefined || config.credentials_file !== undefined
        ? fromIni({
            ...(config.profile === undefined ? {} : { profile: config.profile }),
            ...(config.credentials_file === undefined
              ? {}
              : { filepath: expandHome(config.credentials_file) }),
          })
        : undefined;
    const base = {
      region: config.region ?? 'us-east-1',
      ...(credentials === undefined ? {} : { credentials }),
      // S3-compatible servers serve buckets by path, not by virtual host.
      forcePathStyle: config.endpoint !== undefined,
    };
    this.#client = new S3Client({
      ...base,
      ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    });
    const podEndpoint = config.pod_endpoint ?? config.endpoint;
    this.#signer = new S3Client({
      ...base,
      ...(podEndpoint === undefined ? {} : { endpoint: podEndpoint }),
    });
  }

  #key(sha256: string): string {
    return `${this.#prefix === '' ? '' : `${this.#prefix}/`}code/${sha256}.tar.gz`;
  }

  location(sha256: string): string {
    return `s3://${this.#bucket}/${this.#key(sha256)}`;
  }

  async find(sha256: string): Promise<string | undefined> {
    const key = this.#key(sha256);
    const published = this.#published.get(key);
    if (published !== undefined) {
      await published;
      return this.presign(key);
    }
    return (await this.#holds(key, sha256)) ? this.presign(key) : undefined;
  }

  async publish(code: PackedCode): Promise<string> {
    const key = this.#key(code.sha256);
    let pending = this.#published.get(key);
    if (pending === undefined) {
      pending = this.#upload(key, code);
      this.#published.set(key, pending);
      pending.catch(() => this.#published.delete(key));
    }
    await pending;
    return this.presign(key);
  }

  /**
   * Presigned URLs for an `s3://BUCKET/KEY` file mount: the object itself, else every object
   * under `KEY/`, each with its path relative to the prefix (`''` for the object itself).
   * @throws {BackendError} when the bucket cannot be read, or holds neither.
   */
  async presignSource(source: string): Promise<{ relative: string; url: string }[]> {
    const { bucket, prefix: key } = parseUrl(source);
    try {
      await this.#client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return [{ relative: '', url: await this.presign(key, bucket) }];
    } catch (err) {
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404) {
        throw new BackendError(`could not read ${source}: ${describeError(err)}`, { cause: err });
      }
    }
    const found: { relative: string; url: string }[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.#client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: `${key}/`,
            ...(token === undefined ? {} : { ContinuationToken: token }),
          }),
        );
        for (const object of page.Contents ?? []) {
          const name = object.Key ?? '';
          // Folder markers (`dir/`) are not files.
          if (name.endsWith('/')) continue;
          found.push({
            relative: name.slice(key.length + 1),
            url: await this.presign(name, bucket),
          });
        }
        token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
    } catch (err) {
      throw new BackendError(`could not list ${source}/: ${describeError(err)}`, { cause: err });
    }
    if (found.length === 0) {
      throw new BackendError(
        `${source} is neither an object nor a prefix holding objects: check the file_mounts source`,
      );
    }
    return found;
  }

  /** A URL that GETs `key` from the pods' endpoint for {@link URL_LIFETIME_SECONDS}. */
  presign(key: string, bucket = this.#bucket): Promise<string> {
    return getSignedUrl(this.#signer, new GetObjectCommand({ Bucket: bucket, Key: key }), {
      expiresIn: URL_LIFETIME_SECONDS,
    });
  }

  /**
   * Whether the bucket holds the key (`HeadObject`).
   * @throws {BackendError} when the bucket cannot be reached.
   */
  async #holds(key: string, sha256: string): Promise<boolean> {
    try {
      await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
      this.stats.found += 1;
      return true;
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404) return false;
      throw new BackendError(
        `could not reach the bucket of kubernetes.storage (${this.location(sha256)}): ${describeError(err)}; check the endpoint and the credentials (AWS_* variables, the profile)`,
        { cause: err },
      );
    }
  }

  async #upload(key: string, code: PackedCode): Promise<void> {
    const where = this.location(code.sha256);
    if (await this.#holds(key, code.sha256)) return;
    const body =
      code.archive ?? (code.path === undefined ? undefined : createReadStream(code.path));
    if (body === undefined) {
      throw new BackendError(
        `${where} is not in the bucket (any more) and this process has not packed it: launch again`,
      );
    }
    try {
      await new Upload({
        client: this.#client,
        params: {
          Bucket: this.#bucket,
          Key: key,
          Body: body,
          ContentType: 'application/gzip',
          Metadata: { 'konduktor-files': String(code.files) },
        },
        // Parts held at once: queueSize × partSize, 32 MiB.
        partSize: UPLOAD_PART_BYTES,
        queueSize: 4,
        leavePartsOnError: false,
      }).done();
      this.stats.uploads += 1;
    } catch (err) {
      throw new BackendError(
        `could not upload the packed code to ${where}: ${describeError(err)}`,
        {
          cause: err,
        },
      );
    }
  }

  /** Closes the clients' connections. */
  close(): void {
    this.#client.destroy();
    this.#signer.destroy();
  }
}
