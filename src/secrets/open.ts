/**
 * The secret store of a backend choice, resolved as every command resolves its backend
 * (`--backend`, `KONDUKTOR_BACKEND`, `config.yaml`, else local; on Kubernetes the context and
 * namespace from the flags, else `config.yaml`, else the kubeconfig's).
 * @module
 */
import type { BackendKind } from '../backends/backend.js';
import { resolveHome } from '../backends/local/home.js';
import { defaultBackendKind } from '../backends/resolve.js';
import { readUserConfig } from '../config.js';
import { LocalSecretStore } from './local-store.js';
import type { SecretStore } from './secrets.js';

/** Where to keep secrets: as a command's backend flags give it. */
export interface SecretStoreOptions {
  readonly backend?: BackendKind | undefined;
  readonly home?: string | undefined;
  readonly context?: string | undefined;
  readonly namespace?: string | undefined;
}

/**
 * Opens the secret store of a backend. The Kubernetes client is loaded only for Kubernetes.
 * @throws {ConfigError} when `KONDUKTOR_BACKEND` or `config.yaml` is invalid.
 * @throws {BackendError} when the kubeconfig or its context is missing.
 */
export async function openSecretStore(options: SecretStoreOptions): Promise<SecretStore> {
  const home = resolveHome(options.home);
  const kind = options.backend ?? defaultBackendKind(home);
  if (kind === 'local') return new LocalSecretStore(home);
  const config = readUserConfig(home).kubernetes ?? {};
  const [{ loadKubeConfig }, { KubernetesSecretStore }, { localUser }] = await Promise.all([
    import('../backends/kubernetes/client.js'),
    import('./kubernetes-store.js'),
    import('../backends/kubernetes/user.js'),
  ]);
  const context = options.context ?? config.context;
  const namespace = options.namespace ?? config.namespace;
  const kubeconfig = config.kubeconfig;
  const { kc, namespace: ns } = loadKubeConfig({
    ...(context === undefined ? {} : { context }),
    ...(namespace === undefined ? {} : { namespace }),
    ...(kubeconfig === undefined ? {} : { kubeconfig }),
  });
  return new KubernetesSecretStore(kc, ns, localUser());
}
