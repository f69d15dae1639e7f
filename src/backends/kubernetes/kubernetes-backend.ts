/**
 * The Kubernetes backend: every task a JobSet, results through the termination message, persisted
 * as the KonduktorResult condition. (Being built: see issue 4.)
 * @module
 */
import { BackendError } from '../../errors.js';
import type { Backend } from '../backend.js';

/** Options of {@link KubernetesBackend.connect}. */
export interface KubernetesBackendOptions {
  /** The konduktor home (for config.yaml). */
  readonly home: string;
  readonly context?: string;
  readonly namespace?: string;
  readonly kubeconfig?: string;
}

/** The Kubernetes backend. */
export const KubernetesBackend = {
  /**
   * Connects to the cluster of the kubeconfig context.
   * @throws {BackendError} until the backend exists.
   */
  connect(_options: KubernetesBackendOptions): Promise<Backend> {
    return Promise.reject(
      new BackendError(
        'the kubernetes backend is not available in this version yet; use --backend local',
      ),
    );
  },
};
