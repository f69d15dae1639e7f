/**
 * The process-wide registry of informers: every backend of this process on the same API server,
 * user and namespace shares one {@link NamespaceInformers} (two watch connections), counted by
 * users and stopped when the last backend gives it back. {@link BackendInformers} is one backend's
 * handle on it, started on first use.
 * @module
 */
import type * as k8s from '@kubernetes/client-node';
import { BackendError } from '../../errors.js';
import { NamespaceInformers } from './informers.js';

/** Informers shared by every backend of this process, per API server, user and namespace. */
const sharedInformers = new Map<string, { informers: NamespaceInformers; users: number }>();

/**
 * The informers of a namespace, shared by every backend of this process on the same API server and
 * user; give them back with {@link releaseInformers}.
 */
export function acquireInformers(kc: k8s.KubeConfig, namespace: string): NamespaceInformers {
  const key = JSON.stringify([
    kc.getCurrentCluster()?.server,
    kc.getCurrentUser()?.name,
    namespace,
  ]);
  let entry = sharedInformers.get(key);
  if (entry === undefined) {
    entry = { informers: new NamespaceInformers(kc, namespace), users: 0 };
    sharedInformers.set(key, entry);
  }
  entry.users += 1;
  const { informers } = entry;
  return informers;
}

/** Gives back informers from {@link acquireInformers}; the last user stops them. */
export function releaseInformers(informers: NamespaceInformers): void {
  for (const [key, entry] of sharedInformers) {
    if (entry.informers !== informers) continue;
    entry.users -= 1;
    if (entry.users <= 0) {
      entry.informers.stop();
      sharedInformers.delete(key);
    }
  }
}

/** One backend's handle on its namespace's shared informers. */
export class BackendInformers {
  readonly #kc: k8s.KubeConfig;
  readonly #namespace: string;
  #informers: NamespaceInformers | undefined;
  #closed = false;

  constructor(kc: k8s.KubeConfig, namespace: string) {
    this.#kc = kc;
    this.#namespace = namespace;
  }

  /**
   * The informers, started on first use.
   * @throws {BackendError} once the backend was closed.
   */
  get started(): NamespaceInformers {
    if (this.#closed) throw new BackendError('the kubernetes backend was closed');
    this.#informers ??= acquireInformers(this.#kc, this.#namespace);
    return this.#informers;
  }

  /**
   * The informers when they were started and have listed, else `undefined`: reads use their
   * caches then, and the API otherwise (never starting watches for a one-off read).
   */
  get synced(): NamespaceInformers | undefined {
    return this.#informers?.synced === true ? this.#informers : undefined;
  }

  /** True once {@link BackendInformers.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Gives the informers back to the registry; later use of {@link started} throws. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#informers !== undefined) releaseInformers(this.#informers);
    this.#informers = undefined;
  }
}
