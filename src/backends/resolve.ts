/**
 * Choosing a backend: an explicit one, else `KONDUKTOR_BACKEND`, else `backend:` in the user's
 * `config.yaml`, else local. The Kubernetes backend is loaded only when chosen, so local commands
 * never pay for the Kubernetes client.
 * @module
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readUserConfig } from '../config.js';
import { parseDuration } from '../job/duration.js';
import { ConfigError, StateConflictError, UsageError } from '../errors.js';
import type { Backend, BackendKind } from './backend.js';
import { resolveHome } from './local/home.js';
import { LocalBackend } from './local/local-backend.js';

/** Where to run: a backend kind, or a backend instance. */
export type BackendChoice = BackendKind | Backend;

/** Options shared by every backend choice. */
export interface BackendOptions {
  /** The konduktor home (local state, config.yaml). @default $KONDUKTOR_HOME or ~/.konduktor */
  readonly home?: string | undefined;
  /** Kubernetes: the kubeconfig context. @default config.yaml's, else the kubeconfig's current */
  readonly context?: string | undefined;
  /** Kubernetes: the namespace. @default config.yaml's, else the context's, else `default` */
  readonly namespace?: string | undefined;
  /** Kubernetes: the kubeconfig file. @default $KUBECONFIG, else ~/.kube/config */
  readonly kubeconfig?: string | undefined;
}

/**
 * The backend kind in effect when none is given explicitly: `KONDUKTOR_BACKEND` of `env` (the
 * process's by default), else `backend:` in the home's config.yaml, else local.
 * @throws {ConfigError} when either names no backend, or config.yaml is invalid.
 */
export function defaultBackendKind(
  home?: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): BackendKind {
  const fromEnv = env['KONDUKTOR_BACKEND'];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv !== 'local' && fromEnv !== 'kubernetes') {
      throw new ConfigError(
        `KONDUKTOR_BACKEND=${JSON.stringify(fromEnv)} is not a backend: use local or kubernetes`,
      );
    }
    return fromEnv;
  }
  return readUserConfig(resolveHome(home, env)).backend ?? 'local';
}

/**
 * The backends made from kinds, one per set of options, so that all waits through one owner share
 * one watcher or one set of informers. A backend closed by its user (`job.backend.close()`) is
 * dropped and replaced on the next request, never handed out again.
 */
export class BackendPool {
  readonly #backends = new Map<string, Promise<Backend>>();
  #closed = false;

  /**
   * The backend for a choice: an instance as it is; a kind (or the default kind) made once per
   * options and kept until it is closed.
   * @throws {StateConflictError} when the pool was closed.
   * @throws {UsageError} when the kind is unknown.
   * @throws {ConfigError} when `KONDUKTOR_BACKEND` or config.yaml is invalid.
   * @throws {BackendError} when the backend cannot be made (no cluster, no JobSet CRD).
   */
  async get(choice: BackendChoice | undefined, options: BackendOptions = {}): Promise<Backend> {
    if (this.#closed) {
      throw new StateConflictError('this konduktor client was closed: create a new one');
    }
    if (typeof choice === 'object') return choice;
    const kind = choice ?? defaultBackendKind(options.home);
    const home = resolveHome(options.home);
    const key = JSON.stringify([
      kind,
      home,
      options.context,
      options.namespace,
      options.kubeconfig,
    ]);
    const cached = this.#backends.get(key);
    if (cached !== undefined) {
      const backend = await cached;
      if (!backend.closed) return backend;
      // Another caller may have replaced it while this one waited.
      if (this.#backends.get(key) === cached) this.#backends.delete(key);
      return this.get(kind, options);
    }
    const made = createBackend(kind, home, options);
    this.#backends.set(key, made);
    // A failed creation (no cluster, no CRD) must not be kept for the next caller.
    made.catch(() => {
      if (this.#backends.get(key) === made) this.#backends.delete(key);
    });
    return made;
  }

  /** Closes every backend this pool made; later {@link BackendPool.get} calls throw. */
  async close(): Promise<void> {
    this.#closed = true;
    const made = [...this.#backends.values()];
    this.#backends.clear();
    const settled = await Promise.allSettled(made);
    await Promise.all(
      settled.map((s) => (s.status === 'fulfilled' ? s.value.close() : Promise.resolve())),
    );
  }
}

/** The process's default backends: those of the top-level `launch()`, `getJob()` and the CLI. */
const defaults = new BackendPool();

/**
 * The backend for a choice, from the process's default pool (see {@link BackendPool.get}).
 * @throws {BackendError} when the backend cannot be made.
 */
export function resolveBackend(
  choice: BackendChoice | undefined,
  options: BackendOptions = {},
): Promise<Backend> {
  return defaults.get(choice, options);
}

/**
 * A new backend of a kind, owned by the caller (who closes it).
 * @throws {BackendError} when it cannot be made (no cluster, no JobSet CRD).
 */
export async function createBackend(
  kind: BackendKind,
  home: string,
  options: BackendOptions,
): Promise<Backend> {
  switch (kind) {
    case 'local':
      return new LocalBackend({ home });
    case 'kubernetes': {
      const config = readUserConfig(home).kubernetes ?? {};
      if (
        options.kubeconfig === undefined &&
        config.kubeconfig !== undefined &&
        !existsSync(config.kubeconfig)
      ) {
        throw new ConfigError(
          `no kubeconfig at ${config.kubeconfig} (kubernetes.kubeconfig in ${join(home, 'config.yaml')}): fix the path, or remove the key to use $KUBECONFIG or ~/.kube/config`,
        );
      }
      const { KubernetesBackend } = await import('./kubernetes/kubernetes-backend.js');
      return KubernetesBackend.connect({
        home,
        ...pick('context', options.context ?? config.context),
        ...pick('namespace', options.namespace ?? config.namespace),
        ...pick('kubeconfig', options.kubeconfig ?? config.kubeconfig),
        ...(config.storage === undefined ? {} : { storage: config.storage }),
        ...(config.ttl === undefined
          ? {}
          : { ttlSeconds: Math.ceil(parseDuration(config.ttl, 'kubernetes.ttl') / 1000) }),
      });
    }
    default:
      throw new UsageError(`unknown backend ${JSON.stringify(kind)}: use local or kubernetes`);
  }
}

function pick<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}
