/**
 * Choosing a backend: an explicit one, else `KONDUKTOR_BACKEND`, else `backend:` in the user's
 * `config.yaml`, else local. The Kubernetes backend is loaded only when chosen, so local commands
 * never pay for the Kubernetes client.
 * @module
 */
import { readUserConfig } from '../config.js';
import { UsageError } from '../errors.js';
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

const shared = new Map<string, Promise<Backend>>();

/** The backend kind in effect when none is given explicitly. */
export function defaultBackendKind(home?: string): BackendKind {
  const fromEnv = process.env['KONDUKTOR_BACKEND'];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv !== 'local' && fromEnv !== 'kubernetes') {
      throw new UsageError(
        `KONDUKTOR_BACKEND=${JSON.stringify(fromEnv)} is not a backend: use local or kubernetes`,
      );
    }
    return fromEnv;
  }
  return readUserConfig(resolveHome(home)).backend ?? 'local';
}

/**
 * The backend for a choice. Backends made from a kind are shared per process (per options), so
 * all waits of one process share one watcher or one set of informers.
 */
export async function resolveBackend(
  choice: BackendChoice | undefined,
  options: BackendOptions = {},
): Promise<Backend> {
  if (typeof choice === 'object') return choice;
  const kind = choice ?? defaultBackendKind(options.home);
  const home = resolveHome(options.home);
  const key = JSON.stringify([kind, home, options.context, options.namespace, options.kubeconfig]);
  let backend = shared.get(key);
  if (backend === undefined) {
    backend = create(kind, home, options);
    shared.set(key, backend);
    // A failed creation (no cluster, no CRD) must not be cached for the next caller.
    backend.catch(() => shared.delete(key));
  }
  return backend;
}

async function create(kind: BackendKind, home: string, options: BackendOptions): Promise<Backend> {
  switch (kind) {
    case 'local':
      return new LocalBackend({ home });
    case 'kubernetes': {
      const config = readUserConfig(home).kubernetes ?? {};
      const { KubernetesBackend } = await import('./kubernetes/kubernetes-backend.js');
      return KubernetesBackend.connect({
        home,
        ...pick('context', options.context ?? config.context),
        ...pick('namespace', options.namespace ?? config.namespace),
        ...pick('kubeconfig', options.kubeconfig ?? config.kubeconfig),
      });
    }
    default:
      throw new UsageError(`unknown backend ${JSON.stringify(kind)}: use local or kubernetes`);
  }
}

function pick<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}
